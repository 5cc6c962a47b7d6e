"""Intercom: conversations and contacts through the search APIs (`starting_after` cursors),
companies through the scroll API.

https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination/
https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Contacts/SearchContacts/
https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Conversations/searchConversations/
https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Companies/scrollOverAllCompanies/
https://intercom-developer-hub.readme.io/reference/rate-limiting

Search compares timestamps by day: `updated_at > t` is read as "after the day of t", so an
incremental run asks for `> since - 1 day`, which starts at the beginning of the saved day
(the upsert absorbs what it reads again). Search results come in no documented order, so the
cursor (the greatest `updated_at` seen, Unix seconds) is saved once the whole result is loaded.
A 429 carries no Retry-After, only X-RateLimit-Reset (a Unix time), which is waited out.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect, retry_after
from workers.sources.paging import Request, dig, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

VERSION = "2.11"
PER_PAGE = 150  # the documented maximum
DAY = 86400
SEARCHES = {"conversations": "conversations", "contacts": "data"}  # object -> records key
CURSOR = "updated_at"


@dataclass(frozen=True)
class SearchCursor:
    """`pages.next.starting_after` goes back inside the body's `pagination`."""

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Any:
        after = dig(body, "pages.next.starting_after")
        if not after:
            return None
        pagination = {**(request.json or {}).get("pagination", {}), "starting_after": after}
        return request.with_json(pagination=pagination), str(after)


@dataclass(frozen=True)
class Scroll:
    """The scroll ends with an empty page; its parameter may stay the same all along, so the
    repeat check counts pages instead."""

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Any:
        param = body.get("scroll_param") if isinstance(body, dict) else None
        if not param or not body.get("data"):
            return None
        state["pages"] = state.get("pages", 0) + 1
        return request.with_params(scroll_param=param), f"{param}#{state['pages']}"


def search_request(plan: ReadPlan) -> Request:
    since = int(plan.since or 0) if plan.incremental else 0
    query = {"field": CURSOR, "operator": ">", "value": max(0, since - DAY)}
    body = {"query": query, "pagination": {"per_page": PER_PAGE}}
    return Request("POST", f"/{plan.object}/search", json=body)


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.object in SEARCHES:
        first, paging, key = search_request(plan), SearchCursor(), SEARCHES[plan.object]
    elif plan.object == "companies":
        first, paging, key = Request("GET", "/companies/scroll"), Scroll(), "data"
    else:
        raise SourceFailed(
            f"Intercom reads conversations, contacts and companies; not {plan.object!r}."
        )
    newest = plan.since
    async for body in walk(session.http, first, paging):
        records = body.get(key) or []
        newest = latest([*records, {CURSOR: newest}], CURSOR)
        yield Page(records)
    if plan.incremental:
        yield Page([], newest)  # the whole result is loaded: the next run starts here


def rate_limit_wait(response: httpx.Response) -> float | None:
    """Retry-After when there is one, else until X-RateLimit-Reset (a Unix time)."""
    waited = retry_after(response)
    reset = response.headers.get("x-ratelimit-reset", "")
    if waited is None and reset.isdigit():
        waited = max(0.0, int(reset) - time.time())
    return waited


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Intercom reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="INTERCOM",
        auth=_auth,
        read=read,
        domains=("intercom.io",),
        # Search endpoints allow 1,000 requests a minute per workspace.
        budget=Budget(16, 1.0),
        dialect=Dialect(retry_after=rate_limit_wait),
        headers={"Intercom-Version": VERSION, "Accept": "application/json"},
    )
)
