"""A fake Mixpanel: the Raw Event Export API and the service-account `me` check.

Written from Mixpanel's published documentation:

- Raw event export (OpenAPI): https://docs.mixpanel.com/reference/raw-event-export
  and its source https://raw.githubusercontent.com/mixpanel/docs/main/openapi/src/export.openapi.yaml
- Export authentication: https://docs.mixpanel.com/reference/raw-data-export-api-authentication
- Service accounts (Basic auth, plain-text accepted, `/api/app/me`):
  https://developer.mixpanel.com/reference/service-accounts
- Project secret (deprecated, retired 3 March 2027): https://docs.mixpanel.com/reference/project-secret
- Export methods (JSONL, UTC dates since 2023): https://docs.mixpanel.com/docs/export-methods
- Rate limits: https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-API-Endpoints
- Legacy timestamps in project time: https://mixpanel.com/help/reference/exporting-raw-data
- Error body `{"error", "status"}`: https://raw.githubusercontent.com/mixpanel/docs/main/openapi/src/common/responses.yaml

What the fake follows:

- `GET /api/2.0/export` (real host `data.mixpanel.com`; EU `data-eu.mixpanel.com`, India
  `data-in.mixpanel.com`; the path is the same everywhere).
- Auth is HTTP Basic, either a service account `username:secret` (then `project_id` is
  required as a query parameter) or the legacy project secret as the username with an empty
  password. Mixpanel also accepts the `username:secret` pair unencoded after `Basic `.
- `from_date`/`to_date` are required `yyyy-mm-dd`, both inclusive, read in UTC for projects made
  after 1 January 2023 and in the project's time zone before (`legacy_project=True`). For such
  legacy projects the exported `time` is also shifted into project time, as the docs warn.
- `event` is a JSON array of names, `where` a segmentation expression (only
  `properties["p"] == <literal>` joined by `and` here), `limit` at most 100000, `time_in_ms`.
- The body is JSON lines; with `Accept-Encoding: gzip` and a body over 1400 bytes it is gzipped.
- 60 queries an hour, 3 a second and 100 at once per project; beyond that a 429.

Not confirmed by the docs, so chosen here: the exact error texts, the 401/400 bodies as
`{"request": <path?query>, "error": <text>}` (the shape Mixpanel's query APIs answer with), the
429 body, and the `/api/app/me` body beyond `status`/`results.projects`. No `Retry-After` is sent
on a 429 (none is documented); a test can script one with `faults.add(...)`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import gzip
import json
import re
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.faults import Faults, RecordingMiddleware, SeenRequest

EXPORT_PATH = "/api/2.0/export"
ME_PATH = "/api/app/me"
MAX_LIMIT = 100_000
GZIP_THRESHOLD = 1400
RATE_LIMIT_BODY = {
    "code": 429,
    "error": "Project exceeded rate limits. Please retry the request with exponential backoff.",
    "status": "Too Many Requests",
}


@dataclass
class ServiceAccount:
    username: str
    secret: str
    project_ids: set[int] = field(default_factory=set)


@dataclass
class _Limits:
    per_hour: int = 60
    per_second: int = 3
    concurrent: int = 100
    started: deque[float] = field(default_factory=deque)
    running: int = 0

    def admit(self, now: float) -> bool:
        while self.started and now - self.started[0] > 3600:
            self.started.popleft()
        last_second = sum(1 for t in self.started if now - t < 1)
        if len(self.started) >= self.per_hour or last_second >= self.per_second:
            return False
        if self.running >= self.concurrent:
            return False
        self.started.append(now)
        return True


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class MixpanelFake:
    """One Mixpanel project.

    Credentials: `project_secret` (legacy Basic `<secret>:`), and service accounts added with
    `add_service_account(username, secret)` (members of this project unless `project_ids` says
    otherwise). Seed with `add_event(...)`. Hooks: `export_delay` (seconds each export stalls
    while it counts as running, to test concurrency), `limits` (per_hour / per_second /
    concurrent), `faults` for scripted answers, `requests` for what arrived.
    """

    def __init__(
        self,
        project_id: int = 3_141_592,
        *,
        project_secret: str | None = "mp-project-secret",
        timezone: str = "UTC",
        legacy_project: bool = False,
        per_hour: int = 60,
        per_second: int = 3,
        concurrent: int = 100,
    ) -> None:
        self.project_id = project_id
        self.project_secret = project_secret
        self.timezone = ZoneInfo(timezone)
        self.legacy_project = legacy_project
        self.limits = _Limits(per_hour, per_second, concurrent)
        self.export_delay = 0.0
        self.events: list[dict[str, Any]] = []
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.requests: list[SeenRequest] = []
        self.faults = Faults()
        routes = [
            Route(EXPORT_PATH, self._export, methods=["GET"]),
            Route(EXPORT_PATH + "/", self._export, methods=["GET"]),
            Route(ME_PATH, self._me, methods=["GET"]),
        ]
        self.app = RecordingMiddleware(Starlette(routes=routes), self.requests, self.faults)

    # ---- seeding -------------------------------------------------------------------------

    def add_service_account(
        self, username: str, secret: str, project_ids: set[int] | None = None
    ) -> ServiceAccount:
        account = ServiceAccount(username, secret, project_ids or {self.project_id})
        self.service_accounts[username] = account
        return account

    def add_event(
        self,
        event: str,
        distinct_id: str,
        at: dt.datetime | float,
        properties: dict[str, Any] | None = None,
        insert_id: str | None = None,
    ) -> dict[str, Any]:
        """Store one event; `at` is an aware datetime or UTC epoch seconds."""
        epoch = at.timestamp() if isinstance(at, dt.datetime) else float(at)
        props = {
            "time": epoch,
            "distinct_id": distinct_id,
            "$insert_id": insert_id or uuid.uuid4().hex,
            # ingestion lags the event a little, as in the docs' examples
            "mp_processing_time_ms": int(epoch * 1000) + 4_000,
            **(properties or {}),
        }
        record = {"event": event, "properties": props}
        self.events.append(record)
        return record

    # ---- handlers ------------------------------------------------------------------------

    async def _export(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            query = _ExportQuery.parse(request, self._today())
        except _ApiError as err:
            return _error(request, err)
        if not self.limits.admit(time.monotonic()):
            return JSONResponse(RATE_LIMIT_BODY, status_code=429)
        self.limits.running += 1
        try:
            if self.export_delay:
                await asyncio.sleep(self.export_delay)
            body = "".join(json.dumps(e) + "\n" for e in self._select(query)).encode()
        finally:
            self.limits.running -= 1
        return _jsonl_response(body, request.headers.get("accept-encoding", ""))

    async def _me(self, request: Request) -> Response:
        try:
            account = self._service_account(_basic_credentials(request))
        except _ApiError as err:
            return _error(request, err)
        if account is None:
            return _error(request, _ApiError(401, "Unable to authenticate request"))
        projects = {
            str(pid): {"id": pid, "name": f"Project {pid}", "timezone": self.timezone.key}
            for pid in sorted(account.project_ids)
        }
        results = {"id": zlib.crc32(account.username.encode()), "user_name": account.username}
        return JSONResponse({"status": "ok", "results": {**results, "projects": projects}})

    # ---- auth ----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> None:
        username, password = _basic_credentials(request)
        account = self._service_account((username, password))
        if account is not None:
            raw = request.query_params.get("project_id")
            if not raw:
                raise _ApiError(400, "project_id is required when using service account auth")
            member = raw.isdigit() and int(raw) in account.project_ids
            if not member or int(raw) != self.project_id:
                raise _ApiError(403, "service account is not a member of this project")
            return
        if self.project_secret and username == self.project_secret and not password:
            return
        raise _ApiError(401, "Unable to authenticate request")

    def _service_account(self, creds: tuple[str, str]) -> ServiceAccount | None:
        account = self.service_accounts.get(creds[0])
        if account is not None and account.secret == creds[1]:
            return account
        return None

    # ---- data ----------------------------------------------------------------------------

    def _zone(self) -> dt.tzinfo:
        return self.timezone if self.legacy_project else dt.UTC

    def _today(self) -> dt.date:
        return dt.datetime.now(self._zone()).date()

    def _select(self, query: _ExportQuery) -> list[dict[str, Any]]:
        zone = self._zone()
        out = []
        for record in sorted(self.events, key=lambda e: e["properties"]["time"]):
            props = record["properties"]
            day = dt.datetime.fromtimestamp(props["time"], zone).date()
            if not query.from_date <= day <= query.to_date:
                continue
            if query.events is not None and record["event"] not in query.events:
                continue
            if not all(props.get(k) == v for k, v in query.where):
                continue
            out.append(self._exported(record, query.time_in_ms))
            if query.limit is not None and len(out) >= query.limit:
                break
        return out

    def _exported(self, record: dict[str, Any], time_in_ms: bool) -> dict[str, Any]:
        props = dict(record["properties"])
        epoch = props["time"]
        if self.legacy_project:
            # pre-2023 projects export "epoch" seconds offset into the project's time zone
            offset = dt.datetime.fromtimestamp(epoch, self.timezone).utcoffset() or dt.timedelta()
            epoch += offset.total_seconds()
        props["time"] = int(epoch * 1000) if time_in_ms else int(epoch)
        return {"event": record["event"], "properties": props}


@dataclass
class _ExportQuery:
    from_date: dt.date
    to_date: dt.date
    events: set[str] | None
    where: list[tuple[str, Any]]
    limit: int | None
    time_in_ms: bool

    @classmethod
    def parse(cls, request: Request, today: dt.date) -> _ExportQuery:
        params = request.query_params
        from_date = _date_param(params.get("from_date"), "from_date")
        to_date = _date_param(params.get("to_date"), "to_date")
        if from_date > to_date:
            raise _ApiError(400, "'from_date' cannot be later than 'to_date'")
        if to_date > today:
            raise _ApiError(400, "'to_date' cannot be later than today")
        return cls(
            from_date,
            to_date,
            _events_param(params.get("event")),
            _where_param(params.get("where")),
            _limit_param(params.get("limit")),
            params.get("time_in_ms", "").lower() == "true",
        )


def _date_param(raw: str | None, name: str) -> dt.date:
    if not raw:
        raise _ApiError(400, f"'{name}' is a required parameter")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise _ApiError(400, f"'{name}' is not a valid date, expected yyyy-mm-dd: {raw}")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise _ApiError(400, f"'{name}' is not a valid date: {raw}") from exc


def _events_param(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    try:
        names = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _ApiError(400, "'event' must be a JSON encoded list of event names") from exc
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _ApiError(400, "'event' must be a JSON encoded list of event names")
    return set(names)


_WHERE_TERM = re.compile(r'^\s*properties\["([^"]+)"\]\s*==\s*(.+?)\s*$')


def _where_param(raw: str | None) -> list[tuple[str, Any]]:
    if not raw:
        return []
    terms = []
    for part in re.split(r"\s+and\s+", raw):
        match = _WHERE_TERM.match(part)
        try:
            value = json.loads(match[2]) if match else None
        except json.JSONDecodeError:
            match = None
        if match is None:
            raise _ApiError(400, f"invalid 'where' expression: {raw}")
        terms.append((match[1], value))
    return terms


def _limit_param(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise _ApiError(400, "'limit' must be a positive integer")
    if int(raw) > MAX_LIMIT:
        raise _ApiError(400, f"'limit' cannot be over {MAX_LIMIT}")
    return int(raw)


def _basic_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise _ApiError(401, "Unable to authenticate request")
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = value  # Mixpanel also takes the pair in plain text
    if ":" not in decoded:
        decoded = value
    username, _, password = decoded.partition(":")
    return username, password


def _error(request: Request, err: _ApiError) -> JSONResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return JSONResponse({"request": path, "error": err.message}, status_code=err.status)


def _jsonl_response(body: bytes, accept_encoding: str) -> Response:
    headers = {}
    if "gzip" in accept_encoding.lower() and len(body) > GZIP_THRESHOLD:
        body = gzip.compress(body)
        headers["content-encoding"] = "gzip"
    return Response(body, media_type="text/plain; charset=utf-8", headers=headers)
