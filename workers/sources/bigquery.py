"""Google BigQuery: a service account's JWT grant, then jobs.query and getQueryResults paged
by `pageToken`.

https://developers.google.com/identity/protocols/oauth2/service-account#httprest
https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query
https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults
https://cloud.google.com/bigquery/docs/reference/rest/v2/tables/list (and tables.get)
https://cloud.google.com/bigquery/docs/error-messages (403 rateLimitExceeded is a rate limit)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from models import settings as config
from models.catalog.base import SourceField
from workers.sources import warehouse
from workers.sources.auth import Minted, SelfMinted
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed, SourceUnavailable
from workers.sources.hosts import check_url
from workers.sources.http import TIMEOUT, Dialect, error_message
from workers.sources.paging import Cursor, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/bigquery.readonly"
PAGE_ROWS = 10_000
POLL_SECONDS = 0.5
MAX_WAIT_SECONDS = 600
PAGES = Cursor("pageToken", "pageToken")


# ---- the service account's token ------------------------------------------------------------


def service_account(access: Access) -> dict[str, Any]:
    try:
        account = json.loads(access.secrets.get("service_account_json", ""))
    except json.JSONDecodeError as exc:
        raise SourceFailed("The service account key is not the JSON file Google gave.") from exc
    if not isinstance(account, dict) or not account.get("client_email"):
        raise SourceFailed("The service account key has no client_email.")
    return account


def token_uri(account: dict[str, Any]) -> str:
    """The operator's token_url override, else the key's own token_uri (on Google's hosts)."""
    override = config.current().overrides("BIGQUERY").token_url
    if override:
        return override
    uri = str(account.get("token_uri") or GOOGLE_TOKEN_URI)
    return check_url(uri, ("googleapis.com",), "service account token_uri")


def _auth(access: Access) -> SelfMinted:
    async def mint() -> Minted:
        account = service_account(access)
        uri = token_uri(account)
        now = int(time.time())
        claims = {"iss": account["client_email"], "scope": SCOPE, "aud": uri}
        claims |= {"iat": now, "exp": now + 3600}
        try:
            assertion = jwt.encode(
                {"alg": "RS256"}, claims, RSAKey.import_key(account["private_key"])
            )
        except (JoseError, ValueError, KeyError) as exc:
            raise SourceFailed("The service account's private_key cannot sign.") from exc
        body = await _grant(uri, assertion)
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        return Minted(headers, now + int(body.get("expires_in", 3600)))

    return SelfMinted(mint)


async def _grant(uri: str, assertion: str) -> dict[str, Any]:
    form = {"grant_type": JWT_GRANT, "assertion": assertion}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(uri, data=form)
    except httpx.TransportError as exc:
        raise SourceUnavailable(f"Google's token endpoint could not be reached ({exc}).") from exc
    if response.status_code >= 500:
        raise SourceUnavailable(f"Google's token endpoint failed: {error_message(response)}")
    if response.status_code != 200:
        raise SourceFailed(f"Google refused the service account: {error_message(response)}")
    return response.json()


# ---- queries --------------------------------------------------------------------------------


def _project(session: Session) -> str:
    return f"/bigquery/v2/projects/{session.access.setting('project_id')}"


async def query(session: Session, sql: str) -> AsyncIterator[list[dict[str, Any]]]:
    body = {
        "query": sql,
        "useLegacySql": False,
        "maxResults": PAGE_ROWS,
        "timeoutMs": 10_000,
        "formatOptions": {"useInt64Timestamp": True},
        "location": session.access.setting("location", "US"),
    }
    answer = await session.http.send("POST", f"{_project(session)}/queries", json=body)
    reference = answer.json().get("jobReference") or {}
    more = Request(
        "GET",
        f"{_project(session)}/queries/{reference.get('jobId')}",
        params={"location": reference.get("location"), "maxResults": PAGE_ROWS},
    )
    answer = await _completed(session, answer, more)
    async for page in walk(session.http, more, PAGES, answered=answer):
        fields = (page.get("schema") or {}).get("fields", [])
        yield [_row(fields, row) for row in page.get("rows") or []]


async def _completed(session: Session, answer: httpx.Response, more: Request) -> httpx.Response:
    """Wait out jobComplete: false by asking getQueryResults again."""
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while not answer.json().get("jobComplete", False):
        if time.monotonic() > deadline:
            raise SourceUnavailable("BigQuery's query job did not finish in time.")
        await asyncio.sleep(POLL_SECONDS)
        answer = await session.http.send("GET", more.url, params=more.params)
    return answer


def _row(fields: list[dict[str, Any]], row: dict[str, Any]) -> dict[str, Any]:
    cells = row.get("f") or []
    return {f["name"]: _value(f, c.get("v")) for f, c in zip(fields, cells, strict=False)}


def _value(field: dict[str, Any], raw: Any) -> Any:
    kind = str(field.get("type", "STRING")).upper()
    if raw is None or not isinstance(raw, str):
        return raw
    if kind in {"INTEGER", "INT64"}:
        return int(raw)
    if kind in {"FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC"}:
        return float(raw)
    if kind in {"BOOLEAN", "BOOL"}:
        return raw.lower() == "true"
    if kind == "TIMESTAMP":
        return dt.datetime.fromtimestamp(int(raw) / 1_000_000, dt.UTC).isoformat()
    return raw


# ---- tables ---------------------------------------------------------------------------------


def _table(session: Session, name: str) -> str:
    pieces = warehouse.parts(name, "table")
    project = str(session.access.setting("project_id"))
    dataset = str(session.access.setting("dataset"))
    full = [project, dataset, *pieces] if len(pieces) == 1 else [project, *pieces]
    return "`" + ".".join(full[-3:]) + "`"


async def _schema(session: Session, table: str) -> list[dict[str, Any]]:
    warehouse.parts(table, "table")
    dataset = session.access.setting("dataset")
    body = await session.http.json("GET", f"{_project(session)}/datasets/{dataset}/tables/{table}")
    return list((body.get("schema") or {}).get("fields", []))


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    names = [f["name"] for f in await _schema(session, plan.object)]
    cursor = warehouse.cursor_column(plan, names)
    picked = warehouse.mapped_columns(plan, names, cursor)
    since = plan.since if cursor else None
    sql = warehouse.select(_table(session, plan.object), picked, cursor, since, "``")
    async for batch in query(session, sql):
        yield Page(batch, latest(batch, cursor, since) if cursor else None)


async def _tables(session: Session, limit: int | None = None) -> list[str]:
    dataset = session.access.setting("dataset")
    first = Request("GET", f"{_project(session)}/datasets/{dataset}/tables", {"maxResults": 1000})
    names: list[str] = []
    async with aclosing(walk(session.http, first, Cursor("nextPageToken", "pageToken"))) as pages:
        async for body in pages:
            names += [t["tableReference"]["tableId"] for t in body.get("tables") or []]
            if limit is not None and len(names) >= limit:
                break
    return names


async def check(session: Session) -> str | None:
    await _tables(session, limit=1)
    return str(session.access.setting("project_id"))


async def list_objects(session: Session) -> list[str]:
    return await _tables(session)


async def describe(session: Session, object_name: str) -> list[SourceField]:
    return [
        SourceField(f["name"], warehouse.field_type(str(f.get("type", "STRING"))))
        for f in await _schema(session, object_name)
    ]


def _rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 403 and "rateLimitExceeded" in response.text


SOURCE = register(
    Source(
        key="BIGQUERY",
        auth=_auth,
        read=read,
        domains=("googleapis.com",),
        budget=Budget(50, 1.0),
        dialect=Dialect(rate_limited=_rate_limited),
        check=check,
        list_objects=list_objects,
        describe=describe,
    )
)
