"""Zuora: OAuth client credentials, then ZOQL through the query actions, incremental on
UpdatedDate.

https://developer.zuora.com/v1-api-reference/api/operation/createToken
https://developer.zuora.com/v1-api-reference/api/actions/action_postquery.md
https://developer.zuora.com/v1-api-reference/api/operation/Action_POSTqueryMore

What is its own:
- The token comes from `POST /oauth/token` with the connection's client id and secret (no
  refresh token). It is sealed into the connection like other tokens, with its expiry, and
  renewed a minute before it runs out or when a call answers 401. Its expiry is kept inside
  the sealed set, not in `token_expires_at`, so the refresh sweep (refresh tokens) leaves it.
- ZOQL keywords must be lower case and there is no `order by`: rows come in no time order,
  so the cursor (the greatest UpdatedDate) is saved only once the whole result is read.
  The next run asks `UpdatedDate >= that second` (ZOQL literals carry no milliseconds); the
  upsert absorbs the rows read twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from models import credentials
from models.catalog import get_connector
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed, SourceUnavailable, require_plain_names
from workers.sources.http import TIMEOUT, error_message
from workers.sources.paging import Request, Step, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, api_base

CURSOR = "UpdatedDate"
BATCH = 2000
MARGIN = 60.0  # renew this many seconds before the token expires
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CONNECTOR = get_connector("ZUORA")


class ClientCredentials:
    """A Zuora OAuth token: reused while valid (from the vault), minted when it is not."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.token: str | None = None
        self.expires_at = 0.0
        if access.connection is not None:
            held = credentials.tokens(access.connection)
            self.token = held.get("access_token")
            self.expires_at = float(held.get("expires_at") or 0)

    async def apply(self, request: httpx.Request) -> None:
        if not self.token or self.expires_at - MARGIN < time.time():
            await self._mint()
        request.headers["Authorization"] = f"Bearer {self.token}"

    async def renew(self) -> bool:
        await self._mint()
        return True

    async def _mint(self) -> None:
        form = {
            "client_id": str(self.access.setting("client_id", "")),
            "client_secret": self.access.secrets.get("client_secret", ""),
            "grant_type": "client_credentials",
        }
        url = api_base(SOURCE, self.access) + "/oauth/token"
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                answer = await http.post(url, data=form)
        except httpx.TransportError as exc:
            raise SourceUnavailable(f"Zuora's token endpoint could not be reached: {exc}") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise SourceUnavailable(f"Zuora's token endpoint said: {error_message(answer)}")
        if answer.status_code != 200:
            raise SourceFailed(f"Zuora refused the OAuth client: {error_message(answer)}")
        body = answer.json()
        self.token = str(body["access_token"])
        self.expires_at = time.time() + float(body.get("expires_in") or 3600)
        await self._store()

    async def _store(self) -> None:
        """Seal the token beside the client secret; a concurrent writer's newer one wins."""
        connection = self.access.connection
        if connection is None or self.token is None:
            return
        values = {"access_token": self.token, "expires_at": str(self.expires_at)}
        sealed = {**(connection.secrets or {}), **credentials.sealed_tokens(connection, values)}
        await credentials.replace_if_version(connection, connection.credential_version, sealed)


@dataclass(frozen=True)
class QueryMore:
    """`done: false` names a `queryLocator` that queryMore takes for the next batch."""

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        locator = body.get("queryLocator")
        if body.get("done", True) or not locator:
            return None
        following = Request("POST", "/v1/action/queryMore", json={"queryLocator": locator})
        return following, str(locator)


def zoql(plan: ReadPlan) -> str:
    require_plain_names([plan.object, *plan.fields], NAME, "Zuora object or field name")
    fields = list(dict.fromkeys(["Id", *plan.fields, CURSOR]))
    query = f"select {', '.join(fields)} from {plan.object}"
    if plan.incremental and plan.since:
        query += f" where {CURSOR} >= '{zoql_datetime(str(plan.since))}'"
    return query


def zoql_datetime(value: str) -> str:
    """2024-01-02T03:04:05.000-08:00 -> 2024-01-02T03:04:05-08:00: the documented literal."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SourceFailed(f"The saved cursor {value!r} is not a Zuora dateTime.") from exc
    return parsed.replace(microsecond=0).isoformat()


def newest(rows: list[dict[str, Any]], current: str | None) -> str | None:
    """The greatest UpdatedDate, compared as instants (they carry the tenant's offset)."""
    values = [str(r[CURSOR]) for r in rows if r.get(CURSOR)] + ([current] if current else [])
    return max(values, key=lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), default=None)


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    first = Request(
        "POST", "/v1/action/query", json={"queryString": zoql(plan), "conf": {"batchSize": BATCH}}
    )
    greatest: str | None = str(plan.since) if plan.since else None
    async for body in walk(session.http, first, QueryMore()):
        rows = list(body.get("records") or [])
        greatest = newest(rows, greatest) if plan.incremental else None
        last = body.get("done", True) or not body.get("queryLocator")
        # No order by in ZOQL: only the end of the result says where the next run starts.
        yield Page(rows, greatest if last else None)


async def check(session: Session) -> str | None:
    query = {"queryString": "select Id from Account", "conf": {"batchSize": 1}}
    await session.http.json("POST", "/v1/action/query", json=query)
    return None


SOURCE = register(
    Source(
        key=CONNECTOR.key,
        auth=ClientCredentials,
        read=read,
        domains=("zuora.com",),
        budget=Budget(50, 1.0),  # 50,000 API requests a minute per tenant; stay well under
        check=check,
    )
)
