"""A fake Zendesk Support subdomain: OAuth, API-token auth and the incremental export API.

Written from Zendesk's published documentation:
- OAuth authorization code and refresh token grants (/oauth/authorizations/new,
  /oauth/tokens, PKCE, expires_in and refresh_token_expires_in):
  https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/
  https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token
- OAuth token records and revocation (DELETE /api/v2/oauth/tokens/{id}, .../current.json):
  https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/
  https://developer.zendesk.com/documentation/api-basics/authentication/revoking-oauth-token
- API token Basic auth ({email}/token:{api_token}):
  https://developer.zendesk.com/api-reference/introduction/security-and-auth/#api-token
- Incremental exports (cursor-based tickets and users, time-based organizations, 1000 per
  page, end_of_stream, the last minute excluded, 10 requests a minute, Retry-After):
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
  https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
- Rate limits (429 with Retry-After, X-Rate-Limit headers):
  https://developer.zendesk.com/api-reference/introduction/rate-limits

Quirks kept: items changed within the minute before the request are left out; a start_time
that is not far enough in the past gets 422 {"error": "InvalidValue", "description": "Too
recent start_time..."}; time-based pages end at the last item's timestamp, so the next page
repeats items that share it (the documented duplicates); the 429 body is plain text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import (
    AccessToken,
    OAuthServer,
    RefreshToken,
    VendorFake,
    as_utc,
    basic_credentials,
    decode_cursor,
    encode_cursor,
)

PER_PAGE = 1000
RATE_LIMIT_TEXT = "Number of allowed API requests per minute exceeded"
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": (
        "The access token provided is expired, revoked, malformed or invalid for other reasons."
    ),
}


def zd_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Item:
    """One exported resource; `ts` is what the export orders by (generated_timestamp)."""

    id: int
    ts: int
    body: dict[str, Any] = field(default_factory=dict)


class ZendeskOAuth(OAuthServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth/authorizations/new",
            token_path="/oauth/tokens",
            client_auth=("client_secret_post",),
            token_body=("json", "form"),
            access_ttl=172800,
            vendor_name="Zendesk",
            **kwargs,
        )
        self.refresh_ttl = 2592000

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "bearer",
            "scope": access.grant.scope or "read",
            "expires_in": int(self.access_ttl),
        }
        if refresh is not None:
            payload["refresh_token"] = refresh.token
            payload["refresh_token_expires_in"] = self.refresh_ttl
        return payload


class ZendeskFake(VendorFake):
    """A Zendesk subdomain with tickets, users and organizations to export.

    Hooks: `add_tickets`, `add_users`, `add_organizations` (each item a dict with an
    `updated_at` datetime), `add_api_token(email, token)`, `rate_limited(retry_after)`,
    `min_start_age` (seconds a start_time must be in the past), and the OAuth server's
    `revoke_grant`, `disable_user`, `expire_access_token`, `issue_tokens`.
    """

    def __init__(
        self,
        subdomain: str = "acme",
        client_id: str = "zd-client-id",
        client_secret: str = "zd-client-secret",
        redirect_uri: str = "http://127.0.0.1:8000/oauth/callback",
        rotate_refresh: bool = True,
    ) -> None:
        oauth = ZendeskOAuth(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            rotate_refresh=rotate_refresh,
        )
        self.subdomain = subdomain
        self.api_tokens: dict[str, str] = {}
        self.items: dict[str, list[Item]] = {"tickets": [], "users": [], "organizations": []}
        self.min_start_age = 60
        self._next_id = 1
        super().__init__(oauth, self._routes())

    # ---- seeding and hooks --------------------------------------------------------------

    def add_tickets(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("tickets", items)

    def add_users(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("users", items)

    def add_organizations(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("organizations", items)

    def _add(self, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for raw in items:
            updated = as_utc(raw.get("updated_at") or datetime.now(UTC))
            body = {**raw, "id": raw.get("id", self._next_id)}
            self._next_id = max(self._next_id, int(body["id"])) + 1
            body["updated_at"] = zd_time(updated)
            body["created_at"] = zd_time(as_utc(raw.get("created_at") or updated))
            if kind == "tickets":
                body["generated_timestamp"] = int(updated.timestamp())
            self.items[kind].append(Item(int(body["id"]), int(updated.timestamp()), body))
            stored.append(body)
        return stored

    def add_api_token(self, email: str, token: str) -> None:
        self.api_tokens[email] = token

    def rate_limited(self, retry_after: int = 1, times: int = 1, path: str = "/api/v2/") -> None:
        headers = {"Retry-After": str(retry_after), "Content-Type": "text/plain"}
        self.faults.add(429, body=RATE_LIMIT_TEXT, headers=headers, path=path, times=times)

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        routes = [
            Route(
                "/api/v2/oauth/tokens/current.json", self._current_token, methods=["GET", "DELETE"]
            ),
            Route(
                "/api/v2/oauth/tokens/{token_id:int}.json", self._token_by_id, methods=["DELETE"]
            ),
        ]
        for suffix in ("", ".json"):
            routes += [
                Route(f"/api/v2/incremental/tickets/cursor{suffix}", self._cursor_export),
                Route(f"/api/v2/incremental/users/cursor{suffix}", self._cursor_export),
                Route(f"/api/v2/incremental/organizations{suffix}", self._time_export),
            ]
        return routes

    def _auth(self, request: Request) -> Response | None:
        basic = basic_credentials(request)
        if basic is not None:
            login, secret = basic
            email, _, kind = login.partition("/")
            if kind == "token" and self.api_tokens.get(email) == secret:
                return None
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        token, why = self.oauth.check_bearer(request)
        if token is not None:
            return None
        if why == "missing":
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        return JSONResponse(INVALID_TOKEN, status_code=401)

    async def _current_token(self, request: Request) -> Response:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return JSONResponse(INVALID_TOKEN, status_code=401)
        if request.method == "DELETE":
            token.revoked = True
            return Response(status_code=204)
        return JSONResponse({"token": self._token_record(request, token)})

    async def _token_by_id(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        wanted = request.path_params["token_id"]
        for token in self.oauth.access_tokens.values():
            if token.id == wanted and not token.revoked:
                token.revoked = True
                return Response(status_code=204)
        return JSONResponse(
            {"error": "RecordNotFound", "description": "Not found"}, status_code=404
        )

    def _token_record(self, request: Request, token: AccessToken) -> dict[str, Any]:
        return {
            "id": token.id,
            "token": token.token[:10] + "...",
            "scopes": (token.grant.scope or "read").split(),
            "expires_at": zd_time(datetime.fromtimestamp(token.expires_at, UTC)),
            "url": f"{str(request.base_url).rstrip('/')}/api/v2/oauth/tokens/{token.id}.json",
        }

    # ---- incremental exports ------------------------------------------------------------

    def _start_time_error(self, request: Request) -> tuple[int | None, Response | None]:
        raw = request.query_params.get("start_time")
        if raw is None or not raw.lstrip("-").isdigit():
            body = {"error": "InvalidValue", "description": "start_time is required"}
            return None, JSONResponse(body, status_code=400)
        start = int(raw)
        if start > time.time() - self.min_start_age:
            description = (
                f"Too recent start_time. Use a start_time older than {self.min_start_age} seconds"
            )
            return None, JSONResponse(
                {"error": "InvalidValue", "description": description}, status_code=422
            )
        return start, None

    async def _cursor_export(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        kind = "tickets" if "/tickets/" in request.url.path else "users"
        per_page = min(int(request.query_params.get("per_page", PER_PAGE)), PER_PAGE)
        cursor = request.query_params.get("cursor")
        if cursor:
            position = decode_cursor(cursor)
            if position is None:
                body = {"error": "InvalidCursor", "description": "cursor is invalid"}
                return JSONResponse(body, status_code=400)
            after = (int(position["ts"]), int(position["id"]))
        else:
            start, error = self._start_time_error(request)
            if error:
                return error
            after = (int(start or 0), -1)
        return JSONResponse(self._cursor_page(request, kind, after, per_page))

    def _cursor_page(
        self, request: Request, kind: str, after: tuple[int, int], per_page: int
    ) -> dict[str, Any]:
        horizon = time.time() - 60  # the minute before the request is left out
        ordered = sorted(self.items[kind], key=lambda i: (i.ts, i.id))
        pending = [i for i in ordered if (i.ts, i.id) > after and i.ts <= horizon]
        page = pending[:per_page]
        last = (page[-1].ts, page[-1].id) if page else after
        after_cursor = encode_cursor({"ts": last[0], "id": last[1]})
        base = f"{str(request.base_url).rstrip('/')}/api/v2/incremental/{kind}/cursor.json"
        body: dict[str, Any] = {
            kind: [i.body for i in page],
            "after_cursor": after_cursor,
            "after_url": f"{base}?cursor={after_cursor}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(pending) <= per_page,
        }
        if page:
            before = encode_cursor({"ts": page[0].ts, "id": page[0].id - 1})
            body["before_cursor"] = before
            body["before_url"] = f"{base}?cursor={before}"
        return body

    async def _time_export(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        start, error = self._start_time_error(request)
        if error:
            return error
        per_page = min(int(request.query_params.get("per_page", PER_PAGE)), PER_PAGE)
        horizon = time.time() - 60
        ordered = sorted(self.items["organizations"], key=lambda i: (i.ts, i.id))
        pending = [i for i in ordered if int(start or 0) <= i.ts <= horizon]
        page = pending[:per_page]
        if len(pending) > per_page:
            # Items sharing the last timestamp all come along, or paging could never move on.
            page += [i for i in pending[per_page:] if i.ts == page[-1].ts]
        end_time = page[-1].ts if page else int(start or 0)
        base = f"{str(request.base_url).rstrip('/')}/api/v2/incremental/organizations.json"
        return JSONResponse(
            {
                "organizations": [i.body for i in page],
                "count": len(page),
                "end_time": end_time,
                "next_page": f"{base}?start_time={end_time}",
                "end_of_stream": len(page) < per_page,
            }
        )
