"""SurveyMonkey: surveys, and every survey's responses through the bulk endpoint, paged by
`links.next`, incremental on `date_modified` (start_modified_at).

https://api.surveymonkey.com/v3/docs#pagination
https://api.surveymonkey.com/v3/docs#api-endpoints-get-surveys
https://api.surveymonkey.com/v3/docs#api-endpoints-get-surveys-id-responses-bulk
https://api.surveymonkey.com/v3/docs#request-and-response-limits

The API host is the account's data centre (`access_url` in the token response; see the
catalog). Responses are read survey by survey, each ordered by date_modified; the cursor (the
latest date_modified of the whole run) is saved once every survey's responses are loaded. A
429 carries no Retry-After: the X-Ratelimit-App-Global-Minute-Reset (or -Day-Reset) header
says how many seconds remain, and a wait longer than the framework allows ends the run for a
later retry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from workers.sources.auth import OAuthBearer
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect, retry_after
from workers.sources.paging import NextUrl, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

SURVEYS_PER_PAGE = 1000  # the documented maximum for /v3/surveys
RESPONSES_PER_PAGE = 100  # and for /responses/bulk
CURSOR = "date_modified"
SURVEY_FIELDS = "response_count,date_created,date_modified,language,question_count"


def since_param(value: Any) -> str:
    """2024-04-01T10:00:00+00:00 -> 2024-04-01T10:00:00, the UTC form the filters take."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise SourceFailed(f"The saved cursor {value!r} is not a SurveyMonkey date.") from exc
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _ordered(per_page: int, plan: ReadPlan) -> dict[str, Any]:
    params: dict[str, Any] = {"per_page": per_page, "sort_by": CURSOR, "sort_order": "ASC"}
    if plan.incremental and plan.since:
        params["start_modified_at"] = since_param(plan.since)
    return params


async def surveys(session: Session, plan: ReadPlan) -> AsyncIterator[list[dict[str, Any]]]:
    params = {**_ordered(SURVEYS_PER_PAGE, plan), "include": SURVEY_FIELDS}
    first = Request("GET", "/v3/surveys", params)
    async for body in walk(session.http, first, NextUrl("links.next")):
        yield body.get("data") or []


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    if plan.object == "surveys":
        async for page in surveys(session, plan):
            yield Page(page, latest(page, CURSOR, plan.since) if plan.incremental else None)
    elif plan.object == "responses":
        async for page in responses(session, plan):
            yield page
    else:
        raise SourceFailed(f"SurveyMonkey reads surveys and responses; not {plan.object!r}.")


async def responses(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    every = ReadPlan("surveys", (), None, incremental=False)  # a survey's date does not move
    ids = [s["id"] async for page in surveys(session, every) for s in page]
    newest = plan.since
    for survey_id in ids:
        first = Request(
            "GET", f"/v3/surveys/{survey_id}/responses/bulk", _ordered(RESPONSES_PER_PAGE, plan)
        )
        async for body in walk(session.http, first, NextUrl("links.next")):
            records = body.get("data") or []
            newest = latest([*records, {CURSOR: newest}], CURSOR)
            yield Page(records)
    if plan.incremental:
        yield Page([], newest)  # every survey's responses are loaded: the next run starts here


def rate_limit_wait(response: httpx.Response) -> float | None:
    """Retry-After if sent, else the seconds left in the exhausted minute (or day) window."""
    waited = retry_after(response)
    for window in ("minute", "day"):
        prefix = f"x-ratelimit-app-global-{window}"
        exhausted = response.headers.get(f"{prefix}-remaining") == "0"
        reset = response.headers.get(f"{prefix}-reset", "")
        if waited is None and exhausted and reset.isdigit():
            waited = float(reset)
    return waited


def _auth(access: Access) -> OAuthBearer:
    assert access.connection is not None, "SurveyMonkey reads need the authorized connection"
    return OAuthBearer(access.connection)


SOURCE = register(
    Source(
        key="SURVEYMONKEY",
        auth=_auth,
        read=read,
        # The data centres: api.surveymonkey.com, api.eu.surveymonkey.com, api.surveymonkey.ca.
        domains=("surveymonkey.com", "surveymonkey.ca", "surveymonkey.net"),
        budget=Budget(120, 60.0),  # private and draft apps: 120 requests a minute
        dialect=Dialect(retry_after=rate_limit_wait),
    )
)
