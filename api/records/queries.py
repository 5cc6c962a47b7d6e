from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.context import Info
from api.pagination import PageInfo
from models.services import records


@strawberry.type
class RecordPage:
    nodes: list[JSON]
    page_info: PageInfo
    total_count: int


@strawberry.type
class RecordQueries:
    @strawberry.field(description="A destination object's records, keyed by the mappings' targets.")
    async def records(
        self, info: Info, object: str, first: int | None = 50, after: str | None = None
    ) -> RecordPage:
        page = await records.list_records(await info.context.actor(), object, first, after)
        return RecordPage(
            nodes=[row.data for row in page.nodes],
            page_info=PageInfo.of(page),
            total_count=page.total_count,
        )
