"""Salesforce: the REST query API (SOQL, `nextRecordsUrl`), incremental on SystemModstamp.

https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from models.catalog import get_connector
from models.catalog.base import SourceField
from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed, require_plain_names
from workers.sources.paging import NextUrl, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

VERSION = "v60.0"
DATA = f"/services/data/{VERSION}"
CURSOR = "SystemModstamp"  # every sObject has it; it moves on every change, system ones too
NAME = re.compile(r"^[A-Za-z][\w.]*$")
TYPES = {
    "id": "id",
    "reference": "id",
    "datetime": "datetime",
    "date": "date",
    "boolean": "boolean",
    "int": "integer",
    "double": "number",
    "currency": "number",
    "percent": "number",
}


def soql(plan: ReadPlan) -> str:
    require_plain_names([plan.object, *plan.fields], NAME, "Salesforce object or field name")
    fields = list(dict.fromkeys(["Id", *plan.fields, CURSOR]))
    query = f"SELECT {', '.join(fields)} FROM {plan.object}"
    if plan.incremental and plan.since:
        query += f" WHERE {CURSOR} >= {soql_datetime(plan.since)}"
    if plan.incremental:
        query += f" ORDER BY {CURSOR} ASC"
    return query


def soql_datetime(value: str) -> str:
    """2024-01-02T03:04:05.000+0000 -> 2024-01-02T03:04:05Z (SOQL's literal; >= re-reads the
    rest of that second, which the upsert absorbs)."""
    match = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})", str(value))
    if not match:
        raise SourceFailed(f"The saved cursor {value!r} is not a Salesforce dateTime.")
    return match.group(1) + "Z"


def _record(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("attributes", None)
    return row


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    first = Request(
        "GET",
        f"{DATA}/query",
        params={"q": soql(plan)},
        headers={"Sforce-Query-Options": "batchSize=2000"},
    )
    async for body in walk(session.http, first, NextUrl("nextRecordsUrl", done="done")):
        records = [_record(row) for row in body.get("records") or []]
        cursor = latest(records, CURSOR, plan.since) if plan.incremental else None
        yield Page(records, cursor)


async def list_objects(session: Session) -> list[str]:
    body = await session.http.json("GET", f"{DATA}/sobjects")
    return [o["name"] for o in body.get("sobjects", []) if o.get("queryable", True)]


async def describe(session: Session, object_name: str) -> list[SourceField]:
    if not NAME.match(object_name):
        raise SourceFailed(f"{object_name!r} is not a Salesforce object name.")
    body = await session.http.json("GET", f"{DATA}/sobjects/{object_name}/describe")
    return [
        SourceField(f["name"], TYPES.get(f.get("type", ""), "string"), f.get("label"))
        for f in body.get("fields", [])
    ]


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Salesforce reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key=get_connector("SFDC").key,
        auth=_auth,
        read=read,
        # instance_url comes from the token response; still, only Salesforce's own hosts.
        domains=("salesforce.com", "force.com", "cloudforce.com", "database.com"),
        budget=Budget(25, 1.0),
        list_objects=list_objects,
        describe=describe,
    )
)
