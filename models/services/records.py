"""A tenant's destination objects, as data jobs loaded them."""

from __future__ import annotations

from models.actors import Actor
from models.errors import InvalidInput
from models.pagination import Page, paginate
from models.tables import Record


async def list_records(
    actor: Actor, object_name: str, first: int | None = None, after: str | None = None
) -> Page[Record]:
    actor.require_read()
    if not object_name.strip():
        raise InvalidInput("Name the destination object to list, e.g. company.", field=["object"])
    query = Record.filter(tenant=actor.tenant, object=object_name.strip())
    return await paginate(query, first, after)
