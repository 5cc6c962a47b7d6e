from __future__ import annotations

from datetime import datetime

import strawberry

from api.activities.types import Activity
from api.context import Info
from api.pagination import Page, page_of
from models.errors import NotFound
from models.lifecycle import ActivityKind, ActivityStatus
from models.services import activities


@strawberry.type
class ActivityQueries:
    @strawberry.field(
        description="Activities, newest first; `since` returns those changed after it."
    )
    async def activities(
        self,
        info: Info,
        connection_id: strawberry.ID | None = None,
        job_id: strawberry.ID | None = None,
        status: ActivityStatus | None = None,
        kind: ActivityKind | None = None,
        since: datetime | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Page[Activity]:
        page = await activities.list_activities(
            await info.context.actor(),
            connection_id=connection_id,
            job_id=job_id,
            status=status,
            kind=kind,
            since=since,
            first=first,
            after=after,
        )
        return page_of(page, Activity.from_row)

    @strawberry.field
    async def activity(self, info: Info, id: strawberry.ID) -> Activity | None:
        try:
            return Activity.from_row(await activities.get_activity(await info.context.actor(), id))
        except NotFound:
            return None
