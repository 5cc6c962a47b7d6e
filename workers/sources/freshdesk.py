"""Freshdesk: the v2 list APIs with the API key as the Basic user ("X" the password), paged by
the Link header, incremental on `updated_at`.

https://developers.freshdesk.com/api/#authentication
https://developers.freshdesk.com/api/#pagination
https://developers.freshdesk.com/api/#ratelimit
https://developers.freshdesk.com/api/#list_all_tickets
https://developers.freshdesk.com/api/#list_all_contacts
https://developers.freshdesk.com/api/#list_all_companies

The ticket list returns only tickets created in the last 30 days unless `updated_since` is
given, so every ticket read sends one (the beginning of time for a full read), oldest change
first. Contacts filter on `_updated_since`; companies have no time filter, so they are read
whole each time. The saved key is checked against /api/v2/agents/me when a connection is
saved; a 401 during a run reads the key again once, in case an admin replaced it meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from models.catalog.freshdesk import helpdesk_host
from workers.sources.auth import KeyAuth, basic
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect, error_message
from workers.sources.paging import LinkHeader, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

CURSOR = "updated_at"
PER_PAGE = 100  # Freshdesk's most
EVERYTHING = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class Listing:
    since_param: str | None  # the list's own "updated since" filter, if it has one
    ordered: bool = False  # whether it sorts by updated_at (order_by / order_type)
    always_since: bool = False  # without the filter it leaves records out


LISTINGS = {
    "tickets": Listing("updated_since", ordered=True, always_since=True),
    "contacts": Listing("_updated_since"),
    "companies": Listing(None),
}


def first_request(plan: ReadPlan) -> tuple[Request, Listing]:
    listing = LISTINGS.get(plan.object)
    if listing is None:
        readable = ", ".join(LISTINGS)
        raise SourceFailed(f"Freshdesk reads {readable}; {plan.object!r} is not one of them.")
    params: dict[str, Any] = {"per_page": PER_PAGE}
    since = plan.since if plan.incremental else None
    if listing.since_param and (since or listing.always_since):
        params[listing.since_param] = since or EVERYTHING
    if listing.ordered:
        params |= {"order_by": CURSOR, "order_type": "asc"}
    return Request("GET", f"/api/v2/{plan.object}", params=params), listing


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    first, listing = first_request(plan)
    resumable = plan.incremental and listing.since_param is not None
    async for body in walk(session.http, first, LinkHeader()):
        records: list[dict[str, Any]] = body if isinstance(body, list) else []
        yield Page(records, latest(records, CURSOR, plan.since) if resumable else None)


async def check(session: Session) -> str | None:
    """The key works: the agent it belongs to answers. The helpdesk is the account."""
    await session.http.json("GET", "/api/v2/agents/me")
    return helpdesk_host(session.access.settings).get("helpdesk_host")


def message(response: httpx.Response) -> str:
    """Freshdesk's validation answer names each field: "Validation failed: per_page: ..."."""
    try:
        body = response.json()
    except ValueError:
        return error_message(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return error_message(response)
    parts = [f"{e.get('field')}: {e.get('message')}" for e in errors[:3] if isinstance(e, dict)]
    return f"{body.get('description', 'Validation failed')}: {'; '.join(parts)}"


def _auth(access: Access) -> KeyAuth:
    async def sign(request: httpx.Request, secrets: dict[str, str]) -> None:
        request.headers["Authorization"] = basic(secrets.get("api_key", ""), "X")

    return KeyAuth(access.connection, access.secrets, sign)


SOURCE = register(
    Source(
        key="FRESHDESK",
        auth=_auth,
        read=read,
        domains=("freshdesk.com",),
        # Per-minute limits by plan (50 a minute on trials), shared by the whole account.
        budget=Budget(50, 60.0),
        dialect=Dialect(message=message),
        check=check,
    )
)
