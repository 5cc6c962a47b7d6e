"""ServiceNow: the Table API, paged by its Link header, incremental on sys_updated_on.

https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI
https://docs.servicenow.com/bundle/latest/page/use/using-lists/concept/c_EncodedQueryStrings.html
https://docs.servicenow.com/bundle/washingtondc-api-reference/page/integrate/inbound-rest/concept/inbound-REST-API-rate-limiting.html
https://docs.servicenow.com/bundle/latest/page/administer/reference-pages/reference/r_TablesAndClasses.html
https://docs.servicenow.com/bundle/latest/page/administer/data-dictionary-tables/concept/c_SystemDictionary.html

The instance is the user's own host ({instance}.service-now.com), checked before any request.
Pages are ordered by sys_updated_on then sys_id, as ServiceNow recommends for stable offsets;
the Link header's `next` carries sysparm_offset. Values come raw (sysparm_display_value=false,
UTC dates "YYYY-MM-DD HH:MM:SS") and references as their sys_id
(sysparm_exclude_reference_link), so a mapping reads `caller_id`, not `caller_id.value`.

Source objects are the instance's tables (sys_db_object); a table's fields are its
dictionary entries (sys_dictionary) and those of every table it extends (incident extends
task), a child's entry winning over its parent's: both read through the same Table API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from models.catalog.base import SourceField
from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.paging import LinkHeader, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

PAGE_SIZE = 1000  # the default 10000 is documented as heavy on the instance
CURSOR = "sys_updated_on"
TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD = re.compile(r"^[a-z][a-z0-9_.]*$")  # dot-walking (caller_id.email) is allowed
SN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def encoded_query(plan: ReadPlan) -> str:
    """`sys_updated_on>=<since>^ORDERBYsys_updated_on^ORDERBYsys_id`: >= re-reads the rest of
    the cursor's second, which the upsert absorbs, so a change in that second is not lost."""
    parts = []
    if plan.incremental and plan.since:
        if not SN_TIME.match(str(plan.since)):
            raise SourceFailed(f"The saved cursor {plan.since!r} is not a ServiceNow date-time.")
        parts.append(f"{CURSOR}>={plan.since}")
    return "^".join([*parts, f"ORDERBY{CURSOR}", "ORDERBYsys_id"])


def table_request(plan: ReadPlan) -> Request:
    bad = [n for n in plan.fields if not FIELD.match(n)]
    if not TABLE.match(plan.object) or bad:
        what = bad[0] if bad else plan.object
        raise SourceFailed(f"{what!r} is not a ServiceNow table or field name.")
    fields = dict.fromkeys(["sys_id", *plan.fields, CURSOR])
    params = {
        "sysparm_query": encoded_query(plan),
        "sysparm_fields": ",".join(fields),
        "sysparm_limit": PAGE_SIZE,
        "sysparm_display_value": "false",
        "sysparm_exclude_reference_link": "true",
    }
    return Request("GET", f"/api/now/table/{plan.object}", params=params)


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    async for body in walk(session.http, table_request(plan), LinkHeader()):
        records = body.get("result") or []
        yield Page(records, latest(records, CURSOR, plan.since) if plan.incremental else None)


# internal_type -> the catalog's field types; the rest (string, choice, html...) are strings.
TYPES = {
    "GUID": "id",
    "reference": "id",
    "glide_date_time": "datetime",
    "due_date": "datetime",
    "glide_date": "date",
    "boolean": "boolean",
    "integer": "integer",
    "longint": "integer",
    "decimal": "number",
    "float": "number",
    "currency": "number",
    "price": "number",
}
MAX_DEPTH = 10  # task -> incident is two; a deeper chain is a broken dictionary


async def _rows(session: Session, table: str, query: str, fields: str) -> list[dict[str, Any]]:
    params = {
        "sysparm_query": query,
        "sysparm_fields": fields,
        "sysparm_limit": PAGE_SIZE,
        "sysparm_exclude_reference_link": "true",
    }
    first = Request("GET", f"/api/now/table/{table}", params=params)
    rows: list[dict[str, Any]] = []
    async for body in walk(session.http, first, LinkHeader()):
        rows += body.get("result") or []
    return rows


async def list_objects(session: Session) -> list[str]:
    rows = await _rows(session, "sys_db_object", "ORDERBYname", "name")
    return [r["name"] for r in rows if r.get("name")]


async def _lineage(session: Session, table: str) -> list[str]:
    """The table and those it extends, nearest first."""
    lineage: list[str] = []
    query = f"name={table}"
    while query and len(lineage) < MAX_DEPTH:
        found = await _rows(session, "sys_db_object", query, "name,super_class")
        if not found:
            break
        lineage.append(found[0]["name"])
        parent = found[0].get("super_class") or ""
        query = f"sys_id={parent}" if parent else ""
    return lineage


async def describe(session: Session, object_name: str) -> list[SourceField]:
    if not TABLE.match(object_name):
        raise SourceFailed(f"{object_name!r} is not a ServiceNow table name.")
    lineage = await _lineage(session, object_name)
    if not lineage:
        raise SourceFailed(f"ServiceNow has no table {object_name!r}.")
    query = f"nameIN{','.join(lineage)}^elementISNOTEMPTY^ORDERBYelement"
    entries = await _rows(
        session, "sys_dictionary", query, "name,element,column_label,internal_type"
    )
    nearest: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: -lineage.index(e["name"])):
        nearest[entry["element"]] = entry  # the child's entry, read last, wins
    return [
        SourceField(name, TYPES.get(e.get("internal_type", ""), "string"), e.get("column_label"))
        for name, e in sorted(nearest.items())
    ]


async def probe(session: Session) -> str:
    """One row of sys_db_object: cheap, authenticated, and X-Total-Count says how many tables
    the instance has (listing them all would take pages)."""
    params = {"sysparm_limit": 1, "sysparm_fields": "name"}
    response = await session.http.send("GET", "/api/now/table/sys_db_object", params=params)
    return f"{response.headers.get('X-Total-Count', 'some')} tables on the instance"


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "ServiceNow reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="SERVICENOW",
        auth=_auth,
        read=read,
        domains=("service-now.com",),
        # Limits are rules each instance sets per hour; this keeps one connection polite.
        budget=Budget(20, 1.0),
        list_objects=list_objects,
        describe=describe,
        probe=probe,
    )
)
