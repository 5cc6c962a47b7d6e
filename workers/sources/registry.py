"""The sources this service can read, and their hooks handed to the core (models.source_hooks).

Each source module calls `register(SOURCE)` at import; importing `workers.sources` imports
them all, which both the API and the worker do at start-up (workers/runtime.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from models import source_hooks
from models.catalog.base import SourceField
from models.errors import AuthorizationFailed, DomainError, InvalidState
from models.source_hooks import CheckInput, SourceHooks
from models.tables import Connection
from workers.sources.errors import SourceFailed, SourceUnavailable
from workers.sources.source import Access, Session, Source, open_session

SOURCES: dict[str, Source] = {}

T = TypeVar("T")


def register(source: Source) -> Source:
    SOURCES[source.key] = source
    source_hooks.register(
        source.key,
        SourceHooks(
            check=_check_hook(source) if source.check else None,
            list_objects=_list_hook(source) if source.list_objects else None,
            describe=_describe_hook(source) if source.describe else None,
        ),
    )
    return source


def source_for(connector_key: str) -> Source | None:
    return SOURCES.get(connector_key)


def _check_hook(source: Source) -> Callable[[CheckInput], Awaitable[str | None]]:
    async def check(check_input: CheckInput) -> str | None:
        assert source.check is not None
        return await _ask(source, Access.checking(check_input), source.check, AuthorizationFailed)

    return check


def _list_hook(source: Source) -> Callable[[Connection], Awaitable[list[str]]]:
    async def list_objects(connection: Connection) -> list[str]:
        assert source.list_objects is not None
        return await _ask(source, Access.of(connection), source.list_objects, InvalidState)

    return list_objects


def _describe_hook(source: Source) -> Callable[[Connection, str], Awaitable[list[SourceField]]]:
    async def describe(connection: Connection, object_name: str) -> list[SourceField]:
        assert source.describe is not None
        describe_one = source.describe

        async def ask(session: Session) -> list[SourceField]:
            return await describe_one(session, object_name)

        return await _ask(source, Access.of(connection), ask, InvalidState)

    return describe


async def _ask(
    source: Source,
    access: Access,
    question: Callable[[Session], Awaitable[T]],
    error: type[DomainError],
) -> T:
    """Ask the source one question; its failures become the core's domain errors."""
    try:
        async with open_session(source, access) as session:
            return await question(session)
    except SourceUnavailable as exc:
        raise error(f"{source.name} could not be reached: {exc} Try again in a minute.") from exc
    except SourceFailed as exc:
        raise error(f"{source.name} said: {exc}") from exc
