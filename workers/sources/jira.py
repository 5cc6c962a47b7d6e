"""Jira Cloud through Atlassian's API gateway: JQL search paged by `nextPageToken`, projects
and users paged by `startAt`.

https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
  (GET /rest/api/3/search/jql: jql, fields, maxResults, nextPageToken, isLast)
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/
https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ (429 with Retry-After)
https://confluence.atlassian.com/spaces/JIRA052/pages/314448708/__JQL+Date+Time+Formats
https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated

JQL refuses unbounded searches, so every search is bounded by `updated >=` (the epoch for a
full run, the saved cursor for an incremental one) and ordered by `updated`. A quoted JQL
date is read to the minute in the searching user's time zone, which the cursor (written in
UTC) does not know; an unquoted number is milliseconds after the epoch, the same instant in
every zone. So the bound is the cursor in epoch milliseconds: nothing is skipped for a user
west of UTC, nothing re-read for one east of it, and only the issues of the cursor's own
millisecond come again (absorbed by the upsert).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from models.catalog.base import SourceField
from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.paging import Cursor, Offset, Paging, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

API = "/rest/api/3"
SEARCH_SIZE = 100
LIST_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SEARCH_PAGES = Cursor("nextPageToken", "nextPageToken", done="isLast")
LISTS: dict[str, tuple[str, str, Paging]] = {
    "projects": (
        f"{API}/project/search",
        "values",
        Offset("startAt", LIST_SIZE, "values", "isLast"),
    ),
    "users": (f"{API}/users/search", "", Offset("startAt", LIST_SIZE, "")),
}
TYPES = {"number": "number", "datetime": "datetime", "date": "date", "string": "string"}


def jql(plan: ReadPlan) -> str:
    since = jql_time(plan.since) if plan.incremental and plan.since else 0
    return f"updated >= {since} ORDER BY updated ASC"


def jql_time(value: str) -> int:
    """2024-03-01T10:15:42.000+0000 -> 1709288142000: epoch milliseconds, unquoted in JQL,
    so the user's time zone does not move it."""
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError as exc:
        raise SourceFailed(f"The saved cursor {value!r} is not a Jira timestamp.") from exc
    return (moment - EPOCH) // timedelta(milliseconds=1)  # exact: no float rounding


def _flat(value: Any) -> Any:
    """Jira's small objects (status, project, assignee) as the name a person knows them by."""
    if isinstance(value, dict):
        for key in ("name", "displayName", "key", "value"):
            if key in value:
                return value[key]
    return value


def _issue(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: _flat(value) for name, value in (row.get("fields") or {}).items()}
    return {**fields, "id": row["id"], "key": row.get("key")}


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.object == "issues":
        async for page in _issues(session, plan):
            yield page
        return
    if plan.object not in LISTS:
        raise SourceFailed(f"Jira reads issues, projects and users, not {plan.object!r}.")
    path, where, paging = LISTS[plan.object]
    first = Request("GET", path, params={"startAt": 0, "maxResults": LIST_SIZE})
    async for body in walk(session.http, first, paging):
        yield Page(list(body.get(where) or []) if where else list(body))


async def _issues(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    wanted = {f.split(".")[0] for f in plan.fields} - {"id", "key"}
    params = {
        "jql": jql(plan),
        "fields": ",".join(sorted(wanted | {"updated"})),
        "maxResults": SEARCH_SIZE,
    }
    async for body in walk(session.http, Request("GET", f"{API}/search/jql", params), SEARCH_PAGES):
        issues = [_issue(row) for row in body.get("issues") or []]
        yield Page(issues, latest(issues, "updated", plan.since) if plan.incremental else None)


async def describe(session: Session, object_name: str) -> list[SourceField]:
    if object_name != "issues":
        raise SourceFailed("Jira describes the fields of issues only.")
    body = await session.http.json("GET", f"{API}/field")
    described = [
        SourceField(
            f["id"], TYPES.get((f.get("schema") or {}).get("type", ""), "string"), f["name"]
        )
        for f in body
    ]
    return [SourceField("id", "id", "Issue ID"), SourceField("key", "string", "Key"), *described]


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "Jira reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="JIRA",
        auth=_auth,
        read=read,
        domains=("api.atlassian.com",),
        budget=Budget(10, 1.0),
        describe=describe,
    )
)
