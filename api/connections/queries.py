from __future__ import annotations

import strawberry

from api.connections.types import Connection
from api.context import Info
from api.pagination import Page, page_of
from models.errors import NotFound
from models.lifecycle import ConnectionStatus
from models.services import connections


@strawberry.type
class ConnectionQueries:
    @strawberry.field(description="Connections of your organization, newest first.")
    async def connections(
        self,
        info: Info,
        search: str | None = None,
        connector_key: strawberry.ID | None = None,
        status: ConnectionStatus | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Page[Connection]:
        page = await connections.list_connections(
            await info.context.actor(),
            search=search,
            connector_key=connector_key,
            status=status,
            first=first,
            after=after,
        )
        return page_of(page, Connection.from_row)

    @strawberry.field
    async def connection(self, info: Info, id: strawberry.ID) -> Connection | None:
        try:
            row = await connections.get_connection(await info.context.actor(), id)
        except NotFound:
            return None
        return Connection.from_row(row)
