"""Mixpanel: the raw event export, JSON lines streamed a date window at a time.

https://developer.mixpanel.com/reference/raw-event-export (from_date/to_date inclusive, UTC,
  JSON lines; data.mixpanel.com, data-eu, data-in)
https://developer.mixpanel.com/reference/service-accounts (Basic, project_id, /api/app/me)
https://help.mixpanel.com/hc/en-us/articles/115004602563 (60 queries an hour, 3 a second)

The export has no pages: each request is a date window whose body is streamed line by line
and loaded in pages, so memory stays flat whatever the window holds. An incremental job
saves the last day it exported once that window is loaded, and starts the next run on that
day again (events still arriving for it are read again; `$insert_id` keys absorb them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from models import settings as config
from workers.sources.auth import KeyAuth, basic
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.paging import json_line
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source

PAGE = 5000
WINDOW_DAYS = 92
FULL_DAYS = 365  # a full run exports the last year
DATA_HOSTS = {"US": "data.mixpanel.com", "EU": "data-eu.mixpanel.com", "IN": "data-in.mixpanel.com"}
APP_HOSTS = {"US": "mixpanel.com", "EU": "eu.mixpanel.com", "IN": "in.mixpanel.com"}


def windows(start: date, end: date) -> list[tuple[date, date]]:
    spans = []
    while start <= end:
        last = min(end, start + timedelta(days=WINDOW_DAYS - 1))
        spans.append((start, last))
        start = last + timedelta(days=1)
    return spans


def first_day(plan: ReadPlan, today: date) -> date:
    if plan.incremental and plan.since:
        return date.fromisoformat(str(plan.since))
    return today - timedelta(days=FULL_DAYS)


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.object != "events":
        raise SourceFailed(f"Mixpanel exports events, not {plan.object!r}.")
    today = datetime.now(UTC).date()
    for start, end in windows(first_day(plan, today), today):
        async for page in _window(session, start, end):
            yield page
        if plan.incremental:
            yield Page([], end.isoformat())


async def _window(session: Session, start: date, end: date) -> AsyncIterator[Page]:
    params = {
        "project_id": session.access.setting("project_id"),
        "from_date": start.isoformat(),
        "to_date": end.isoformat(),
    }
    async with session.http.stream("GET", "/api/2.0/export", params=params) as response:
        batch: list[dict[str, Any]] = []
        async for line in response.aiter_lines():
            if line.strip():
                batch.append(json_line(line, "Mixpanel's export sent a line", "an event"))
            if len(batch) >= PAGE:
                yield Page(batch)
                batch = []
        if batch:
            yield Page(batch)


async def check(session: Session) -> str | None:
    """The service account may read this project: /api/app/me lists its projects."""
    region = str(session.access.setting("region", "US"))
    override = config.current().overrides("MIXPANEL").api_url
    url = (
        "/api/app/me"
        if override
        else f"https://{APP_HOSTS.get(region, APP_HOSTS['US'])}/api/app/me"
    )
    body = await session.http.json("GET", url)
    project = str(session.access.setting("project_id"))
    if project not in (body.get("results") or {}).get("projects", {}):
        raise SourceFailed(f"This service account is not a member of project {project}.")
    return f"project {project}"


async def _sign(request: httpx.Request, secrets: dict[str, str], username: str) -> None:
    request.headers["Authorization"] = basic(username, secrets.get("service_account_secret", ""))


def _auth(access: Access) -> KeyAuth:
    username = str(access.setting("service_account_username", ""))

    async def sign(request: httpx.Request, secrets: dict[str, str]) -> None:
        await _sign(request, secrets, username)

    return KeyAuth(access.connection, access.secrets, sign)


def _values(access: Access) -> dict[str, str]:
    return {"data_host": DATA_HOSTS.get(str(access.setting("region", "US")), DATA_HOSTS["US"])}


SOURCE = register(
    Source(
        key="MIXPANEL",
        auth=_auth,
        read=read,
        domains=("mixpanel.com",),
        api_url="https://{data_host}",
        values=_values,
        budget=Budget(3, 1.0),
        check=check,
    )
)
