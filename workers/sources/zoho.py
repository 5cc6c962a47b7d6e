"""Zoho CRM: the records API (v8; v2 and later alike), paged by `page_token`, incremental by
the `If-Modified-Since` header on Modified_Time, at the data centre's `api_domain`.

https://www.zoho.com/crm/developer/docs/api/v8/get-records.html
https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html
https://www.zoho.com/crm/developer/docs/api/v8/multi-dc.html
https://www.zoho.com/crm/developer/docs/api/v8/modules-api.html
https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html

The API host is the token response's `api_domain` (one per data centre), and the token goes
in Zoho's own `Authorization: Zoho-oauthtoken ...` header. Pages follow `next_page_token`,
which also reaches past the 2,000 records that `page` numbers stop at. Zoho writes times in
the org's time zone (`2024-03-01T05:30:00+05:30`), so the newest one is found by comparing
instants, not text. An incremental run asks for records modified after one second before the
cursor (Zoho's "after" is strict; the re-read boundary is absorbed by the upsert); nothing
newer is 304, an empty module 204: both are an empty read.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from models.catalog.base import SourceField
from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed, require_plain_names
from workers.sources.paging import Cursor, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source

CRM = "/crm/v8"
CURSOR = "Modified_Time"
PER_PAGE = 200  # Zoho's most
MAX_FIELDS = 50
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
TYPES = {
    "bigint": "id",
    "datetime": "datetime",
    "date": "date",
    "boolean": "boolean",
    "integer": "integer",
    "currency": "number",
    "double": "number",
    "decimal": "number",
    "percent": "number",
    "multiselectpicklist": "array",
}


def fields_param(plan: ReadPlan) -> str:
    """The API names to ask for (at most 50): each mapping's top-level field and the cursor;
    `id` always comes back."""
    names = [name.split(".")[0] for name in plan.fields if name != "id"]
    wanted = list(dict.fromkeys([*names, CURSOR]))
    require_plain_names([plan.object, *wanted], NAME, "Zoho CRM module or field API name")
    if len(wanted) > MAX_FIELDS:
        raise SourceFailed(f"Zoho CRM returns at most {MAX_FIELDS} fields a request; map fewer.")
    return ",".join(wanted)


def instant(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise SourceFailed(f"{value!r} is not a Zoho CRM date and time.") from exc
    if parsed.tzinfo is None:
        raise SourceFailed(f"{value!r} has no time zone; Zoho CRM always writes one.")
    return parsed


def newest(records: list[dict[str, Any]], since: Any) -> Any:
    """The latest Modified_Time as Zoho wrote it, compared as instants across offsets."""
    values = [r[CURSOR] for r in records if r.get(CURSOR)]
    if since:
        values.append(since)
    return max(values, key=instant, default=None)


def first_request(plan: ReadPlan) -> Request:
    params: dict[str, Any] = {"fields": fields_param(plan), "per_page": PER_PAGE}
    headers: dict[str, str] = {}
    if plan.incremental:
        params |= {"sort_by": CURSOR, "sort_order": "asc"}
        if plan.since:
            moment = instant(plan.since) - timedelta(seconds=1)
            headers["If-Modified-Since"] = moment.isoformat(timespec="seconds")
    return Request("GET", f"{CRM}/{plan.object}", params=params, headers=headers)


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    paging = Cursor("info.next_page_token", "page_token")
    async for body in walk(session.http, first_request(plan), paging):
        records: list[dict[str, Any]] = (body or {}).get("data") or []
        yield Page(records, newest(records, plan.since) if plan.incremental else None)


async def list_objects(session: Session) -> list[str]:
    body = await session.http.json("GET", f"{CRM}/settings/modules")
    return [m["api_name"] for m in body.get("modules", []) if m.get("api_supported")]


async def describe(session: Session, object_name: str) -> list[SourceField]:
    if not NAME.match(object_name):
        raise SourceFailed(f"{object_name!r} is not a Zoho CRM module API name.")
    body = await session.http.json("GET", f"{CRM}/settings/fields", params={"module": object_name})
    return [
        SourceField(
            f["api_name"], TYPES.get(f.get("data_type", ""), "string"), f.get("field_label")
        )
        for f in body.get("fields", [])
    ]


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Zoho reads need the authorized connection"
    return OAuthBearer(access.connection, scheme="Zoho-oauthtoken")


SOURCE = register(
    Source(
        key="ZOHO",
        auth=_auth,
        read=read,
        # `api_domain` names the data centre's API host.
        domains=(
            "zohoapis.com",
            "zohoapis.eu",
            "zohoapis.in",
            "zohoapis.com.au",
            "zohoapis.jp",
            "zohoapis.ca",
            "zohoapis.com.cn",
            "zohoapis.sa",
        ),
        # Concurrency is capped per user and app (10 to 25 by edition); stay under it.
        budget=Budget(10, 1.0),
        list_objects=list_objects,
        describe=describe,
    )
)
