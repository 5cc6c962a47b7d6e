"""A fake Intercom workspace: its OAuth server, the search APIs and the companies scroll.

Written from Intercom's published documentation:
- Search conversations / contacts (POST, `query` with single filters or AND/OR groups, the
  operators = != IN NIN < > ~ !~ ^ $, `pagination.per_page` and `pagination.starting_after`,
  `sort`; timestamps in queries are compared by day, not by second):
  https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Contacts/SearchContacts/
  https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Conversations/searchConversations/
- Pagination (cursor `pages.next.starting_after`, per_page default 20, at most 150; a page
  without `next` is the last one):
  https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination/
  https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Models/cursor_pages/
- Scroll over companies (GET /companies/scroll, `scroll_param`, an empty `data` at the end):
  https://developers.intercom.com/docs/references/rest-api/api.intercom.io/Companies/scrollOverAllCompanies/
- Versioning (the `Intercom-Version` request header; an unknown version is refused):
  https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/api-versioning/
- Rate limiting (X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset as a Unix
  time on every answer; 429 without Retry-After):
  https://intercom-developer-hub.readme.io/reference/rate-limiting
- Errors ({"type": "error.list", "request_id", "errors": [{"code", "message"}]}; 401
  "unauthorized"): https://developers.intercom.com/docs/references/rest-api/errors/http-responses/
- OAuth (tokens that never expire, no refresh token): tests/fakes/oauth_vendors.py's
  IntercomOAuth, reused here.

Quirks kept: `created_at` / `updated_at` are Unix seconds; a search timestamp filter is
floored to the start of its day (UTC), so `updated_at > t` leaves out the rest of t's day;
the 429 carries no Retry-After, only X-RateLimit-Reset.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import VendorFake, as_utc
from tests.fakes.oauth_vendors import REDIRECT, IntercomOAuth

VERSIONS = ("1.0", "1.4", "2.0", "2.6", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "Unstable")
DEFAULT_VERSION = "2.11"
MAX_PER_PAGE = 150
DEFAULT_PER_PAGE = {"conversations": 20, "contacts": 50}
TIMESTAMPS = {"created_at", "updated_at", "last_seen_at", "signed_up_at"}
DAY = 86400
RATE_LIMIT = 1000  # per 10-second window, the documented default spread over 10 seconds


def error_list(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "type": "error.list",
        "request_id": secrets.token_hex(10),
        "errors": [{"code": code, "message": message}],
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _epoch(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    return int(as_utc(value).timestamp())


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "IN": lambda a, b: a in b,
    "NIN": lambda a, b: a not in b,
    "<": lambda a, b: a is not None and a < b,
    ">": lambda a, b: a is not None and a > b,
    "~": lambda a, b: b in str(a or ""),
    "!~": lambda a, b: b not in str(a or ""),
    "^": lambda a, b: str(a or "").startswith(b),
    "$": lambda a, b: str(a or "").endswith(b),
}


class SearchError(Exception):
    pass


class IntercomFake(VendorFake):
    """An Intercom workspace with conversations, contacts and companies.

    Hooks: `add_conversations`, `add_contacts`, `add_companies` (dicts; `updated_at` may be a
    datetime, ISO text or Unix seconds; ids filled in), `rate_limited(reset_in, times)`,
    `versions_seen` (the Intercom-Version of each API request), and the OAuth server's
    `issue_tokens`, `revoke_grant`, `account_id` (the app id_code GET /me names, also the
    records' workspace_id).
    """

    def __init__(
        self,
        client_id: str = "ic-client-id",
        client_secret: str = "ic-client-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = IntercomOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.items: dict[str, list[dict[str, Any]]] = {
            "conversations": [],
            "contacts": [],
            "companies": [],
        }
        self.versions_seen: list[str | None] = []
        self.scrolls: dict[str, int] = {}
        self._next_id = 100
        super().__init__(oauth, self._routes())
        self.oauth: IntercomOAuth = oauth

    @property
    def workspace_id(self) -> str:
        """The app's id_code, which GET /me names; set `oauth.account_id` to change it."""
        return str(self.oauth.account_id)

    # ---- seeding and hooks --------------------------------------------------------------

    def add_conversations(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self._store("conversations", self._conversation(i)) for i in items]

    def add_contacts(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self._store("contacts", self._contact(i)) for i in items]

    def add_companies(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self._store("companies", self._company(i)) for i in items]

    def rate_limited(self, reset_in: int = 1, times: int = 1) -> None:
        headers = self._limit_headers(remaining=0, reset_in=reset_in)
        body = {
            "type": "error.list",
            "request_id": secrets.token_hex(10),
            "errors": [
                {
                    "code": "rate_limit_exceeded",
                    "message": "Exceeded rate limit of 1000 in 10_seconds",
                }
            ],
        }
        self.faults.add(429, body=body, headers=headers, times=times)

    def _stamp(self, item: dict[str, Any]) -> dict[str, Any]:
        body = dict(item)
        if "id" not in body:
            body["id"] = str(self._next_id)
            self._next_id += 1
        now = int(time.time())
        body["updated_at"] = _epoch(body.get("updated_at", now))
        body["created_at"] = _epoch(body.get("created_at", body["updated_at"]))
        return body

    def _conversation(self, item: dict[str, Any]) -> dict[str, Any]:
        body = self._stamp(item)
        body.setdefault("state", "open")
        return {
            "type": "conversation",
            "title": None,
            "open": body["state"] == "open",
            "read": False,
            "priority": "not_priority",
            "waiting_since": None,
            "source": {"type": "conversation", "delivered_as": "customer_initiated"},
            **body,
        }

    def _contact(self, item: dict[str, Any]) -> dict[str, Any]:
        body = self._stamp(item)
        return {
            "type": "contact",
            "workspace_id": self.workspace_id,
            "external_id": None,
            "role": "user",
            "email": None,
            "name": None,
            **body,
        }

    def _company(self, item: dict[str, Any]) -> dict[str, Any]:
        body = self._stamp(item)
        return {
            "type": "company",
            "app_id": self.workspace_id,
            "company_id": body["id"],
            "name": None,
            "website": None,
            **body,
        }

    def _store(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        self.items[kind] = [i for i in self.items[kind] if i["id"] != body["id"]]
        self.items[kind].append(body)
        return body

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/conversations/search", self._search, methods=["POST"]),
            Route("/contacts/search", self._search, methods=["POST"]),
            Route("/companies/scroll", self._scroll),
            Route("/me", self._me),
        ]

    def _limit_headers(self, remaining: int = RATE_LIMIT - 1, reset_in: int = 10) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(time.time()) + reset_in),
        }

    def _gate(self, request: Request) -> Response | None:
        version = request.headers.get("intercom-version")
        self.versions_seen.append(version)
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return error_list(401, "unauthorized", "Access Token Invalid", self._limit_headers())
        if version is not None and version not in VERSIONS:
            return error_list(
                400, "intercom_version_invalid", "The requested version could not be found"
            )
        return None

    def _ok(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(body, headers=self._limit_headers())

    async def _me(self, request: Request) -> Response:
        denied = self._gate(request)
        if denied:
            return denied
        return self._ok(self.oauth.me())

    async def _search(self, request: Request) -> Response:
        denied = self._gate(request)
        if denied:
            return denied
        kind = "conversations" if request.url.path.startswith("/conversations") else "contacts"
        try:
            body = json.loads(await request.body() or b"{}")
            rows = [r for r in self.items[kind] if _matches(r, body.get("query"))]
            rows = _sorted(rows, body.get("sort"))
            pagination = body.get("pagination") or {}
            per_page = min(int(pagination.get("per_page") or DEFAULT_PER_PAGE[kind]), MAX_PER_PAGE)
            offset = _offset(pagination.get("starting_after"))
        except (ValueError, TypeError, SearchError) as err:
            return error_list(400, "parameter_invalid", str(err) or "Invalid search query")
        return self._ok(_search_page(kind, rows, offset, max(per_page, 1)))

    async def _scroll(self, request: Request) -> Response:
        denied = self._gate(request)
        if denied:
            return denied
        param = request.query_params.get("scroll_param")
        if param is not None and param not in self.scrolls:
            return error_list(404, "scroll_parameter_not_found", "scroll parameter not found")
        offset = self.scrolls.pop(param, 0) if param else 0
        page = self.items["companies"][offset : offset + 15]
        new_param = secrets.token_hex(12)
        self.scrolls[new_param] = offset + len(page)
        return self._ok(
            {
                "type": "list",
                "data": page,
                "pages": None,
                "total_count": None,
                "scroll_param": new_param,
            }
        )


def _offset(starting_after: Any) -> int:
    if not starting_after:
        return 0
    try:
        padded = str(starting_after) + "=" * (-len(str(starting_after)) % 4)
        position = json.loads(base64.b64decode(padded))
        return int(position[0])
    except (ValueError, TypeError, IndexError) as exc:
        raise SearchError("starting_after is not a valid cursor") from exc


def _cursor(offset: int, last_id: str) -> str:
    return base64.b64encode(json.dumps([offset, last_id]).encode()).decode().rstrip("=")


def _search_page(kind: str, rows: list[dict[str, Any]], offset: int, per_page: int) -> dict:
    page = rows[offset : offset + per_page]
    number = offset // per_page + 1
    pages: dict[str, Any] = {
        "type": "pages",
        "page": number,
        "per_page": per_page,
        "total_pages": max(1, -(-len(rows) // per_page)),
    }
    if offset + per_page < len(rows):
        pages["next"] = {
            "page": number + 1,
            "starting_after": _cursor(offset + per_page, page[-1]["id"]),
        }
    if kind == "conversations":
        return {
            "type": "conversation.list",
            "conversations": page,
            "total_count": len(rows),
            "pages": pages,
        }
    return {"type": "list", "data": page, "total_count": len(rows), "pages": pages}


def _matches(row: dict[str, Any], query: Any) -> bool:
    if not query:
        return True
    if not isinstance(query, dict) or "operator" not in query:
        raise SearchError("query must have an operator")
    operator = query["operator"]
    if operator in ("AND", "OR"):
        parts = query.get("value")
        if not isinstance(parts, list) or not parts:
            raise SearchError("AND and OR need a list of filters")
        results = [_matches(row, part) for part in parts]
        return all(results) if operator == "AND" else any(results)
    if operator not in OPERATORS:
        raise SearchError(f"operator {operator} is not supported")
    field, value = str(query.get("field", "")), query.get("value")
    actual = _dig(row, field)
    if field in TIMESTAMPS:
        if not isinstance(value, int | float):
            raise SearchError(f"{field} must be compared with a Unix timestamp")
        # Timestamps are indexed as dates: the value is floored to the start of its day.
        value = int(value) // DAY * DAY
        actual = None if actual is None else int(actual) // DAY * DAY
    return OPERATORS[operator](actual, value)


def _dig(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _sorted(rows: list[dict[str, Any]], sort: Any) -> list[dict[str, Any]]:
    if not sort:
        return rows
    field = str(sort.get("field", ""))
    descending = str(sort.get("order", "ascending")).lower() == "descending"
    return sorted(rows, key=lambda r: (_dig(r, field) is None, _dig(r, field)), reverse=descending)


def unix(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())
