"""ServiceNow: the Table API, paged by its Link header, incremental on sys_updated_on.

https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI
https://docs.servicenow.com/bundle/latest/page/use/using-lists/concept/c_EncodedQueryStrings.html
https://docs.servicenow.com/bundle/washingtondc-api-reference/page/integrate/inbound-rest/concept/inbound-REST-API-rate-limiting.html

The instance is the user's own host ({instance}.service-now.com), checked before any request.
Pages are ordered by sys_updated_on then sys_id, as ServiceNow recommends for stable offsets;
the Link header's `next` carries sysparm_offset. Values come raw (sysparm_display_value=false,
UTC dates "YYYY-MM-DD HH:MM:SS") and references as their sys_id
(sysparm_exclude_reference_link), so a mapping reads `caller_id`, not `caller_id.value`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

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
    )
)
