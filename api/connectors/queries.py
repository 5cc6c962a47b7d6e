from __future__ import annotations

import strawberry

from api.connectors.types import Connector
from api.context import Info
from models.catalog import CATALOG


@strawberry.type
class ConnectorQueries:
    @strawberry.field(description="Every connector this service can connect to.")
    async def connectors(self, info: Info) -> list[Connector]:
        (await info.context.actor()).require_read()
        return [Connector.from_catalog(c) for c in CATALOG.values()]
