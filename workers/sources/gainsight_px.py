"""Gainsight PX: the REST API's users, accounts and feature-match events, paged by scroll id.

https://px-apidocs.gainsight.com/ (data-centre hosts, X-APTRINSIC-API-KEY, pageSize, scrollId)
https://support.gainsight.com/PX/API_for_Developers/02Usage_of_Different_APIs/Work_with_the_Gainsight_PX_REST_API

What is its own: the scroll id comes back on every page, the last one included ("do not
depend on the scrollId becoming null"), so paging ends on a short page or once `totalHits`
records were read. Incremental reads filter `<cursor> >= <last value>` (epoch milliseconds)
and sort by it, so each page's greatest value is a safe place to resume.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from models.catalog import get_connector
from workers.sources.auth import KeyAuth
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.paging import Request, Step, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

PAGE_SIZE = 1000
# object -> (path, where the answer lists the records)
OBJECTS = {
    "users": ("/v1/users", "users"),
    "accounts": ("/v1/accounts", "accounts"),
    "feature_events": ("/v1/events/feature_match", "featureMatchEvents"),
}
CONNECTOR = get_connector("GAINSIGHT_PX")


@dataclass(frozen=True)
class Scroll:
    """Send the scroll id back until a page comes back short or every hit was read."""

    records: str
    size: int

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        count = len(body.get(self.records) or [])
        state["read"] = state.get("read", 0) + count
        scroll_id = body.get("scrollId")
        total = body.get("totalHits")
        if not scroll_id or count < self.size or (total is not None and state["read"] >= total):
            return None
        following = Request("GET", request.url, {"pageSize": self.size, "scrollId": scroll_id})
        return following, f"{scroll_id}@{state['read']}"


def first_request(plan: ReadPlan) -> tuple[Request, str]:
    if plan.object not in OBJECTS:
        raise SourceFailed(
            f"Gainsight PX has no {plan.object!r}; pick one of {', '.join(OBJECTS)}."
        )
    path, records = OBJECTS[plan.object]
    params: dict[str, Any] = {"pageSize": PAGE_SIZE}
    cursor = _cursor_field(plan.object)
    if plan.incremental and cursor:
        params["sort"] = cursor
        if plan.since is not None:
            params["filter"] = f"{cursor}>={int(plan.since)}"
    return Request("GET", path, params), records


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    first, key = first_request(plan)
    cursor = _cursor_field(plan.object)
    async for body in walk(session.http, first, Scroll(key, PAGE_SIZE)):
        rows = list(body.get(key) or [])
        resume = latest(rows, cursor, plan.since) if plan.incremental and cursor else None
        yield Page(rows, resume)


async def check(session: Session) -> str | None:
    await session.http.json("GET", "/v1/accounts", params={"pageSize": 1})
    return None


def _cursor_field(object_name: str) -> str | None:
    declared = CONNECTOR.source_object(object_name)
    return declared.cursor_field if declared else None


def _auth(access: Access) -> KeyAuth:
    async def sign(request: httpx.Request, secrets: dict[str, str]) -> None:
        request.headers["X-APTRINSIC-API-KEY"] = secrets.get("api_key", "")

    return KeyAuth(access.connection, access.secrets, sign)


SOURCE = register(
    Source(
        key=CONNECTOR.key,
        auth=_auth,
        read=read,
        domains=("aptrinsic.com",),
        budget=Budget(50, 1.0),  # documented: about 200 requests a second per subscription
        check=check,
    )
)
