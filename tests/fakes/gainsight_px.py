"""A fake Gainsight PX subscription: the REST API's users, accounts and feature-match events.

Written from Gainsight PX's published documentation:
- REST API reference (base URLs per data centre, `X-APTRINSIC-API-KEY`, page handling):
  https://px-apidocs.gainsight.com/ (old: https://gainsightpx.docs.apiary.io/)
- Working with the REST API (default pageSize 25, scrollId, ~200 requests a second):
  https://support.gainsight.com/PX/API_for_Developers/02Usage_of_Different_APIs/Work_with_the_Gainsight_PX_REST_API
- Paging advice from a Gainsight engineer ("scroll until the returned list is smaller than the
  requested size; do not depend on the scrollId becoming null"):
  https://gist.github.com/rterakedis (gainsight-px-api-paging-example.py)
- Response keys (`users`, `accounts`, `featureMatchEvents`, `scrollId`, `totalHits`) and the
  `filter=field>value;field<=value` syntax as a public client uses them:
  https://github.com/Widen/tap-gainsightpx (tap_gainsightpx/streams.py, client.py)

What the fake follows: `GET /v1/users`, `/v1/accounts`, `/v1/events/feature_match`; the API key
in `X-APTRINSIC-API-KEY`; `pageSize` (default 25); a `scrollId` in every list answer, also on
the last page (the quirk above), which the next request passes back to get the next slice of
the same result; `totalHits`; `filter` clauses joined by `;` with `> >= < <= =` on a field;
`sort=field` ascending; dates as epoch milliseconds.

Not confirmed by the docs, so chosen here: the largest pageSize (1000, larger asks are cut),
the error body shape (`{"status", "error", "message"}`), 401 for a missing or unknown key,
400 for an unknown scrollId, and the 429 body; the docs name no Retry-After, so the fake
sends none unless a test scripts one with `rate_limited(retry_after=...)`.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.faults import Faults, RecordingMiddleware, SeenRequest

DEFAULT_PAGE = 25
MAX_PAGE = 1000
HEADER = "x-aptrinsic-api-key"
# path -> (records key in the answer, id field)
COLLECTIONS = {
    "/v1/users": ("users", "aptrinsicId"),
    "/v1/accounts": ("accounts", "id"),
    "/v1/events/feature_match": ("featureMatchEvents", "eventId"),
}
FILTER = re.compile(r"^(?P<field>\w+)(?P<op>>=|<=|>|<|=)(?P<value>.+)$")
OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
}


def px_error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "error": error, "message": message}, status_code=status)


def epoch_ms(value: float | None = None) -> int:
    return int((time.time() if value is None else value) * 1000)


@dataclass
class Scroll:
    rows: list[dict[str, Any]]
    offset: int
    page_size: int


class GainsightPXFake:
    """A Gainsight PX subscription.

    Hooks: `add_users`, `add_accounts`, `add_feature_events` (dicts; ids and dates filled in
    when missing), `api_keys` (the keys that work), `rate_limited(times, retry_after)`,
    `expire_scrolls()`.
    """

    def __init__(self, api_key: str = "px-key-1") -> None:
        self.api_keys = {api_key}
        self.data: dict[str, list[dict[str, Any]]] = {path: [] for path in COLLECTIONS}
        self.scrolls: dict[str, Scroll] = {}
        self.requests: list[SeenRequest] = []
        self.faults = Faults()
        routes = [Route(path, self._list) for path in COLLECTIONS]
        self.app = RecordingMiddleware(Starlette(routes=routes), self.requests, self.faults)

    # ---- seeding and hooks --------------------------------------------------------------

    def add_users(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("/v1/users", rows, "lastModifiedDate")

    def add_accounts(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("/v1/accounts", rows, "lastModifiedDate")

    def add_feature_events(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._add("/v1/events/feature_match", rows, "date")

    def _add(self, path: str, rows: list[dict[str, Any]], date_field: str) -> list[dict[str, Any]]:
        id_field = COLLECTIONS[path][1]
        stored = []
        for row in rows:
            item = dict(row)
            item.setdefault(id_field, secrets.token_hex(8))
            item.setdefault(date_field, epoch_ms())
            if path == "/v1/users":
                item.setdefault("identifyId", item[id_field])
                item.setdefault("lastSeenDate", item[date_field])
            self.data[path].append(item)
            stored.append(item)
        return stored

    def rate_limited(self, times: int = 1, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"status": 429, "error": "Too Many Requests", "message": "Rate limit exceeded"}
        self.faults.add(429, body=body, headers=headers, path="/v1/", times=times)

    def expire_scrolls(self) -> None:
        self.scrolls.clear()

    # ---- routes -------------------------------------------------------------------------

    async def _list(self, request: Request) -> Response:
        if request.headers.get(HEADER) not in self.api_keys:
            return px_error(401, "Unauthorized", "Invalid or missing API key")
        try:
            page_size = self._page_size(request)
        except ValueError:
            return px_error(400, "Bad Request", "pageSize must be a positive number")
        scroll_id = request.query_params.get("scrollId")
        if scroll_id:
            scroll = self.scrolls.get(scroll_id)
            if scroll is None:
                return px_error(400, "Bad Request", "Invalid or expired scrollId")
            scroll.page_size = page_size
        else:
            try:
                rows = self._select(request)
            except (ValueError, KeyError) as err:
                return px_error(400, "Bad Request", f"Invalid filter or sort: {err}")
            scroll_id = secrets.token_urlsafe(24)
            scroll = self.scrolls[scroll_id] = Scroll(rows, 0, page_size)
        return self._page(request.url.path, scroll_id, scroll)

    def _page_size(self, request: Request) -> int:
        size = int(request.query_params.get("pageSize", DEFAULT_PAGE))
        if size < 1:
            raise ValueError(size)
        return min(size, MAX_PAGE)

    def _select(self, request: Request) -> list[dict[str, Any]]:
        rows = list(self.data[request.url.path])
        for clause in filter(None, request.query_params.get("filter", "").split(";")):
            match = FILTER.match(clause.strip())
            if match is None:
                raise ValueError(clause)
            rows = [r for r in rows if _compare(r, match["field"], match["op"], match["value"])]
        sort = request.query_params.get("sort")
        if sort:
            descending = sort.startswith("-")
            field = sort.lstrip("-")
            rows.sort(key=lambda r: (r.get(field) is None, r.get(field)), reverse=descending)
        return rows

    def _page(self, path: str, scroll_id: str, scroll: Scroll) -> Response:
        key = COLLECTIONS[path][0]
        chunk = scroll.rows[scroll.offset : scroll.offset + scroll.page_size]
        scroll.offset += len(chunk)
        # The scrollId comes back on the last page too: the documented "do not depend on it".
        body = {key: chunk, "totalHits": len(scroll.rows), "scrollId": scroll_id}
        return JSONResponse(body)


def _compare(row: dict[str, Any], field: str, op: str, literal: str) -> bool:
    value = row.get(field)
    if value is None:
        return False
    wanted: Any = literal
    if isinstance(value, int | float):
        wanted = float(literal)
    return OPS[op](value, wanted)
