"""Finding a tenant's rows: another tenant's row is indistinguishable from a missing one."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from models.actors import Actor
from models.errors import NotFound
from models.ids import parse_id
from models.tables import Connection


def visible_connections(actor: Actor) -> QuerySet[Connection]:
    actor.require_read()
    return Connection.filter(tenant=actor.tenant)


async def get_connection(actor: Actor, connection_id: str) -> Connection:
    parsed = parse_id(connection_id)
    connection = await visible_connections(actor).get_or_none(id=parsed) if parsed else None
    if connection is None:
        raise NotFound(
            f"No connection {connection_id} in your organization; list connections to find it.",
            field=["id"],
        )
    return connection
