"""What the core asks of source systems, answered by the source clients that live with the workers.

Each source client registers its hooks here at import, so the core can use them without
importing the workers:
- `check`: a cheap credentials check when a key-based connection is saved or reauthorized;
  raises AuthorizationFailed with the source's reason, or returns the source account id;
- `list_objects` / `describe`: the source's live listing of objects and fields, where it has one.
Without a hook the connector's declared objects and fields are the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from models.catalog import get_connector
from models.catalog.base import SourceField
from models.errors import InvalidInput
from models.tables import Connection


@dataclass(frozen=True)
class CheckInput:
    tenant: str
    connector_key: str
    settings: dict[str, Any]
    secrets: dict[str, str]


Check = Callable[[CheckInput], Awaitable[str | None]]
ListObjects = Callable[[Connection], Awaitable[list[str]]]
Describe = Callable[[Connection, str], Awaitable[list[SourceField]]]


@dataclass
class SourceHooks:
    check: Check | None = None
    list_objects: ListObjects | None = None
    describe: Describe | None = None


_hooks: dict[str, SourceHooks] = {}


def register(connector_key: str, hooks: SourceHooks) -> None:
    _hooks[connector_key] = hooks


def hooks_for(connector_key: str) -> SourceHooks:
    return _hooks.get(connector_key, SourceHooks())


async def run_check(check_input: CheckInput) -> str | None:
    check = hooks_for(check_input.connector_key).check
    return await check(check_input) if check else None


async def source_objects(connection: Connection) -> list[str]:
    listing = hooks_for(connection.connector_key).list_objects
    if listing is not None:
        return await listing(connection)
    return [o.name for o in get_connector(connection.connector_key).objects]


async def source_fields(connection: Connection, object_name: str) -> list[SourceField]:
    describe = hooks_for(connection.connector_key).describe
    if describe is not None:
        return await describe(connection, object_name)
    declared = get_connector(connection.connector_key).source_object(object_name)
    if declared is None:
        raise InvalidInput(
            f"{object_name!r} is not an object this connection reads; pick one of sourceObjects.",
            field=["object"],
        )
    return list(declared.fields)
