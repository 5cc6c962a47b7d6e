"""Gong: calls by date range and users, paged by `records.cursor`, at the customer's own API
host (`api_base_url_for_customer` from the token response).

https://help.gong.io/apidocs/introduction-2 (cursors, 3 calls a second, 429 with Retry-After)
https://help.gong.io/apidocs/retrieve-call-data-by-date-range-v2calls-2
https://help.gong.io/apidocs/list-all-users-v2users
https://help.gong.io/docs/create-an-app-for-gong (the customer API base, data residency)

/v2/calls needs both ends of its range: a full run asks from the epoch, an incremental one
from the saved `started` (calls that started on or after it; the boundary call is read again
and absorbed by the upsert), both up to now. An empty range is a 404 in Gong's own error
shape, {"requestId": "...", "errors": ["No calls found corresponding to the provided
filters"]} (the wording public clients match: NangoHQ/integration-templates gong syncs,
PipedreamHQ/pipedream components/gong), which means no records, not a failure. Only that
shape counts: a 404 without a requestId (a proxy's, a wrong base address) still fails.
Calls are incremental by start time: Gong has no modified time on this endpoint, so a call
edited later is read again only by a full run.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx

from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect
from workers.sources.paging import Cursor, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

EPOCH = "1970-01-01T00:00:00Z"
CURSOR = "started"


def calls_request(plan: ReadPlan) -> Request:
    since = str(plan.since) if plan.incremental and plan.since else EPOCH
    until = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Request("GET", "/v2/calls", params={"fromDateTime": since, "toDateTime": until})


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.object == "calls":
        first = calls_request(plan)
    elif plan.object == "users":
        first = Request("GET", "/v2/users")
    else:
        raise SourceFailed(f"Gong reads calls and users; not {plan.object!r}.")
    newest = plan.since
    async for body in walk(session.http, first, Cursor("records.cursor", "cursor")):
        records = body.get(plan.object) or []
        newest = latest([*records, {CURSOR: newest}], CURSOR)
        yield Page(records)
    if plan.incremental and plan.object == "calls":
        # Gong does not document the order of a page, so the run's latest start is saved
        # once every page is loaded.
        yield Page([], newest)


NOTHING_FOUND = re.compile(r"^no \w+(?: \w+)* found\b", re.IGNORECASE)


def no_calls(response: httpx.Response) -> bool:
    """Gong's "nothing matches": a 404 with its requestId and an errors entry saying no
    <things> were found (calls today; the same words for other lists)."""
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or not isinstance(body.get("requestId"), str):
        return False
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    return any(isinstance(e, str) and NOTHING_FOUND.match(e.strip()) for e in errors)


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Gong reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="GONG_IO",
        auth=_auth,
        read=read,
        # The customer's host comes from the token response; still, only Gong's own hosts.
        domains=("gong.io",),
        budget=Budget(3, 1.0),
        dialect=Dialect(no_data=no_calls),
    )
)
