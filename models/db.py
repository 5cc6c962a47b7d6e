"""Database set-up shared by the API, the workers and the CLI: one init, one migrate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as run_migrations

from models.settings import Settings

MODEL_MODULES = ["models.tables"]
_APPS = {
    "models": {
        "models": MODEL_MODULES,
        "default_connection": "default",
        "migrations": "models.migrations",
    }
}

# What `python -m tortoise makemigrations` reads (pyproject's [tool.tortoise]): migrations are
# written from the models alone, so an in-memory database serves for authoring them.
TORTOISE_ORM: dict[str, Any] = {"connections": {"default": "sqlite://:memory:"}, "apps": _APPS}


def tortoise_config(settings: Settings) -> dict[str, Any]:
    url = settings.resolved_database_url
    if url.startswith("sqlite://"):
        _ensure_parent(url)
    return {
        "connections": {"default": url},
        "apps": _APPS,
        "use_tz": True,
        "timezone": "UTC",
    }


def _ensure_parent(url: str) -> None:
    path = url.removeprefix("sqlite://")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def init_db(settings: Settings) -> None:
    # The global fallback lets tasks other than the one that ran init (uvicorn's lifespan,
    # arq's job tasks) see the same connections.
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def migrate(settings: Settings) -> None:
    """Bring the database to the current schema (tortoise's own migrations)."""
    await run_migrations(config=tortoise_config(settings))


async def close_db() -> None:
    await Tortoise.close_connections()
