"""`connectors`: the one command-line entry point of the connections hub."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from models import settings as config

app = typer.Typer(no_args_is_help=True, help="The connections hub.")


@app.command()
def dev(host: str = "127.0.0.1", port: int = 8000) -> None:
    """The whole service with no set-up: SQLite, embedded Redis, API and worker in one process."""
    import uvicorn

    from api.app import create_app
    from api.auth import mint_token
    from models import db

    settings = config.configure(public_url=f"http://{host}:{port}")
    asyncio.run(db.migrate(settings))
    token = mint_token(settings, tenant="dev", roles=["admin", "support"], sub="dev-admin")
    typer.echo(f"GraphiQL:     http://{host}:{port}/graphql")
    typer.echo(f"Admin token:  {token}")
    typer.echo("(send it as the header  Authorization: Bearer <token>)")
    uvicorn.run(create_app(settings), host=host, port=port)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """The API alone (uvicorn)."""
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(config.current()), host=host, port=port)


@app.command()
def worker() -> None:
    """One arq worker."""
    from workers.main import run_worker

    run_worker(config.current())


@app.command()
def migrate() -> None:
    """Bring the database to the current schema."""
    from models import db

    asyncio.run(db.migrate(config.current()))
    typer.echo("Database is at the current schema.")


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
