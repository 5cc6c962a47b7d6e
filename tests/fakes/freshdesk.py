"""A fake Freshdesk helpdesk (`<domain>.freshdesk.com`): API-key auth and the v2 list APIs.

Written from Freshdesk's published API documentation (https://developers.freshdesk.com/api/):
- Authentication: the API key as the Basic user name with "X" as the password; a bad key is
  401 {"code": "invalid_credentials", "message": "You have to be logged in to perform this
  action."}: https://developers.freshdesk.com/api/#authentication
- Pagination: `page` from 1, `per_page` default 30 and at most 100 (more is a validation
  error); the `link` header names the next page, and is absent on the last one:
  https://developers.freshdesk.com/api/#pagination
- Rate limits: every answer carries X-RateLimit-Total, X-RateLimit-Remaining and
  X-RateLimit-Used-CurrentRequest; over the limit is 429 with Retry-After (seconds):
  https://developers.freshdesk.com/api/#ratelimit
- Errors: 400 {"description": "Validation failed", "errors": [{"field", "message", "code"}]},
  an unknown query parameter is `invalid_field`: https://developers.freshdesk.com/api/#error
- List All Tickets: only tickets created in the past 30 days unless `updated_since` is given;
  `order_by` (created_at, due_by, updated_at, status; default created_at) and `order_type`
  (default desc): https://developers.freshdesk.com/api/#list_all_tickets
- List All Contacts, filtered by `_updated_since` (with the leading underscore):
  https://developers.freshdesk.com/api/#list_all_contacts
- List All Companies (no time filter): https://developers.freshdesk.com/api/#list_all_companies
- View Me (the agent the key belongs to): https://developers.freshdesk.com/api/#me
Secondary descriptions consulted for the same shapes:
https://www.withone.ai/knowledge/freshdesk/conn_mod_def%3A%3AGJ2h1djXT5s%3A%3AeiaDKEIhR_yr2HL7E6cGaw
https://raw.githubusercontent.com/api-evangelist/freshdesk/refs/heads/main/rate-limits/freshdesk-rate-limits.yml

Quirks kept: the 30-day default window of the ticket list (a client that never sends
`updated_since` silently misses older tickets); contacts spell the filter `_updated_since`;
`updated_since` keeps records updated at or after the given time; timestamps are
`2024-03-01T00:00:00Z`; the link header is absolute, on the helpdesk's own host.

Hooks: `add_tickets/add_contacts/add_companies([...])`, `per_page_cap` (answer fewer than
asked), `rate_limited(retry_after, times)`, `api_key`, `remaining` (the X-RateLimit count).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.faults import Faults, RecordingMiddleware, SeenRequest
from tests.fakes.oauth import as_utc, basic_credentials, parse_iso

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
TICKET_WINDOW = timedelta(days=30)
RATE_TOTAL = 700
NOT_LOGGED_IN = {
    "code": "invalid_credentials",
    "message": "You have to be logged in to perform this action.",
}


def fd_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def validation_error(field_name: str, message: str, code: str) -> JSONResponse:
    body = {
        "description": "Validation failed",
        "errors": [{"field": field_name, "message": message, "code": code}],
    }
    return JSONResponse(body, status_code=400)


@dataclass
class Listing:
    """What one list endpoint accepts beyond paging: its time filter and sort options."""

    since_param: str | None
    sortable: tuple[str, ...] = ()
    window: timedelta | None = None  # created within this, unless the time filter is given
    extra: tuple[str, ...] = ()  # documented filters the fake accepts and ignores
    records: list[dict[str, Any]] = field(default_factory=list)


class FreshdeskFake:
    """One Freshdesk helpdesk with tickets, contacts and companies."""

    def __init__(self, api_key: str = "fd-api-key", domain: str = "acme") -> None:
        self.api_key = api_key
        self.domain = domain
        self.per_page_cap: int | None = None
        self.remaining = RATE_TOTAL
        self.now = datetime.now(UTC)
        self.me = {"id": 19000000001, "contact": {"name": "Ada Agent", "email": "ada@acme.io"}}
        self.listings = {
            "tickets": Listing(
                "updated_since",
                ("created_at", "due_by", "updated_at", "status"),
                window=TICKET_WINDOW,
                extra=("filter", "requester_id", "email", "company_id", "include"),
            ),
            "contacts": Listing(
                "_updated_since", extra=("email", "mobile", "phone", "company_id", "state")
            ),
            "companies": Listing(None),
        }
        self._next_id = 1
        self.requests: list[SeenRequest] = []
        self.faults = Faults()
        routes = [Route("/api/v2/agents/me", self._me)]
        routes += [Route(f"/api/v2/{name}", self._list) for name in self.listings]
        self.starlette = Starlette(routes=routes)
        self.app = RecordingMiddleware(self.starlette, self.requests, self.faults)

    # ---- seeding and hooks --------------------------------------------------------------

    def add_tickets(self, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        defaults = {"status": 2, "priority": 1, "requester_id": 1, "company_id": None}
        return self._add("tickets", tickets, defaults)

    def add_contacts(self, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("contacts", contacts, {"company_id": None, "active": True})

    def add_companies(self, companies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("companies", companies, {"domains": []})

    def rate_limited(self, retry_after: int = 1, times: int = 1) -> None:
        """The account used up its API calls for the window: 429 with Retry-After."""
        body = {"message": "You have exceeded the limit of requests per hour"}
        headers = {
            "X-RateLimit-Total": str(RATE_TOTAL),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Used-CurrentRequest": "1",
            "Retry-After": str(retry_after),
        }
        self.faults.add(429, body, headers=headers, path="/api/v2/", times=times)

    def _add(
        self, name: str, rows: list[dict[str, Any]], defaults: dict[str, Any]
    ) -> list[dict[str, Any]]:
        stored = []
        for row in rows:
            record = {**defaults, **row}
            record.setdefault("id", self._new_id())
            record.setdefault("updated_at", self.now)
            record.setdefault("created_at", record["updated_at"])
            for key in ("created_at", "updated_at"):
                record[key] = as_utc(record[key])
            self.listings[name].records.append(record)
            stored.append(record)
        return stored

    def _new_id(self) -> int:
        self._next_id += 1
        return 19000000000 + self._next_id

    # ---- routes -------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        given = basic_credentials(request)
        return given is not None and secrets.compare_digest(given[0], self.api_key)

    def _rate_headers(self, used: int = 1) -> dict[str, str]:
        # Every call, failed ones too, counts against the account's window.
        self.remaining = max(0, self.remaining - used)
        return {
            "X-RateLimit-Total": str(RATE_TOTAL),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used-CurrentRequest": str(used),
        }

    async def _me(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse(NOT_LOGGED_IN, status_code=401)
        return JSONResponse(self.me, headers=self._rate_headers())

    async def _list(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse(NOT_LOGGED_IN, status_code=401)
        name = request.url.path.rsplit("/", 1)[-1]
        listing = self.listings[name]
        query = request.query_params
        problem = self._check_params(listing, query)
        if problem is not None:
            return problem
        rows = self._select(listing, query)
        per_page = int(query.get("per_page", DEFAULT_PER_PAGE))
        size = min(per_page, self.per_page_cap) if self.per_page_cap else per_page
        page = int(query.get("page", "1"))
        chunk = rows[(page - 1) * size : page * size]
        headers = self._rate_headers()
        if page * size < len(rows):
            following = {**dict(query), "page": str(page + 1)}
            url = f"{str(request.base_url).rstrip('/')}{request.url.path}?{urlencode(following)}"
            headers["link"] = f'<{url}>; rel="next"'
        return JSONResponse([self._shape(r) for r in chunk], headers=headers)

    def _check_params(self, listing: Listing, query: Any) -> Response | None:
        allowed = {"page", "per_page", *listing.extra}
        if listing.since_param:
            allowed.add(listing.since_param)
        if listing.sortable:
            allowed |= {"order_by", "order_type"}
        for name in query:
            if name not in allowed:
                return validation_error(
                    name, "Unexpected/invalid field in request", "invalid_field"
                )
        per_page = query.get("per_page", str(DEFAULT_PER_PAGE))
        if not per_page.isdigit() or not 0 < int(per_page) <= MAX_PER_PAGE:
            message = "It should be a Positive Number less than or equal to 100"
            return validation_error("per_page", message, "invalid_value")
        if not query.get("page", "1").isdigit() or int(query.get("page", "1")) < 1:
            return validation_error("page", "It should be a Positive Number", "invalid_value")
        if query.get("order_by", "created_at") not in (listing.sortable or ("created_at",)):
            message = f"It should be one of these values: '{','.join(listing.sortable)}'"
            return validation_error("order_by", message, "invalid_value")
        if listing.since_param and listing.since_param in query:
            try:
                parse_iso(query[listing.since_param])
            except ValueError:
                message = "It should be in the 'valid date time' format"
                return validation_error(listing.since_param, message, "invalid_value")
        return None

    def _select(self, listing: Listing, query: Any) -> list[dict[str, Any]]:
        rows = list(listing.records)
        since = query.get(listing.since_param) if listing.since_param else None
        if since:
            floor = parse_iso(since)
            rows = [r for r in rows if r["updated_at"] >= floor]
        elif listing.window is not None:
            rows = [r for r in rows if r["created_at"] >= self.now - listing.window]
        if listing.sortable:
            key = query.get("order_by", "created_at")
            descending = query.get("order_type", "desc") == "desc"
            rows.sort(key=lambda r: (r.get(key) is None, r.get(key), r["id"]), reverse=descending)
        else:
            rows.sort(key=lambda r: r["id"])
        return rows

    @staticmethod
    def _shape(record: dict[str, Any]) -> dict[str, Any]:
        return {k: fd_time(v) if isinstance(v, datetime) else v for k, v in record.items()}
