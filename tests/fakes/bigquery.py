"""A fake Google BigQuery (REST v2) with Google's service-account token endpoint.

Written from Google's published documentation:

- Service-account OAuth (JWT grant, claims, token answer, errors):
  https://developers.google.com/identity/protocols/oauth2/service-account#httprest
- jobs.query: https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query
- jobs.getQueryResults: https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults
- datasets.list / tables.list / tables.get:
  https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets/list,
  https://cloud.google.com/bigquery/docs/reference/rest/v2/tables/list,
  https://cloud.google.com/bigquery/docs/reference/rest/v2/tables/get
- Error table (reasons and HTTP codes): https://cloud.google.com/bigquery/docs/error-messages
- Quota errors (403 rateLimitExceeded vs quotaExceeded):
  https://cloud.google.com/bigquery/docs/troubleshoot-quotas

What the fake follows:

- `POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an RS256
  `assertion` signed by the service account's registered key: `iss` = client email, `aud` =
  the token URI (Google's `https://oauth2.googleapis.com/token` or this fake's own `/token`),
  `scope` space-separated, `exp` at most an hour after `iat`. Success is
  `{"access_token", "expires_in": 3599, "token_type": "Bearer"}`; refusals are 400
  `{"error": "invalid_grant", "error_description": ...}` ("Invalid JWT Signature." etc.).
- `jobs.query` (`useLegacySql` defaults to true, as documented, so standard SQL must say
  `false`; `maxResults`, `timeoutMs`, `defaultDataset`, `location`,
  `formatOptions.useInt64Timestamp`), `getQueryResults` (`pageToken`, `maxResults`,
  `startIndex`, `location`: a job outside the US/EU multi-regions is not found without it).
  Rows are `{"f": [{"v": <string or null>}]}`, `totalRows` a string, TIMESTAMP values as
  floating-point epoch seconds in E notation (or int64 microseconds when asked).
- `jobComplete: false` answers while a job runs (`pending_polls` hook), then the rows.
- Errors as `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}],
  "status"}}`: 401 authError, 404 notFound, 400 invalidQuery; `error_body(...)` builds the
  403 rateLimitExceeded / 429 / 5xx backendError bodies for scripted faults.

Chosen here, not confirmed: the exact wording of most messages, the `invalid_grant` text for an
unknown account or a wrong audience, and the page size cap (`page_rows`; Google caps a page
at 10 MB instead).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.faults import Faults, RecordingMiddleware, SeenRequest
from tests.fakes.sql_subset import Ident, SqlError, parse_select, run_select

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
API = "/bigquery/v2/projects/{project}"
BIGQUERY_SCOPES = {
    "https://www.googleapis.com/auth/bigquery",
    "https://www.googleapis.com/auth/bigquery.readonly",
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/cloud-platform.read-only",
}
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_SHORT_LIVED = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)
_TYPE_NAMES = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN", "STRUCT": "RECORD"}


def error_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """Google's JSON error shape, e.g. `error_body(403, "rateLimitExceeded", "Exceeded ...")`."""
    errors = [{"message": message, "domain": "global", "reason": reason}]
    status = _STATUS.get(code, "UNKNOWN")
    return {"error": {"code": code, "message": message, "errors": errors, "status": status}}


class BigQueryError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def response(self) -> JSONResponse:
        return JSONResponse(error_body(self.code, self.reason, self.message), self.code)


@dataclass
class Field:
    name: str
    type: str  # STRING, INTEGER/INT64, FLOAT/FLOAT64, NUMERIC, BOOLEAN, TIMESTAMP, DATE, DATETIME
    mode: str = "NULLABLE"

    def resource(self) -> dict[str, str]:
        kind = _TYPE_NAMES.get(self.type.upper(), self.type.upper())
        return {"name": self.name, "type": kind, "mode": self.mode}


@dataclass
class Table:
    dataset: str
    name: str
    fields: list[Field]
    rows: list[dict[str, Any]] = field(default_factory=list)
    created_ms: int = 1_704_067_200_000


@dataclass
class _Job:
    job_id: str
    location: str
    fields: list[Field]
    rows: list[dict[str, Any]]
    int64_timestamps: bool
    polls_left: int = 0


