"""A fake Pipedrive company (`<company>.pipedrive.com`): OAuth and the v1/v2 list APIs.

The authorization server is tests/fakes/oauth_vendors.py's `PipedriveOAuth` (HTTP Basic client
auth, `api_domain` in the token response); this module adds the API, written from
Pipedrive's published documentation:
- Pagination: v2 lists take `cursor` and `limit` (default 100, at most 500) and answer
  `additional_data.next_cursor` (null at the end); v1 lists take `start` and `limit` and answer
  `additional_data.pagination` {start, limit, more_items_in_collection, next_start}:
  https://pipedrive.readme.io/docs/core-api-concepts-pagination
- v2 Organizations, Persons, Deals, Activities: `updated_since` / `updated_until` (RFC 3339),
  `sort_by` (id, update_time, add_time), `sort_direction` (asc, desc); persons carry `emails`
  and `phones` as lists of {value, primary, label}; times are `2024-03-01T00:00:00Z`:
  https://developers.pipedrive.com/docs/api/v1/Persons#getPersons (v2 tab)
  https://developers.pipedrive.com/docs/api/v1/Organizations#getOrganizations (v2 tab)
  https://pipedrive.readme.io/docs/pipedrive-api-v2
- v1 Notes: `start`, `limit`, `sort` ("update_time ASC"), `updated_since`; v1 times are
  `2024-03-01 00:00:00` (UTC): https://developers.pipedrive.com/docs/api/v1/Notes#getNotes
- Errors: {"success": false, "error": "...", "errorCode": n, "error_info": "..."}; an invalid
  token is 401 "unauthorized access":
  https://pipedrive.readme.io/docs/core-api-concepts-http-status-codes
- Rate limits: x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset (seconds left
  in the 2-second window) on every answer; over the limit is 429:
  https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting

Quirks kept: 429 carries x-ratelimit-reset but no Retry-After; a v2 cursor is opaque; v1 and
v2 write times differently.

Hooks: `add_records(entity, [...])`, `max_limit` (answer fewer than asked),
`over_limit(reset, times)`, and the OAuth server's `issue_tokens`, `expire_access_token`,
`revoke_grant`, `disable_user`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import (
    AccessToken,
    RefreshToken,
    VendorFake,
    as_utc,
    decode_cursor,
    encode_cursor,
    parse_iso,
)
from tests.fakes.oauth_vendors import REDIRECT, PipedriveOAuth

V2_ENTITIES = ("organizations", "persons", "deals", "activities")
V1_ENTITIES = ("notes",)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
WINDOW_LIMIT = 80  # requests per 2-second window for an OAuth token (Essential plan)
ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


def pd_error(status: int, error: str, **extra: Any) -> JSONResponse:
    body = {"success": False, "error": error, "errorCode": status, "error_info": ERROR_INFO}
    return JSONResponse({**body, **extra}, status_code=status, headers=rate_headers())


def rate_headers(remaining: int = WINDOW_LIMIT - 1, reset: int = 2) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(WINDOW_LIMIT),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(reset),
    }


def v2_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S")


class PipedriveApiOAuth(PipedriveOAuth):
    """`api_domain` is this server's own address unless a test names another."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_domain: str | None = None  # type: ignore[assignment]

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["api_domain"] = self.api_domain or str(request.base_url).rstrip("/")
        return payload


