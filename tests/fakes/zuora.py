"""A fake Zuora tenant: OAuth client credentials and the ZOQL query actions.

Written from Zuora's published documentation:
- Create an OAuth token (`POST /oauth/token`, form body client_id, client_secret,
  grant_type=client_credentials; no Authorization header; answer with access_token,
  token_type "bearer", expires_in 3599, scope, jti; rate limited by IP with 429):
  https://developer.zuora.com/v1-api-reference/api/operation/createToken
- Authentication (Bearer token on every call; Zuora-Entity-Ids for multi-entity):
  https://docs.zuora.com/en/zuora-platform/data/aggregate-query-api-aqua/aqua-api-introduction/authentication
- Base URLs per environment (rest.zuora.com, rest.apisandbox.zuora.com, rest.eu.zuora.com,
  rest.sandbox.eu.zuora.com): https://developer.zuora.com/v1-api-reference/ (API servers)
- Query (`POST /v1/action/query` with `queryString`, `conf.batchSize` 1..2000; ZOQL keywords
  must be lower case; at most 2000 records a call; fields with NULL values are left out):
  https://developer.zuora.com/v1-api-reference/api/actions/action_postquery.md
- QueryMore (`POST /v1/action/queryMore` with `queryLocator`; `done`, `size`, `records`;
  cursors expire after 15 minutes): https://developer.zuora.com/v1-api-reference/api/operation/Action_POSTqueryMore
- ZOQL dateTime literals (ISO 8601, seconds optional, no milliseconds in the examples, an
  offset or Z optional, else the tenant's time zone):
  https://knowledgecenter.zuora.com/Central_Platform/Query/Export_ZOQL/F_Filter_Statements
- Rate limits (per tenant; the RateLimit-Limit/-Remaining/-Reset headers of the IETF draft):
  https://developer.zuora.com/docs/guides/rate-limits

Quirks kept: `expires_in` is 3599, not 3600; ZOQL has no `order by`, so rows come in storage
order, not by UpdatedDate; dateTimes come back in the tenant's time zone (Pacific by default)
as `2024-01-02T03:04:05.000-08:00`; an upper-case keyword is refused; null fields are absent.

Not confirmed by the docs, so chosen here: the error bodies of the query actions
(`{"faultcode": "fns:...", "faultstring": ...}`, the SOAP-style fault the actions are known to
pass through), `{"message": "Authentication error"}` with 401 for a bad bearer token, the
429 body, and Retry-After (sent only when a test scripts it with `rate_limited`).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import AccessToken, OAuthServer, RefreshToken, VendorFake

MAX_BATCH = 2000
PACIFIC = timezone(timedelta(hours=-8))
ZOQL = re.compile(
    r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<obj>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?\s*$",
    re.DOTALL,
)
CLAUSE = re.compile(r"^\s*(?P<field>\w+)\s*(?P<op>>=|<=|!=|>|<|=)\s*(?P<value>'[^']*'|\S+)\s*$")
UPPER_KEYWORDS = re.compile(r"\b(SELECT|FROM|WHERE|AND|OR|Select|From|Where|And|Or)\b")
OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
OBJECTS = {
    "Account": "Id Name AccountNumber Status Balance CreatedDate UpdatedDate",
    "Subscription": "Id Name AccountId Status TermEndDate CreatedDate UpdatedDate",
    "Invoice": "Id InvoiceNumber AccountId Amount Status CreatedDate UpdatedDate",
}
AUTH_ERROR = {"message": "Authentication error"}
RATE_LIMIT_BODY = {"message": "You have exceeded the request limit; retry later."}


class ZoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def fault(code: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"faultcode": f"fns:{code}", "faultstring": message}, status_code=status)


class ZuoraOAuth(OAuthServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth/authorize",  # Zuora has none; the route is never used
            token_path="/oauth/token",
            client_auth=("client_secret_post",),
            token_body=("form",),
            grant_types=("client_credentials",),
            issue_refresh=False,
            access_ttl=3600,
            vendor_name="Zuora",
            redirect_uri="",
            **kwargs,
        )

    def new_access_token(self) -> str:
        return secrets.token_hex(16)

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        return {
            "access_token": access.token,
            "expires_in": int(self.access_ttl) - 1,  # 3599, as the docs show
            "jti": secrets.token_hex(16),
            "scope": f"user.{secrets.token_hex(16)} tenant.19 service.echo.read",
            "token_type": "bearer",
        }


@dataclass
class Locator:
    rows: list[dict[str, Any]]
    offset: int
    batch: int


class ZuoraFake(VendorFake):
    """A Zuora tenant with Account, Subscription and Invoice.

    Hooks: `add_records(obj, [...])` (Id and the dates filled in when missing; UpdatedDate a
    datetime), `tenant_tz`, `expire_locators()`, `rate_limited(times, retry_after)`, and the
    OAuth server's `expire_access_token` and `token_requests`.
    """

    def __init__(self, client_id: str = "zuora-client", client_secret: str = "zuora-secret"):
        oauth = ZuoraOAuth(client_id=client_id, client_secret=client_secret)
        self.records: dict[str, list[dict[str, Any]]] = {name: [] for name in OBJECTS}
        self.locators: dict[str, Locator] = {}
        self.tenant_tz = PACIFIC
        routes = [
            Route("/v1/action/query", self._query, methods=["POST"]),
            Route("/v1/action/queryMore", self._query_more, methods=["POST"]),
        ]
        super().__init__(oauth, routes)

    # ---- seeding and hooks --------------------------------------------------------------

    def add_records(self, obj: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for row in rows:
            item = dict(row)
            item.setdefault("Id", "2c9" + secrets.token_hex(14))
            item.setdefault("UpdatedDate", datetime.now(UTC))
            item.setdefault("CreatedDate", item["UpdatedDate"])
            self.records[obj].append(item)
            stored.append(item)
        return stored

    def expire_locators(self) -> None:
        self.locators.clear()

    def rate_limited(self, times: int = 1, retry_after: int | None = None) -> None:
        headers = {"RateLimit-Limit": "50000", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        self.faults.add(429, body=RATE_LIMIT_BODY, headers=headers, path="/v1/", times=times)

    # ---- routes -------------------------------------------------------------------------

    async def _query(self, request: Request) -> Response:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return JSONResponse(AUTH_ERROR, status_code=401)
        body = _json(await request.body())
        try:
            _, rows, fields = self._run(str(body.get("queryString", "")))
        except ZoqlError as err:
            return fault(err.code, str(err))
        shaped = [self._shape(row, fields) for row in rows]
        return self._page(Locator(shaped, 0, _batch(body)))

    async def _query_more(self, request: Request) -> Response:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return JSONResponse(AUTH_ERROR, status_code=401)
        body = _json(await request.body())
        locator = self.locators.pop(str(body.get("queryLocator", "")), None)
        if locator is None:
            return fault("INVALID_VALUE", "invalid queryLocator")
        if "conf" in body:
            locator.batch = _batch(body)
        return self._page(locator)

    def _page(self, locator: Locator) -> Response:
        chunk = locator.rows[locator.offset : locator.offset + locator.batch]
        locator.offset += len(chunk)
        done = locator.offset >= len(locator.rows)
        answer: dict[str, Any] = {"records": chunk, "size": len(chunk), "done": done}
        if not done:
            name = secrets.token_hex(16) + f"-{locator.offset}"
            self.locators[name] = locator
            answer["queryLocator"] = name
        return JSONResponse(answer)

    # ---- ZOQL ---------------------------------------------------------------------------

    def _run(self, zoql: str) -> tuple[str, list[dict[str, Any]], list[str]]:
        if UPPER_KEYWORDS.search(zoql):
            raise ZoqlError("MALFORMED_QUERY", "You have an error in your ZOQL syntax")
        match = ZOQL.match(zoql)
        if match is None:
            raise ZoqlError("MALFORMED_QUERY", "You have an error in your ZOQL syntax")
        obj = next((o for o in OBJECTS if o.lower() == match["obj"].lower()), None)
        if obj is None:
            raise ZoqlError("INVALID_TYPE", f"invalid object for query: {match['obj']}")
        fields = [self._field(obj, f.strip()) for f in match["fields"].split(",")]
        rows = list(self.records[obj])
        for clause in re.split(r"\s+and\s+", match["where"] or "") if match["where"] else []:
            rows = self._where(obj, rows, clause)
        return obj, rows, fields

    def _field(self, obj: str, name: str) -> str:
        for known in OBJECTS[obj].split():
            if known.lower() == name.lower():
                return known
        raise ZoqlError("INVALID_FIELD", f"invalid field for query: {obj}.{name}")

    def _where(self, obj: str, rows: list[dict[str, Any]], clause: str) -> list[dict[str, Any]]:
        match = CLAUSE.match(clause)
        if match is None:
            raise ZoqlError("MALFORMED_QUERY", f"You have an error in your ZOQL syntax: {clause}")
        field = self._field(obj, match["field"])
        literal = match["value"].strip("'")
        kept = []
        for row in rows:
            value = row.get(field)
            if value is None:
                continue
            wanted: Any = literal
            if isinstance(value, datetime):
                wanted = self._datetime(literal)
            elif isinstance(value, int | float):
                wanted = float(literal)
            if OPS[match["op"]](value, wanted):
                kept.append(row)
        return kept

    def _datetime(self, literal: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(literal.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ZoqlError("INVALID_VALUE", f"invalid dateTime value: {literal}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.tenant_tz)

    def _shape(self, row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        shaped: dict[str, Any] = {}
        for name in fields:
            value = row.get(name)
            if value is None:
                continue  # "Fields with NULL values are not returned in the response."
            if isinstance(value, datetime):
                local = value.astimezone(self.tenant_tz)
                value = local.isoformat(timespec="milliseconds")
            shaped[name] = value
        return shaped


def _json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _batch(body: dict[str, Any]) -> int:
    conf = body.get("conf") or {}
    size = int(conf.get("batchSize") or MAX_BATCH)
    return max(1, min(size, MAX_BATCH))
