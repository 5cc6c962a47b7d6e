"""Zendesk: the incremental export API, cursor-based for tickets and users, time-based for
organizations.

https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
https://developer.zendesk.com/api-reference/introduction/rate-limits (10 exports a minute)

The export is incremental by nature: an incremental job saves the export's own position
(`after_cursor`, or `end_time` for organizations) after each page and resumes from it; a full
run starts at the beginning of time. Time-based pages repeat the items that share the last
timestamp, as documented; the upsert absorbs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.paging import NextUrl, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source

PER_PAGE = 1000
CURSOR_EXPORTS = {"tickets", "users"}
TIME_EXPORTS = {"organizations"}


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.object in CURSOR_EXPORTS:
        first = _cursor_start(plan)
        paging, position = NextUrl("after_url", done="end_of_stream"), "after_cursor"
    elif plan.object in TIME_EXPORTS:
        start = int(plan.since or 0) if plan.incremental else 0
        first = Request("GET", f"/api/v2/incremental/{plan.object}.json")
        first = first.with_params(start_time=start, per_page=PER_PAGE)
        paging, position = NextUrl("next_page", done="end_of_stream"), "end_time"
    else:
        exports = ", ".join(sorted(CURSOR_EXPORTS | TIME_EXPORTS))
        raise SourceFailed(f"Zendesk exports {exports}; {plan.object!r} is not one of them.")
    async for body in walk(session.http, first, paging):
        records: list[dict[str, Any]] = body.get(plan.object) or []
        yield Page(records, body.get(position) if plan.incremental else None)


def _cursor_start(plan: ReadPlan) -> Request:
    path = f"/api/v2/incremental/{plan.object}/cursor.json"
    if plan.incremental and plan.since:
        return Request("GET", path, params={"cursor": plan.since, "per_page": PER_PAGE})
    return Request("GET", path, params={"start_time": 0, "per_page": PER_PAGE})


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Zendesk reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="ZENDESK",
        auth=_auth,
        read=read,
        domains=("zendesk.com",),
        budget=Budget(10, 60.0),
    )
)