class PipedriveFake(VendorFake):
    """One Pipedrive company with organizations, persons, deals, activities and notes."""

    def __init__(
        self,
        client_id: str = "pipedrive-client",
        client_secret: str = "pipedrive-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = PipedriveApiOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.entities: dict[str, list[dict[str, Any]]] = {
            name: [] for name in V2_ENTITIES + V1_ENTITIES
        }
        self.max_limit: int | None = None
        self._next_id = 0
        super().__init__(oauth, self._routes())
        self.oauth: PipedriveApiOAuth = oauth

    # ---- seeding and hooks --------------------------------------------------------------

    def add_records(self, entity: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for row in rows:
            record = dict(row)
            self._next_id += 1
            record.setdefault("id", self._next_id)
            record.setdefault("update_time", datetime.now(UTC))
            record.setdefault("add_time", record["update_time"])
            for name in ("add_time", "update_time"):
                record[name] = as_utc(record[name])
            self.entities[entity].append(record)
            stored.append(record)
        return stored

    def over_limit(self, reset: int = 1, times: int = 1) -> None:
        """The token's requests for the 2-second window are spent: 429, x-ratelimit-reset."""
        self.faults.add(
            429,
            {
                "success": False,
                "error": "Request over limit",
                "errorCode": 429,
                "error_info": ERROR_INFO,
            },
            headers=rate_headers(remaining=0, reset=reset),
            path="/api/",
            times=times,
        )

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/api/v2/{entity:str}", self._v2_list),
            Route("/api/v1/{entity:str}", self._v1_list),
        ]

    def _auth(self, request: Request) -> Response | None:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return pd_error(401, "unauthorized access")
        return None

    async def _v2_list(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        entity = request.path_params["entity"]
        if entity not in V2_ENTITIES:
            return pd_error(404, "Unknown method .")
        query = request.query_params
        try:
            limit = self._limit(query.get("limit", str(DEFAULT_LIMIT)))
            rows = self._v2_rows(entity, query)
            offset = self._cursor(query.get("cursor"))
        except _Invalid as err:
            return pd_error(400, str(err), code="ERR_SCHEMA_VALIDATION_FAILED")
        chunk = rows[offset : offset + limit]
        following = offset + limit
        next_cursor = encode_cursor({"o": following}) if following < len(rows) else None
        body = {
            "success": True,
            "data": [self._shape(entity, r, v2_time) for r in chunk],
            "additional_data": {"next_cursor": next_cursor},
        }
        return JSONResponse(body, headers=rate_headers())

    async def _v1_list(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        entity = request.path_params["entity"]
        if entity not in V1_ENTITIES:
            return pd_error(404, "Unknown method .")
        query = request.query_params
        try:
            limit = self._limit(query.get("limit", str(DEFAULT_LIMIT)))
            start = int(query.get("start", "0"))
            rows = self._v1_rows(entity, query)
        except (_Invalid, ValueError) as err:
            return pd_error(400, str(err))
        chunk = rows[start : start + limit]
        more = start + limit < len(rows)
        pagination: dict[str, Any] = {
            "start": start,
            "limit": limit,
            "more_items_in_collection": more,
        }
        if more:
            pagination["next_start"] = start + limit
        body = {
            "success": True,
            "data": [self._shape(entity, r, v1_time) for r in chunk] or None,
            "additional_data": {"pagination": pagination},
        }
        return JSONResponse(body, headers=rate_headers())

    def _limit(self, raw: str) -> int:
        if not raw.isdigit() or not 0 < int(raw) <= MAX_LIMIT:
            raise _Invalid(f"Parameter 'limit' must be an integer between 1 and {MAX_LIMIT}")
        return min(int(raw), self.max_limit) if self.max_limit else int(raw)

    @staticmethod
    def _cursor(raw: str | None) -> int:
        if raw is None:
            return 0
        decoded = decode_cursor(raw)
        if decoded is None or not isinstance(decoded.get("o"), int):
            raise _Invalid("Invalid cursor")
        return int(decoded["o"])

    def _v2_rows(self, entity: str, query: Any) -> list[dict[str, Any]]:
        rows = list(self.entities[entity])
        for param, keep in (("updated_since", True), ("updated_until", False)):
            if param in query:
                try:
                    bound = parse_iso(query[param])
                except ValueError as exc:
                    raise _Invalid(f"Parameter '{param}' must be an RFC 3339 date-time") from exc
                rows = [r for r in rows if (r["update_time"] >= bound) == keep]
        sort_by = query.get("sort_by", "id")
        if sort_by not in ("id", "update_time", "add_time"):
            raise _Invalid("Parameter 'sort_by' must be one of id, update_time, add_time")
        descending = query.get("sort_direction", "asc") == "desc"
        rows.sort(key=lambda r: (r[sort_by], r["id"]), reverse=descending)
        return rows

    def _v1_rows(self, entity: str, query: Any) -> list[dict[str, Any]]:
        rows = list(self.entities[entity])
        if "updated_since" in query:
            try:
                bound = parse_iso(query["updated_since"])
            except ValueError as exc:
                raise _Invalid("Parameter 'updated_since' is not a valid date-time") from exc
            rows = [r for r in rows if r["update_time"] >= bound]
        for part in reversed(query.get("sort", "id ASC").split(",")):
            name, _, direction = part.strip().partition(" ")
            if name not in ("id", "add_time", "update_time", "content"):
                raise _Invalid(f"Sorting by {name} is not supported")
            rows.sort(key=lambda r: (r.get(name), r["id"]), reverse=direction.upper() == "DESC")
        return rows

    @staticmethod
    def _shape(entity: str, row: dict[str, Any], when: Any) -> dict[str, Any]:
        return {k: when(v) if isinstance(v, datetime) else v for k, v in row.items()}


class _Invalid(Exception):
    pass
