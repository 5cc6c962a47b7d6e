"""A fake Zoho CRM org in one data centre: Zoho's accounts server and the records API.

The authorization server is tests/fakes/oauth_vendors.py's `ZohoOAuth` (`api_domain` in every
token response, refresh without a new refresh token, errors as HTTP 200 bodies); this module
adds the CRM API, written from Zoho's published documentation:
- Get Records (v8; v2 and later share it): `fields` mandatory (at most 50), `per_page` at most
  200, `page`, `page_token` beyond the first 2,000 records, `sort_by` (id, Created_Time,
  Modified_Time) and `sort_order` (default desc), the `If-Modified-Since` header; the `info`
  object (per_page, count, page, sort_by, sort_order, more_records, next_page_token,
  previous_page_token, page_token_expiry):
  https://www.zoho.com/crm/developer/docs/api/v8/get-records.html
  https://prewww.zoho.com/crm/developer/docs/api/v5/get-records.html
- Status codes: 204 when there is nothing to answer, 304 when nothing changed since
  If-Modified-Since, 401 INVALID_TOKEN, 429 TOO_MANY_REQUESTS:
  https://zoho.com/crm/developer/docs/api/v8/status-codes.html
- Errors: {"code", "details", "message", "status": "error"}:
  https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html
- The `Authorization: Zoho-oauthtoken <token>` header:
  https://www.zoho.com/crm/developer/docs/api/v8/oauth-overview.html
- API limits (credits per day, concurrency) answered 429 without Retry-After:
  https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html
- Modules and fields metadata:
  https://www.zoho.com/crm/developer/docs/api/v8/modules-api.html
  https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html

Quirks kept: date-times are in the org's time zone with its offset (`+05:30` here, as in the
docs' examples), so they do not compare as text across zones; `page` past 2,000 records is
400 DISCRETE_PAGINATION_LIMIT_EXCEEDED; an empty result is 204 with no body, and 304 answers
an If-Modified-Since with nothing newer.

Hooks: `add_records(module, [...])`, `max_per_page` (answer fewer than asked),
`too_many_requests(times)`, `org_offset`, and the OAuth server's `issue_tokens`,
`expire_access_token`, `revoke_grant`, `disable_user`, `account_id` (the org's id that
GET /crm/{version}/org answers; it needs the ZohoCRM.org scope).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import (
    AccessToken,
    RefreshToken,
    VendorFake,
    as_utc,
    parse_iso,
)
from tests.fakes.oauth_vendors import REDIRECT, ZohoOAuth

CRM = "/crm/{version:str}"
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2000
MAX_FIELDS = 50
SORTABLE = ("id", "Created_Time", "Modified_Time")

MODULES: dict[str, list[tuple[str, str, str]]] = {
    "Accounts": [
        ("Account_Name", "Account Name", "text"),
        ("Website", "Website", "website"),
        ("Industry", "Industry", "picklist"),
    ],
    "Contacts": [
        ("First_Name", "First Name", "text"),
        ("Last_Name", "Last Name", "text"),
        ("Email", "Email", "email"),
        ("Account_Name", "Account Name", "lookup"),
    ],
    "Deals": [
        ("Deal_Name", "Deal Name", "text"),
        ("Amount", "Amount", "currency"),
        ("Stage", "Stage", "picklist"),
    ],
    "Leads": [
        ("First_Name", "First Name", "text"),
        ("Last_Name", "Last Name", "text"),
        ("Email", "Email", "email"),
        ("Company", "Company", "text"),
    ],
}
SYSTEM_FIELDS = [
    ("id", "Record Id", "bigint"),
    ("Created_Time", "Created Time", "datetime"),
    ("Modified_Time", "Modified Time", "datetime"),
]


def zoho_error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    body = {"code": code, "details": details, "message": message, "status": "error"}
    return JSONResponse(body, status_code=status)


class ZohoApiOAuth(ZohoOAuth):
    """`api_domain` is this server's own address unless a test names another."""

    def __init__(self, **kwargs: Any) -> None:
        # Zoho's refresh answer has no refresh_token: the first one stays valid.
        super().__init__(refresh_on_refresh=False, **kwargs)
        self.api_domain: str | None = None  # type: ignore[assignment]

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["api_domain"] = self.api_domain or str(request.base_url).rstrip("/")
        return payload


