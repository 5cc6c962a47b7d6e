"""A fake Gong company: its OAuth server and the calls and users APIs.

Written from Gong's published documentation:
- List calls (GET /v2/calls, fromDateTime and toDateTime required, ISO-8601; calls that
  started on or after fromDateTime and before toDateTime; `cursor`; 404 when no call matches):
  https://help.gong.io/apidocs/retrieve-call-data-by-date-range-v2calls-2
- List users (GET /v2/users, `cursor`, `includeAvatars`):
  https://help.gong.io/apidocs/list-all-users-v2users
- Cursors, limits and errors (100 records a page with `records.totalRecords`,
  `currentPageSize`, `currentPageNumber` and `cursor` only while more remain; 3 calls a
  second and 10,000 a day, 429 with Retry-After; errors as {"requestId", "errors": [...]}):
  https://help.gong.io/apidocs/introduction-2
  https://visioneers.gong.io/developers-79/gong-api-pagination-limit-1036
- OAuth (generate-customer-token with Basic client auth, `api_base_url_for_customer`,
  single-use refresh tokens): tests/fakes/oauth_vendors.py's GongOAuth, extended here so the
  customer's API base is this fake's own address.
  https://help.gong.io/docs/create-an-app-for-gong

Quirks kept: ids are numeric strings of up to 20 digits; the cursor is a JWT-looking token
that expires; `records.currentPageNumber` counts from 0; an empty date range is a 404, not an
empty list; Gong API keys (Basic access key:secret) work as well as OAuth tokens.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import AccessToken, RefreshToken, VendorFake, as_utc, basic_credentials
from tests.fakes.oauth_vendors import REDIRECT, GongOAuth

PAGE_SIZE = 100


def gong_error(status: int, *messages: str, headers: dict[str, str] | None = None):
    body = {"requestId": secrets.token_hex(10), "errors": list(messages)}
    return JSONResponse(body, status_code=status, headers=headers)


def gong_time(value: datetime | str) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class GongCustomerOAuth(GongOAuth):
    """Gong's token server, naming this fake (or `api_base`, when set) as the customer API."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(api_base="", **kwargs)

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["api_base_url_for_customer"] = self.api_base or str(request.base_url).rstrip("/")
        return payload


class GongFake(VendorFake):
    """A Gong company with calls and users.

    Hooks: `add_calls([...])` (each with `started` as datetime or ISO text; ids filled in),
    `add_users([...])`, `add_api_key(key, secret)`, `page_size` (100 by default),
    `rate_limited(retry_after, times)`, `expire_cursors()`, and the OAuth server's
    `issue_tokens`, `expire_access_token`, `revoke_grant`.
    """

    def __init__(
        self,
        client_id: str = "gong-client-id",
        client_secret: str = "gong-client-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = GongCustomerOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.calls: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.api_keys: dict[str, str] = {}
        self.page_size = PAGE_SIZE
        # cursor -> (kind, the result it pages through, where the next page starts)
        self.cursors: dict[str, tuple[str, list[dict[str, Any]], int]] = {}
        self.workspace_id = "6286478263646371069"
        super().__init__(oauth, self._routes())
        self.oauth: GongCustomerOAuth = oauth

    # ---- seeding and hooks --------------------------------------------------------------

    def _new_id(self) -> str:
        return str(secrets.randbelow(10**19) + 10**18)

    def add_calls(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for raw in calls:
            started = as_utc(raw.get("started") or datetime.now(UTC))
            call_id = str(raw.get("id") or self._new_id())
            call = {
                "id": call_id,
                "url": f"https://app.gong.io/call?id={call_id}",
                "title": None,
                "scheduled": gong_time(started),
                "direction": "Conference",
                "system": "Zoom",
                "scope": "External",
                "media": "Video",
                "language": "eng",
                "workspaceId": self.workspace_id,
                "duration": 1800,
                "primaryUserId": None,
                **raw,
                "started": gong_time(started),
            }
            self.calls = [c for c in self.calls if c["id"] != call_id] + [call]
            stored.append(call)
        return stored

    def add_users(self, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for raw in users:
            user = {
                "id": str(raw.get("id") or self._new_id()),
                "emailAddress": None,
                "created": gong_time(datetime.now(UTC)),
                "active": True,
                "firstName": None,
                "lastName": None,
                "title": None,
                **raw,
            }
            self.users.append(user)
            stored.append(user)
        return stored

    def add_api_key(self, key: str, secret: str) -> None:
        self.api_keys[key] = secret

    def rate_limited(self, retry_after: int = 1, times: int = 1) -> None:
        body = {"requestId": secrets.token_hex(10), "errors": ["API rate limit exceeded"]}
        headers = {"Retry-After": str(retry_after)}
        self.faults.add(429, body=body, headers=headers, path="/v2/", times=times)

    def expire_cursors(self) -> None:
        self.cursors.clear()

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [Route("/v2/calls", self._list_calls), Route("/v2/users", self._list_users)]

    def _auth(self, request: Request) -> Response | None:
        basic = basic_credentials(request)
        if basic is not None:
            allowed = self.api_keys.get(basic[0]) == basic[1]
        else:
            allowed = self.oauth.check_bearer(request)[0] is not None
        return None if allowed else gong_error(401, "Unauthorized: invalid or expired credentials")

    async def _list_calls(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        params = request.query_params
        if "cursor" in params:
            return self._next_page(params["cursor"], "calls")
        try:
            start = as_utc(params["fromDateTime"])
            end = as_utc(params["toDateTime"])
        except KeyError as missing:
            return gong_error(400, f"{missing.args[0]} is required")
        except ValueError:
            return gong_error(400, "fromDateTime and toDateTime must be ISO-8601 date-times")
        matching = [c for c in self.calls if start <= as_utc(c["started"]) < end]
        matching.sort(key=lambda c: (c["started"], c["id"]))
        if not matching:
            return gong_error(404, "No calls found corresponding to the provided filters")
        return self._page("calls", matching, 0)

    async def _list_users(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        cursor = request.query_params.get("cursor")
        if cursor:
            return self._next_page(cursor, "users")
        return self._page("users", list(self.users), 0)

    def _next_page(self, cursor: str, kind: str) -> Response:
        found = self.cursors.get(cursor)
        if found is None or found[0] != kind:
            return gong_error(400, "cursor is invalid or has expired")
        return self._page(kind, found[1], found[2])

    def _page(self, kind: str, rows: list[dict[str, Any]], offset: int) -> Response:
        page = rows[offset : offset + self.page_size]
        records: dict[str, Any] = {
            "totalRecords": len(rows),
            "currentPageSize": len(page),
            "currentPageNumber": offset // self.page_size,
        }
        if offset + self.page_size < len(rows):
            cursor = _jwt_like({"kind": kind, "offset": offset + self.page_size})
            self.cursors[cursor] = (kind, rows, offset + self.page_size)
            records["cursor"] = cursor
        return JSONResponse({"requestId": secrets.token_hex(10), "records": records, kind: page})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _jwt_like(claims: dict[str, Any]) -> str:
    claims = {**claims, "exp": int(time.time()) + 3600, "n": secrets.token_hex(4)}
    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{_b64({'alg': 'HS256'})}.{_b64(claims)}.{signature}"
