"""The `connectors` command line, as an operator types it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from api.auth import verify_token
from api.schema import export_sdl
from connectors_cli import app
from models.settings import Settings

runner = CliRunner()


def test_token_mints_a_token_the_api_accepts(settings: Settings) -> None:
    result = runner.invoke(app, ["token", "--tenant", "acme", "--role", "viewer", "--sub", "ada"])
    assert result.exit_code == 0, result.output
    actor = asyncio.run(verify_token(settings, result.output.strip()))
    assert (actor.user, actor.tenant, actor.roles) == ("ada", "acme", frozenset({"viewer"}))


def test_token_refuses_an_unknown_role(settings: Settings) -> None:
    result = runner.invoke(app, ["token", "--tenant", "acme", "--role", "owner"])
    assert result.exit_code != 0
    assert "owner" in result.output


def test_export_schema_prints_the_sdl(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export-schema"])
    assert result.exit_code == 0
    assert result.output == export_sdl()
    target = tmp_path / "schema.graphql"
    assert runner.invoke(app, ["export-schema", "--output", str(target)]).exit_code == 0
    assert target.read_text() == export_sdl()