class BigQueryFake:
    """One Google Cloud project with BigQuery datasets and the OAuth token endpoint.

    Register keys with `add_service_account(client_email, public_key)`; seed with
    `add_dataset(name, location)` and `add_table(dataset, name, fields, rows)`. Hooks:
    `pending_polls` (times the next job answers `jobComplete: false`), `page_rows` (rows per
    page when the client sets no smaller `maxResults`), `expire_tokens()`, `faults`,
    `requests`, `issued` (access token -> (email, scopes, expiry)).
    """

    def __init__(self, project_id: str = "acme-analytics", *, page_rows: int = 1000) -> None:
        self.project_id = project_id
        self.page_rows = page_rows
        self.pending_polls = 0
        self.keys: dict[str, RSAPublicKey] = {}
        self.datasets: dict[str, str] = {}
        self.tables: dict[tuple[str, str], Table] = {}
        self.jobs: dict[str, _Job] = {}
        self.issued: dict[str, tuple[str, set[str], float]] = {}
        self.requests: list[SeenRequest] = []
        self.faults = Faults()
        routes = [
            Route("/token", self._token, methods=["POST"]),
            Route(API + "/queries", self._query, methods=["POST"]),
            Route(API + "/queries/{job_id}", self._results, methods=["GET"]),
            Route(API + "/datasets", self._datasets, methods=["GET"]),
            Route(API + "/datasets/{dataset}/tables", self._tables, methods=["GET"]),
            Route(API + "/datasets/{dataset}/tables/{table}", self._table, methods=["GET"]),
        ]
        self.app = RecordingMiddleware(Starlette(routes=routes), self.requests, self.faults)

    # ---- seeding -------------------------------------------------------------------------

    def add_service_account(self, client_email: str, public_key: RSAPublicKey) -> None:
        self.keys[client_email] = public_key

    def add_dataset(self, name: str, location: str = "US") -> None:
        self.datasets[name] = location

    def add_table(
        self,
        dataset: str,
        name: str,
        fields: list[Field] | list[tuple[str, str]],
        rows: list[dict[str, Any]] | None = None,
    ) -> Table:
        self.datasets.setdefault(dataset, "US")
        cols = [f if isinstance(f, Field) else Field(*f) for f in fields]
        table = Table(dataset, name, cols, list(rows or []))
        self.tables[(dataset, name)] = table
        return table

    def expire_tokens(self) -> None:
        self.issued.clear()

    # ---- OAuth token endpoint --------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != JWT_GRANT:
            return _oauth_error("unsupported_grant_type", "Invalid grant_type: ")
        audiences = {GOOGLE_TOKEN_URI, str(request.url.replace(query=""))}
        try:
            email, scopes = self._check_assertion(str(form.get("assertion", "")), audiences)
        except _GrantError as err:
            return _oauth_error(err.error, err.description)
        access_token = "ya29." + secrets.token_urlsafe(32)
        self.issued[access_token] = (email, scopes, time.time() + 3599)
        return JSONResponse(
            {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}
        )

    def _check_assertion(self, assertion: str, audiences: set[str]) -> tuple[str, set[str]]:
        try:
            claims = _unverified_claims(assertion)
            key = self.keys.get(str(claims.get("iss")))
            if key is None:
                raise _GrantError("invalid_grant", "Invalid grant: account not found")
            claims = jwt.decode(assertion, RSAKey.import_key(key), ["RS256"]).claims
        except BadSignatureError as exc:
            raise _GrantError("invalid_grant", "Invalid JWT Signature.") from exc
        except (JoseError, ValueError, IndexError) as exc:
            raise _GrantError("invalid_grant", "Invalid JWT: malformed assertion") from exc
        if claims.get("aud") not in audiences:
            raise _GrantError("invalid_grant", "Invalid JWT: Failed audience check.")
        if not _short_lived(claims):
            raise _GrantError("invalid_grant", _SHORT_LIVED)
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes:
            raise _GrantError("invalid_scope", "Invalid oauth scope or ID token audience provided.")
        return str(claims["iss"]), scopes

    def _authorize(self, request: Request) -> None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        grant = self.issued.get(value) if scheme.lower() == "bearer" else None
        if grant is None or grant[2] < time.time():
            raise BigQueryError(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
            )
        if not grant[1] & BIGQUERY_SCOPES:
            raise BigQueryError(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        if request.path_params.get("project") != self.project_id:
            project = request.path_params.get("project")
            raise BigQueryError(404, "notFound", f"Not found: Project {project}")

    # ---- queries -------------------------------------------------------------------------

    async def _query(self, request: Request) -> Response:
        try:
            self._authorize(request)
            body = json.loads(await request.body() or b"{}")
            job = self._run(body)
        except BigQueryError as err:
            return err.response()
        except json.JSONDecodeError:
            return BigQueryError(400, "parseError", "Parse Error").response()
        self.jobs[job.job_id] = job
        page = _int(body.get("maxResults"))
        return self._page(job, "bigquery#queryResponse", 0, page)

    async def _results(self, request: Request) -> Response:
        try:
            self._authorize(request)
            job = self._job(request)
        except BigQueryError as err:
            return err.response()
        params = request.query_params
        start = _int(params.get("pageToken")) or _int(params.get("startIndex")) or 0
        size = _int(params.get("maxResults"))
        return self._page(job, "bigquery#getQueryResultsResponse", start, size)

    def _job(self, request: Request) -> _Job:
        job = self.jobs.get(request.path_params["job_id"])
        location = request.query_params.get("location")
        # jobs outside the US and EU multi-regions are only found when the location is given
        needs_location = job is not None and job.location not in {"US", "EU"}
        if job is None or (needs_location and location != job.location):
            name = f"{self.project_id}:{request.path_params['job_id']}"
            raise BigQueryError(404, "notFound", f"Not found: Job {name}")
        return job

    def _run(self, body: dict[str, Any]) -> _Job:
        sql = str(body.get("query", ""))
        if body.get("useLegacySql", True) is not False:
            raise BigQueryError(
                400,
                "invalidQuery",
                "Invalid table name. [Try using standard SQL "
                "(https://cloud.google.com/bigquery/docs/reference/standard-sql/enabling-standard-sql)]",
            )
        try:
            query = parse_select(sql)
        except SqlError as exc:
            raise BigQueryError(400, "invalidQuery", f"Syntax error: {exc}") from exc
        table = self._resolve_table(query.table, body.get("defaultDataset") or {})
        names = [f.name for f in table.fields]
        try:
            selected, rows = run_select(query, names, table.rows, _resolve, nulls_high=False)
        except SqlError as exc:
            raise BigQueryError(400, "invalidQuery", str(exc)) from exc
        by_name = {f.name: f for f in table.fields}
        int64 = bool((body.get("formatOptions") or {}).get("useInt64Timestamp"))
        location = body.get("location") or self.datasets.get(table.dataset, "US")
        polls, self.pending_polls = self.pending_polls, 0
        job_id = "job_" + uuid.uuid4().hex[:24]
        return _Job(job_id, location, [by_name[n] for n in selected], rows, int64, polls)

    def _resolve_table(self, parts: list[Ident], default: dict[str, Any]) -> Table:
        names = [p.name for p in parts]
        if len(names) == 3:
            if names[0] != self.project_id:
                raise BigQueryError(404, "notFound", f"Not found: Project {names[0]}")
            names = names[1:]
        if len(names) == 1 and default.get("datasetId"):
            names = [default["datasetId"], names[0]]
        if len(names) != 2:
            raise BigQueryError(
                400,
                "invalidQuery",
                f'Table "{".".join(names)}" must be qualified with a dataset (e.g. dataset.table).',
            )
        dataset, name = names
        if dataset not in self.datasets:
            raise BigQueryError(
                404, "notFound", f"Not found: Dataset {self.project_id}:{dataset} was not found"
            )
        table = self.tables.get((dataset, name))
        if table is None:
            raise BigQueryError(
                404,
                "notFound",
                f"Not found: Table {self.project_id}:{dataset}.{name} was not found in location "
                f"{self.datasets[dataset]}",
            )
        return table

    def _page(self, job: _Job, kind: str, start: int, max_results: int | None) -> JSONResponse:
        reference = {"projectId": self.project_id, "jobId": job.job_id, "location": job.location}
        if job.polls_left > 0:
            job.polls_left -= 1
            return JSONResponse({"kind": kind, "jobReference": reference, "jobComplete": False})
        size = min(max_results or self.page_rows, self.page_rows)
        chunk = job.rows[start : start + size]
        body: dict[str, Any] = {
            "kind": kind,
            "schema": {"fields": [f.resource() for f in job.fields]},
            "jobReference": reference,
            "totalRows": str(len(job.rows)),
            "rows": [_row(r, job.fields, job.int64_timestamps) for r in chunk],
            "totalBytesProcessed": str(64 * len(job.rows)),
            "jobComplete": True,
            "cacheHit": False,
        }
        if kind.endswith("getQueryResultsResponse"):
            body["etag"] = uuid.uuid5(uuid.NAMESPACE_URL, job.job_id).hex
        if not chunk:
            del body["rows"]  # an empty page carries no `rows` key at all
        if start + size < len(job.rows):
            body["pageToken"] = str(start + size)
        return JSONResponse(body)

    # ---- datasets and tables -------------------------------------------------------------

    async def _datasets(self, request: Request) -> Response:
        try:
            self._authorize(request)
        except BigQueryError as err:
            return err.response()
        items = [self._dataset_item(name, loc) for name, loc in sorted(self.datasets.items())]
        page, token = _paginate(items, request)
        body = {"kind": "bigquery#datasetList", "etag": _etag(items), "datasets": page}
        return JSONResponse({**body, **token})

    async def _tables(self, request: Request) -> Response:
        try:
            self._authorize(request)
            dataset = self._dataset(request)
        except BigQueryError as err:
            return err.response()
        tables = sorted(t for (d, t) in self.tables if d == dataset)
        items = [self._table_item(self.tables[(dataset, t)]) for t in tables]
        page, token = _paginate(items, request)
        body = {"kind": "bigquery#tableList", "etag": _etag(items), "tables": page}
        return JSONResponse({**body, "totalItems": len(items), **token})

    async def _table(self, request: Request) -> Response:
        try:
            self._authorize(request)
            dataset = self._dataset(request)
            table = self._resolve_table([Ident(dataset), Ident(request.path_params["table"])], {})
        except BigQueryError as err:
            return err.response()
        resource = {
            **self._table_item(table),
            "schema": {"fields": [f.resource() for f in table.fields]},
            "numRows": str(len(table.rows)),
            "numBytes": str(64 * len(table.rows)),
            "lastModifiedTime": str(table.created_ms),
            "location": self.datasets[dataset],
        }
        return JSONResponse(resource)

    def _dataset(self, request: Request) -> str:
        dataset = request.path_params["dataset"]
        if dataset not in self.datasets:
            raise BigQueryError(404, "notFound", f"Not found: Dataset {self.project_id}:{dataset}")
        return dataset

    def _dataset_item(self, name: str, location: str) -> dict[str, Any]:
        return {
            "kind": "bigquery#dataset",
            "id": f"{self.project_id}:{name}",
            "datasetReference": {"datasetId": name, "projectId": self.project_id},
            "location": location,
        }

    def _table_item(self, table: Table) -> dict[str, Any]:
        reference = {
            "projectId": self.project_id,
            "datasetId": table.dataset,
            "tableId": table.name,
        }
        return {
            "kind": "bigquery#table",
            "id": f"{self.project_id}:{table.dataset}.{table.name}",
            "tableReference": reference,
            "type": "TABLE",
            "creationTime": str(table.created_ms),
        }


class _GrantError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def _oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def _unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _short_lived(claims: dict[str, Any]) -> bool:
    try:
        iat, exp = float(claims["iat"]), float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        return False
    now = time.time()
    return 0 < exp - iat <= 3600 and iat <= now + 60 and exp > now


def _resolve(ident: Ident, names: list[str]) -> str:
    # BigQuery column names are case-insensitive
    for name in names:
        if name.lower() == ident.name.lower():
            return name
    raise SqlError(f"Unrecognized name: {ident.name}")


def _int(raw: Any) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _paginate(items: list[dict[str, Any]], request: Request) -> tuple[list, dict[str, str]]:
    start = _int(request.query_params.get("pageToken")) or 0
    size = _int(request.query_params.get("maxResults")) or 50
    token = {"nextPageToken": str(start + size)} if start + size < len(items) else {}
    return items[start : start + size], token


def _etag(items: list[dict[str, Any]]) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(items, sort_keys=True)).hex


def _row(row: dict[str, Any], fields: list[Field], int64_ts: bool) -> dict[str, Any]:
    return {"f": [{"v": _cell(row.get(f.name), f, int64_ts)} for f in fields]}


def _cell(value: Any, spec: Field, int64_ts: bool) -> str | None:
    """Render a value the way the REST API does: every scalar is a string."""
    if value is None:
        return None
    kind = spec.resource()["type"]
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "TIMESTAMP":
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        micros = int(aware.timestamp() * 1_000_000)
        return str(micros) if int64_ts else _e_notation(Decimal(micros) / 1_000_000)
    if kind in {"DATE", "DATETIME"}:
        return value.isoformat()
    return str(value)


def _e_notation(seconds: Decimal) -> str:
    """Epoch seconds as the API prints them, e.g. 1709294400 -> "1.7092944E9"."""
    sign, digits, exponent = seconds.normalize().as_tuple()
    text = "".join(map(str, digits))
    power = len(text) - 1 + int(exponent)
    mantissa = text[0] + "." + (text[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{power}"
