"""Microsoft Dynamics 365: the Dataverse Web API (OData v4), paged by `@odata.nextLink`,
incremental on `modifiedon`.

https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/overview
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/page-results
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/web-api-properties

Pages are as large as Dataverse allows (`Prefer: odata.maxpagesize=5000`), the preference
sent again with every next link as the docs ask. An incremental read filters
`modifiedon ge <cursor>` in ascending order, so each page's last `modifiedon` is where a later
run resumes; the boundary rows are read again and the upsert absorbs them.

Source objects are the environment's tables by entity set name (what a read addresses),
from EntityDefinitions; their fields are the table's readable Attributes, a lookup named as
the Web API returns it (`_parentcustomerid_value`, not `parentcustomerid`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from models.catalog.base import SourceField
from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed, require_plain_names
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
    require_plain_names([plan.object, *columns], NAME, "Dataverse table or column name")
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


# AttributeType -> the catalog's field types; the rest (String, Memo, Picklist...) are strings.
TYPES = {
    "Uniqueidentifier": "id",
    "DateTime": "datetime",
    "Boolean": "boolean",
    "Integer": "integer",
    "BigInt": "integer",
    "Decimal": "number",
    "Double": "number",
    "Money": "number",
    "Lookup": "id",
    "Customer": "id",
    "Owner": "id",
}
LOOKUPS = {"Lookup", "Customer", "Owner"}  # read as _<name>_value


async def _tables(session: Session) -> list[dict[str, Any]]:
    params = {"$select": "LogicalName,EntitySetName,IsPrivate"}
    body = await session.http.json(
        "GET", f"{API}/EntityDefinitions", params=params, headers=HEADERS
    )
    return [t for t in body.get("value") or [] if t.get("EntitySetName") and not t.get("IsPrivate")]


async def list_objects(session: Session) -> list[str]:
    return sorted(t["EntitySetName"] for t in await _tables(session))


async def describe(session: Session, object_name: str) -> list[SourceField]:
    if not NAME.match(object_name):
        raise SourceFailed(f"{object_name!r} is not a Dataverse table name.")
    tables = {t["EntitySetName"]: t["LogicalName"] for t in await _tables(session)}
    logical = tables.get(object_name)
    if logical is None:
        raise SourceFailed(f"Dataverse has no table with the entity set {object_name!r}.")
    params = {"$select": "LogicalName,AttributeType,DisplayName,IsValidForRead"}
    body = await session.http.json(
        "GET",
        f"{API}/EntityDefinitions(LogicalName='{logical}')/Attributes",
        params=params,
        headers=HEADERS,
    )
    return [_field(a) for a in body.get("value") or [] if a.get("IsValidForRead", True)]


def _field(attribute: dict[str, Any]) -> SourceField:
    kind = attribute.get("AttributeType") or ""
    name = attribute["LogicalName"]
    label = ((attribute.get("DisplayName") or {}).get("UserLocalizedLabel") or {}).get("Label")
    return SourceField(
        f"_{name}_value" if kind in LOOKUPS else name, TYPES.get(kind, "string"), label
    )


async def probe(session: Session) -> str:
    """WhoAmI: one small authenticated call (the table listing is far larger)."""
    body = await session.http.json("GET", f"{API}/WhoAmI", headers=HEADERS)
    return f"organization {body.get('OrganizationId')}, user {body.get('UserId')}"


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
        list_objects=list_objects,
        describe=describe,
        probe=probe,
    )
)
