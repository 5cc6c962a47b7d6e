"""Live updates: activity and connection changes, from the Redis event bus, per tenant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.activities.types import Activity
from api.connections.types import Connection
from api.context import Info
from models import events
from models.tables import Activity as ActivityRow
from models.tables import Connection as ConnectionRow


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every change of every activity you may see.")
    async def activity_updates(
        self,
        info: Info,
        connection_id: strawberry.ID | None = None,
        job_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[Activity, None]:
        actor = await info.context.actor()
        actor.require_read()
        async for event in events.bus().listen(actor.tenant):
            if event.type != "activity":
                continue
            if connection_id and event.connection_id != connection_id:
                continue
            if job_id and event.job_id != job_id:
                continue
            row = await ActivityRow.get_or_none(id=event.id, tenant=actor.tenant)
            if row is not None:
                yield Activity.from_row(row)

    @strawberry.subscription(description="Status, authorization and failure-flag changes.")
    async def connection_updates(
        self, info: Info, connection_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Connection, None]:
        actor = await info.context.actor()
        actor.require_read()
        async for event in events.bus().listen(actor.tenant):
            if connection_id and event.connection_id != connection_id:
                continue
            # An activity of a connection can flip its failure flag, so it counts as a change.
            if event.connection_id is None:
                continue
            row = await ConnectionRow.get_or_none(id=event.connection_id, tenant=actor.tenant)
            if row is not None:
                yield Connection.from_row(row)
