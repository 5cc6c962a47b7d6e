"""Pipedrive: the v2 list APIs (cursor paging, `updated_since`) for organizations, persons,
deals and activities; the v1 API (start/limit paging) for notes, which v2 does not serve.

https://pipedrive.readme.io/docs/core-api-concepts-pagination
https://pipedrive.readme.io/docs/pipedrive-api-v2
https://developers.pipedrive.com/docs/api/v1/Notes#getNotes
https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting

The API host is the company's own (`api_domain` of the token response). An incremental read
asks for records updated since the cursor, oldest first, so each page's last `update_time`
is where a later run resumes. A 429 names the wait in `x-ratelimit-reset`, not Retry-After.
v2 persons carry `emails` as a list; `primary_email` (v1's own field name) is the primary one,
so a mapping can take it as a plain value.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect, retry_after
from workers.sources.paging import Cursor, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

CURSOR = "update_time"
LIMIT = 500  # the most either API version answers a page
V2 = ("organizations", "persons", "deals", "activities")
V1 = ("notes",)
V1_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$")


def rfc3339(value: Any) -> str:
    """A saved update_time (v2 `...Z`, or v1 `YYYY-MM-DD HH:MM:SS` in UTC) as RFC 3339."""
    text = str(value)
    match = V1_TIME.match(text)
    return f"{match.group(1)}T{match.group(2)}Z" if match else text


def first_request(plan: ReadPlan) -> tuple[Request, Cursor]:
    if plan.object in V2:
        params: dict[str, Any] = {"limit": LIMIT}
        if plan.incremental:
            params |= {"sort_by": CURSOR, "sort_direction": "asc"}
            if plan.since:
                params["updated_since"] = rfc3339(plan.since)
        paging = Cursor("additional_data.next_cursor", "cursor")
        return Request("GET", f"/api/v2/{plan.object}", params=params), paging
    if plan.object in V1:
        params = {"start": 0, "limit": LIMIT, "sort": f"{CURSOR} ASC"}
        if plan.incremental and plan.since:
            params["updated_since"] = rfc3339(plan.since)
        # next_start, present while more_items_in_collection: v1's start/limit paging.
        paging = Cursor("additional_data.pagination.next_start", "start")
        return Request("GET", f"/api/v1/{plan.object}", params=params), paging
    readable = ", ".join(V2 + V1)
    raise SourceFailed(f"Pipedrive reads {readable}; {plan.object!r} is not one of them.")


def _record(row: dict[str, Any]) -> dict[str, Any]:
    emails = row.get("emails")
    if isinstance(emails, list):
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None)
        row.setdefault("primary_email", (primary or {}).get("value"))
    return row


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    first, paging = first_request(plan)
    async for body in walk(session.http, first, paging):
        records = [_record(row) for row in body.get("data") or []]
        yield Page(records, latest(records, CURSOR, plan.since) if plan.incremental else None)


def wait(response: httpx.Response) -> float | None:
    """Retry-After where given, else the seconds left in the window (x-ratelimit-reset)."""
    given = retry_after(response)
    if given is not None:
        return given
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    return float(reset) if reset.replace(".", "", 1).isdigit() else None


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Pipedrive reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="PIPEDRIVE",
        auth=_auth,
        read=read,
        domains=("pipedrive.com",),
        # 80 requests a 2-second window per OAuth token on the smallest plan; keep half.
        budget=Budget(40, 2.0),
        dialect=Dialect(retry_after=wait),
    )
)