@dataclass
class Module:
    api_name: str
    fields: list[tuple[str, str, str]]
    records: list[dict[str, Any]] = field(default_factory=list)

    def field_names(self) -> set[str]:
        return {name for name, _, _ in self.fields}


class ZohoFake(VendorFake):
    """One Zoho CRM org with Accounts, Contacts, Deals and Leads."""

    def __init__(
        self,
        client_id: str = "zoho-client",
        client_secret: str = "zoho-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = ZohoApiOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.modules = {
            name: Module(name, SYSTEM_FIELDS + fields) for name, fields in MODULES.items()
        }
        self.max_per_page: int | None = None
        self.org_offset = timezone(timedelta(hours=5, minutes=30))
        self.page_tokens: dict[str, int] = {}
        self._next_id = 5_725_767_000_000_000_000
        # The org (GET /crm/{version}/org, the account) is answered by the OAuth fake.
        super().__init__(oauth, [*oauth.account_routes(), *self._routes()])
        self.oauth: ZohoApiOAuth = oauth

    # ---- seeding and hooks --------------------------------------------------------------

    def add_records(self, module: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for row in rows:
            record = dict(row)
            self._next_id += 1
            record.setdefault("id", str(self._next_id))
            record.setdefault("Modified_Time", datetime.now(UTC))
            record.setdefault("Created_Time", record["Modified_Time"])
            for name in ("Created_Time", "Modified_Time"):
                record[name] = as_utc(record[name])
            self.modules[module].records.append(record)
            stored.append(record)
        return stored

    def too_many_requests(self, times: int = 1) -> None:
        """The user's concurrency limit for this app was hit: 429, no Retry-After."""
        self.faults.add(
            429,
            {
                "code": "TOO_MANY_REQUESTS",
                "details": {},
                "message": "The concurrency limit of the user for the given App has been exceeded.",
                "status": "error",
            },
            path="/crm/",
            times=times,
        )

    def zoho_time(self, value: datetime) -> str:
        return value.astimezone(self.org_offset).isoformat(timespec="seconds")

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route(CRM + "/settings/modules", self._modules),
            Route(CRM + "/settings/fields", self._fields),
            Route(CRM + "/{module:str}", self._records),
        ]

    def _auth(self, request: Request) -> Response | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme != "Zoho-oauthtoken" or not value.strip():
            return zoho_error(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        token, _ = self.oauth.check_token(value.strip())
        if token is None:
            return zoho_error(401, "INVALID_TOKEN", "invalid oauth token")
        return None

    async def _modules(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        listed = [
            {
                "api_name": m.api_name,
                "module_name": m.api_name,
                "plural_label": m.api_name,
                "api_supported": True,
                "generated_type": "default",
            }
            for m in self.modules.values()
        ]
        return JSONResponse({"modules": listed})

    async def _fields(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        module = self.modules.get(request.query_params.get("module", ""))
        if module is None:
            return zoho_error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        described = [
            {"api_name": n, "field_label": label, "data_type": t} for n, label, t in module.fields
        ]
        return JSONResponse({"fields": described})

    async def _records(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        module = self.modules.get(request.path_params["module"])
        if module is None:
            return zoho_error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        try:
            fields, per_page, rows, start, page = self._plan(module, request)
        except _Invalid as err:
            return err.response
        if not rows:
            modified = "if-modified-since" in request.headers
            return Response(status_code=304 if modified else 204)
        size = min(per_page, self.max_per_page) if self.max_per_page else per_page
        chunk = rows[start : start + size]
        more = start + size < len(rows)
        info: dict[str, Any] = {
            "per_page": size,
            "count": len(chunk),
            "page": page,
            "sort_by": request.query_params.get("sort_by", "id"),
            "sort_order": request.query_params.get("sort_order", "desc"),
            "more_records": more,
            "next_page_token": self._token(rows, start + size) if more else None,
            "previous_page_token": None,
            "page_token_expiry": self.zoho_time(datetime.now(UTC) + timedelta(days=1))
            if more
            else None,
        }
        return JSONResponse({"data": [self._shape(r, fields) for r in chunk], "info": info})

    def _plan(
        self, module: Module, request: Request
    ) -> tuple[list[str], int, list[dict[str, Any]], int, int]:
        query = request.query_params
        fields = [f.strip() for f in query.get("fields", "").split(",") if f.strip()]
        if not fields:
            raise _Invalid(
                zoho_error(
                    400,
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing",
                    param="fields",
                )
            )
        unknown = [f for f in fields if f not in module.field_names()]
        if unknown or len(fields) > MAX_FIELDS:
            raise _Invalid(
                zoho_error(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    param="fields",
                    api_name=(unknown or fields)[0],
                )
            )
        per_page = _integer(query.get("per_page", str(MAX_PER_PAGE)), "per_page")
        if not 0 < per_page <= MAX_PER_PAGE:
            raise _Invalid(zoho_error(400, "INVALID_DATA", "invalid data", param="per_page"))
        rows = self._select(module, request)
        start, page = self._start(query, per_page, rows)
        return fields, per_page, rows, start, page

    def _select(self, module: Module, request: Request) -> list[dict[str, Any]]:
        query = request.query_params
        sort_by = query.get("sort_by", "id")
        if sort_by not in SORTABLE:
            raise _Invalid(zoho_error(400, "INVALID_DATA", "invalid data", param="sort_by"))
        rows = list(module.records)
        since = request.headers.get("if-modified-since")
        if since:
            try:
                floor = parse_iso(since)
            except ValueError as exc:
                raise _Invalid(
                    zoho_error(400, "INVALID_DATA", "invalid data", header="If-Modified-Since")
                ) from exc
            rows = [r for r in rows if r["Modified_Time"] > floor]
        descending = query.get("sort_order", "desc") == "desc"
        rows.sort(key=lambda r: (r.get(sort_by), int(r["id"])), reverse=descending)
        return rows

    def _start(self, query: Any, per_page: int, rows: list[dict[str, Any]]) -> tuple[int, int]:
        if "page_token" in query:
            if "page" in query:
                raise _Invalid(
                    zoho_error(
                        400, "INVALID_REQUEST", "page and page_token cannot be given together"
                    )
                )
            offset = self.page_tokens.get(query["page_token"])
            if offset is None:
                raise _Invalid(
                    zoho_error(400, "INVALID_DATA", "invalid page token", param="page_token")
                )
            return offset, offset // per_page + 1
        page = _integer(query.get("page", "1"), "page")
        if page * per_page > DISCRETE_LIMIT:
            raise _Invalid(
                zoho_error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "cannot fetch more than 2000 records; use page_token",
                )
            )
        return (page - 1) * per_page, page

    def _token(self, rows: list[dict[str, Any]], offset: int) -> str:
        token = secrets.token_hex(40)  # opaque, valid for a day (page_token_expiry)
        self.page_tokens[token] = offset
        return token

    def _shape(self, row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        shaped: dict[str, Any] = {"id": row["id"]}
        for name in fields:
            value = row.get(name)
            shaped[name] = self.zoho_time(value) if isinstance(value, datetime) else value
        return shaped


class _Invalid(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _integer(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise _Invalid(zoho_error(400, "INVALID_DATA", "invalid data", param=name)) from exc
