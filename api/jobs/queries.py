from __future__ import annotations

import strawberry

from api.context import Info
from api.jobs.types import Job
from api.pagination import Page, page_of
from models.errors import NotFound
from models.services import jobs


@strawberry.type
class JobQueries:
    @strawberry.field
    async def jobs(
        self,
        info: Info,
        connection_id: strawberry.ID | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Page[Job]:
        page = await jobs.list_jobs(
            await info.context.actor(), connection_id=connection_id, first=first, after=after
        )
        return page_of(page, Job.from_row)

    @strawberry.field
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        try:
            return Job.from_row(await jobs.get_job(await info.context.actor(), id))
        except NotFound:
            return None
