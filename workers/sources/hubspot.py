"""HubSpot: CRM v3 objects, paged by the `after` cursor; incremental through CRM search.

https://developers.hubspot.com/docs/api/crm/understanding-the-crm (objects, `paging.next.after`)
https://developers.hubspot.com/docs/api/crm/search (filters, sorts, 200 a page, 10,000 cap)
https://developers.hubspot.com/docs/api/crm/properties
https://developers.hubspot.com/docs/api/usage-details (429 with policyName; DAILY waits a day)

A full run lists the object; an incremental run searches it ordered by its last-modified
property from the saved cursor. A search cannot page past 10,000 results, so at the cap the
search starts again from the last modified time it loaded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime
from typing import Any

import httpx

from models.catalog.base import SourceField
from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect
from workers.sources.paging import Cursor, Request, dig, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

LIST_LIMIT = 100
SEARCH_LIMIT = 200
SEARCH_CAP = 10_000
MODIFIED = {"contacts": "lastmodifieddate"}  # the others say hs_lastmodifieddate
TYPES = {"number": "number", "datetime": "datetime", "date": "date", "bool": "boolean"}
LIST_PAGES = Cursor("paging.next.after", "after")
SEARCH_PAGES = Cursor("paging.next.after", "after", in_body=True)


def modified(object_name: str) -> str:
    return MODIFIED.get(object_name, "hs_lastmodifieddate")


def _properties(plan: ReadPlan) -> list[str]:
    names = [f.split(".")[0] for f in plan.fields if f not in {"id", "createdAt", "updatedAt"}]
    return list(dict.fromkeys([*names, modified(plan.object)]))


def _record(row: dict[str, Any]) -> dict[str, Any]:
    extra = {k: row.get(k) for k in ("createdAt", "updatedAt", "archived")}
    return {**row.get("properties", {}), **extra, "id": row["id"]}


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.incremental:
        async for page in _search(session, plan):
            yield page
        return
    first = Request(
        "GET",
        f"/crm/v3/objects/{plan.object}",
        params={"limit": LIST_LIMIT, "properties": ",".join(_properties(plan))},
    )
    async for body in walk(session.http, first, LIST_PAGES):
        yield Page([_record(row) for row in body.get("results", [])])


async def _search(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    since, field = plan.since, modified(plan.object)
    while True:
        started_from, capped = since, False
        first = Request("POST", f"/crm/v3/objects/{plan.object}/search", json=_query(plan, since))
        async with aclosing(walk(session.http, first, SEARCH_PAGES)) as pages:
            async for body in pages:
                records = [_record(row) for row in body.get("results", [])]
                since = latest(records, field, since)
                yield Page(records, since)
                capped = int(dig(body, "paging.next.after") or 0) >= SEARCH_CAP
                if capped:
                    break
        if not capped:
            return
        if since == started_from:
            raise SourceFailed(
                f"More than {SEARCH_CAP} HubSpot {plan.object} share the modified time {since}; "
                "a search cannot page past them. Run the job as FULL instead."
            )


def _query(plan: ReadPlan, since: str | None) -> dict[str, Any]:
    field = modified(plan.object)
    query: dict[str, Any] = {
        "sorts": [{"propertyName": field, "direction": "ASCENDING"}],
        "properties": _properties(plan),
        "limit": SEARCH_LIMIT,
    }
    if since:
        millis = int(datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() * 1000)
        filters = [{"propertyName": field, "operator": "GTE", "value": str(millis)}]
        query["filterGroups"] = [{"filters": filters}]
    return query


async def describe(session: Session, object_name: str) -> list[SourceField]:
    body = await session.http.json("GET", f"/crm/v3/properties/{object_name}")
    described = [
        SourceField(p["name"], TYPES.get(p.get("type", ""), "string"), p.get("label"))
        for p in body.get("results", [])
    ]
    return [SourceField("id", "id", "Record ID"), *described]


def _rate_limited(response: httpx.Response) -> bool:
    """A ten-secondly 429 passes; the daily one does not until tomorrow, so it is no wait."""
    if response.status_code != 429:
        return False
    try:
        policy = response.json().get("policyName")
    except ValueError:
        return True
    return policy != "DAILY"


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "HubSpot reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="HUBSPOT",
        auth=_auth,
        read=read,
        domains=("hubapi.com",),
        # Search allows 5 requests a second per account; the rest 110 per 10 seconds.
        budget=Budget(5, 1.0),
        dialect=Dialect(rate_limited=_rate_limited),
        describe=describe,
    )
)
