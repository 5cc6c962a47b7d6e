"""Microsoft Dynamics 365: the Dataverse Web API (OData v4), paged by `@odata.nextLink`,
incremental on `modifiedon`.

https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/overview
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/page-results
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits

Pages are as large as Dataverse allows (`Prefer: odata.maxpagesize=5000`), the preference
sent again with every next link as the docs ask. An incremental read filters
`modifiedon ge <cursor>` in ascending order, so each page's last `modifiedon` is where a later
run resumes; the boundary rows are read again and the upsert absorbs them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.paging import NextUrl, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

API = "/api/data/v9.2"
CURSOR = "modifiedon"
PAGE_SIZE = 5000  # Dataverse's most; larger preferences are ignored
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "Prefer": f"odata.maxpagesize={PAGE_SIZE}",
}


def query(plan: ReadPlan) -> dict[str, str]:
    """$select of the mapped columns (and modifiedon), $filter and $orderby when incremental."""
    columns = [name.split(".")[0] for name in plan.fields]
    bad = [n for n in [plan.object, *columns] if not NAME.match(n)]
    if bad:
        raise SourceFailed(f"{bad[0]!r} is not a Dataverse table or column name.")
    params = {"$select": ",".join(dict.fromkeys([*columns, CURSOR]))}
    if plan.incremental:
        if plan.since:
            params["$filter"] = f"{CURSOR} ge {instant(plan.since)}"
        params["$orderby"] = f"{CURSOR} asc"
    return params


def instant(value: Any) -> str:
    """A saved modifiedon as an OData DateTimeOffset literal (written bare, no quotes)."""
    text = str(value)
    if not INSTANT.match(text):
        raise SourceFailed(f"The saved cursor {text!r} is not a Dataverse date and time.")
    return text


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("@odata.")}


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    first = Request("GET", f"{API}/{plan.object}", params=query(plan), headers=HEADERS)
    async for body in walk(session.http, first, NextUrl("@odata.nextLink")):
        records = [_record(row) for row in body.get("value") or []]
        yield Page(records, latest(records, CURSOR, plan.since) if plan.incremental else None)


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Dynamics reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="DYNAMICS",
        auth=_auth,
        read=read,
        # Dataverse environments: *.crm*.dynamics.com, and the sovereign clouds' hosts.
        domains=("dynamics.com", "dynamics.cn", "microsoftdynamics.us", "appsplatform.us"),
        # Service protection: 6,000 requests per user in a sliding 5 minutes.
        budget=Budget(20, 1.0),
    )
)
