"""`connectors`: the one command-line entry point of the connections hub."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from models import settings as config

app = typer.Typer(no_args_is_help=True, help="The connections hub.")

# Fits deploy/k8s: a 10 s preStop pause + 30 s of drain + shutdown, inside the 60 s grace period.
GRACEFUL_TIMEOUT = 30.0


@app.command()
def dev(host: str = "127.0.0.1", port: int = 8000) -> None:
    """The whole service with no set-up: SQLite, embedded Redis, API and worker in one process."""
    from api.app import create_app
    from api.auth import mint_token
    from api.shutdown import serve as serve_app
    from models import logging as logs

    settings = config.configure(public_url=f"http://{host}:{port}")
    logs.setup(settings)
    asyncio.run(_migrate(settings))
    token = mint_token(settings, tenant="dev", roles=["admin", "support"], sub="dev-admin")
    typer.echo(f"GraphiQL:     http://{host}:{port}/graphql")
    typer.echo(f"Admin token:  {token}")
    typer.echo("(send it as the header  Authorization: Bearer <token>)")
    application = create_app(settings, run_worker=True)
    serve_app(application, host=host, port=port, graceful_timeout=GRACEFUL_TIMEOUT)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    graceful_timeout: Annotated[
        float, typer.Option(help="Seconds to finish in-flight requests after SIGTERM.")
    ] = GRACEFUL_TIMEOUT,
) -> None:
    """The API alone (uvicorn)."""
    from api.app import create_app
    from api.shutdown import serve as serve_app
    from models import logging as logs

    settings = config.current()
    logs.setup(settings)
    serve_app(create_app(settings), host=host, port=port, graceful_timeout=graceful_timeout)


@app.command()
def worker(
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's Prometheus metrics on this port.")
    ] = None,
) -> None:
    """One arq worker."""
    from models import logging as logs
    from workers.main import run_worker

    settings = config.current()
    logs.setup(settings)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    run_worker(settings)


@app.command()
def migrate() -> None:
    """Bring the database to the current schema."""
    asyncio.run(_migrate(config.current()))
    typer.echo("Database is at the current schema.")


async def _migrate(settings: config.Settings) -> None:
    from models import db

    try:
        await db.migrate(settings)
    finally:
        # Migrate leaves its connections open; an open SQLite one keeps the process alive.
        await db.close_db()


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="The organization the token is for.")],
    role: Annotated[list[str] | None, typer.Option(help="admin, viewer or support.")] = None,
    sub: Annotated[str, typer.Option(help="The user.")] = "dev-user",
) -> None:
    """Print a development token signed with jwt_secret."""
    from api.auth import mint_token

    try:
        typer.echo(mint_token(config.current(), tenant=tenant, roles=role or ["admin"], sub=sub))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from exc


@app.command("export-schema")
def export_schema(
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print the SDL that schema.graphql must equal."""
    from api.schema import export_sdl

    sdl = export_sdl()
    if output:
        output.write_text(sdl)
    else:
        typer.echo(sdl, nl=False)


if __name__ == "__main__":
    app()
