"""A fake HubSpot account: OAuth v1, token metadata, CRM v3 objects, search and properties.

Written from HubSpot's published documentation:
- OAuth v1 tokens (form-encoded POST /oauth/v1/token, client_secret in the body, expires_in,
  token metadata, DELETE of a refresh token that leaves access tokens alone):
  https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide
  https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/refresh-oauth-token
  https://developers.hubspot.com/docs-beta/oauth/tokens
- Install URL on app.hubspot.com/oauth/authorize (client_id, scope, redirect_uri, state):
  https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
- CRM objects (limit, after, properties; paging.next.after):
  https://developers.hubspot.com/docs/api-reference/latest/crm/objects/custom-objects/get-custom-objects.md
- CRM search (filterGroups, sorts, total, 10,000 result cap, 200 per page):
  https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
  https://docs.aws.amazon.com/glue/latest/dg/hubspot-connector-limitations.md
- Error bodies (status, message, correlationId, category) and 429 headers:
  https://developers.hubspot.com/docs/faq/api-error-responses
  https://developers.hubspot.com/docs/api-reference/error-handling
  https://developers.hubspot.com/changelog/2018-11-06-rate-limit-information-headers-will-be-included-in-http-responses
  https://developers.hubspot.com/docs/api/usage-details (429 body: errorType RATE_LIMIT, policyName)

Quirks kept: access tokens live 30 minutes (expires_in 1800); refresh tokens do not rotate
(the same one comes back); token errors are HubSpot's own {"status": "BAD_REFRESH_TOKEN", ...}
shape, not RFC 6749; property values are strings; search pages stop at 10,000 results.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import (
    DEFAULT_USER,
    AccessToken,
    OAuthError,
    OAuthServer,
    RefreshToken,
    VendorFake,
    as_utc,
    parse_iso,
)

LIST_MAX = 100
SEARCH_MAX = 200
SEARCH_CAP = 10_000
MODIFIED = {"contacts": "lastmodifieddate"}  # contacts carry both names; others hs_ only

DEFAULT_PROPERTIES: dict[str, list[tuple[str, str, str, str]]] = {
    # (name, label, type, fieldType)
    "contacts": [
        ("email", "Email", "string", "text"),
        ("firstname", "First Name", "string", "text"),
        ("lastname", "Last Name", "string", "text"),
        ("createdate", "Create Date", "datetime", "date"),
        ("lastmodifieddate", "Last Modified Date", "datetime", "date"),
        ("hs_object_id", "Record ID", "number", "number"),
    ],
    "companies": [
        ("name", "Name", "string", "text"),
        ("domain", "Company Domain Name", "string", "text"),
        ("createdate", "Create Date", "datetime", "date"),
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date"),
        ("hs_object_id", "Record ID", "number", "number"),
    ],
    "deals": [
        ("dealname", "Deal Name", "string", "text"),
        ("amount", "Amount", "number", "number"),
        ("dealstage", "Deal Stage", "enumeration", "radio"),
        ("createdate", "Create Date", "datetime", "date"),
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date"),
        ("hs_object_id", "Record ID", "number", "number"),
    ],
    "tickets": [
        ("subject", "Ticket name", "string", "text"),
        ("hs_pipeline_stage", "Ticket status", "enumeration", "radio"),
        ("createdate", "Create Date", "datetime", "date"),
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date"),
        ("hs_object_id", "Record ID", "number", "number"),
    ],
}
DEFAULT_RETURNED = {
    "contacts": [
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "createdate", "dealname", "dealstage", "hs_lastmodifieddate"],
    "tickets": ["createdate", "hs_lastmodifieddate", "hs_pipeline_stage", "subject"],
}
TOKEN_ERRORS = {
    "code": ("BAD_AUTH_CODE", "missing or unknown auth code"),
    "pkce": ("BAD_AUTH_CODE", "code_verifier does not match"),
    "refresh": ("BAD_REFRESH_TOKEN", "missing or invalid refresh token"),
    "redirect_uri": ("BAD_REDIRECT_URI", "redirect_uri does not match initial redirect_uri"),
    "client_id": ("BAD_CLIENT_ID", "missing or unknown client id"),
    "client_secret": ("BAD_CLIENT_SECRET", "missing or invalid client secret"),
}


def hs_error(status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return JSONResponse(body, status_code=status)


def hs_time(value: datetime) -> str:
    utc = as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass
class CrmRecord:
    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False


@dataclass
class Portal:
    hub_id: int = 62515
    hub_domain: str = "demo.hubspot.com"
    app_id: int = 456789
    user_ids: dict[str, int] = field(default_factory=dict)

    def user_id(self, user: str) -> int:
        return self.user_ids.setdefault(user, 1000 + len(self.user_ids))


class HubSpotOAuth(OAuthServer):
    def __init__(self, portal: Portal, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth/authorize",
            token_path="/oauth/v1/token",
            client_auth=("client_secret_post",),
            token_body=("form",),
            access_ttl=1800,
            vendor_name="HubSpot",
            **kwargs,
        )
        self.portal = portal

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "token_type": "bearer",
            "refresh_token": refresh.token if refresh else None,
            "access_token": access.token,
            "expires_in": int(self.access_ttl),
        }
        return {k: v for k, v in payload.items() if v is not None}

    def error_response(self, err: OAuthError) -> Response:
        status, message = TOKEN_ERRORS.get(err.reason, ("BAD_REQUEST", err.description))
        body = {"status": status, "message": message, "correlationId": str(uuid.uuid4())}
        return JSONResponse(body, status_code=400)


class HubSpotFake(VendorFake):
    """A HubSpot portal with contacts, companies, deals and tickets.

    Hooks: `add_records(object_type, [{"properties": {...}, "updatedAt": ...}])`,
    `define_property(object_type, name, label, type)`, `rate_limited(policy)`, `search_cap`
    (the documented 10,000; a test may lower it to reach it with few records), and the OAuth
    server's `revoke_grant`, `disable_user`, `expire_access_token`, `issue_tokens`.
    """

    def __init__(
        self,
        client_id: str = "hs-client-id",
        client_secret: str = "hs-client-secret",
        redirect_uri: str = "http://127.0.0.1:8000/oauth/callback",
        hub_id: int = 62515,
    ) -> None:
        self.portal = Portal(hub_id=hub_id)
        oauth = HubSpotOAuth(
            self.portal, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.records: dict[str, list[CrmRecord]] = {t: [] for t in DEFAULT_PROPERTIES}
        self.properties: dict[str, list[dict[str, Any]]] = {
            t: [self._property(*p) for p in props] for t, props in DEFAULT_PROPERTIES.items()
        }
        self._next_id = 1
        self.search_cap = SEARCH_CAP
        super().__init__(oauth, self._routes())

    # ---- seeding and hooks --------------------------------------------------------------

    def add_records(self, object_type: str, records: list[dict[str, Any]]) -> list[CrmRecord]:
        """Records are {"properties": {...}, "createdAt"?, "updatedAt"?}; values become strings."""
        stored = []
        for record in records:
            updated = as_utc(record.get("updatedAt") or datetime.now().astimezone())
            created = as_utc(record.get("createdAt") or updated)
            row = CrmRecord(str(self._next_id), {}, created, updated)
            self._next_id += 1
            props = {k: None if v is None else str(v) for k, v in record["properties"].items()}
            row.properties = {
                **props,
                "hs_object_id": row.id,
                "createdate": hs_time(created),
                MODIFIED.get(object_type, "hs_lastmodifieddate"): hs_time(updated),
                "hs_lastmodifieddate": hs_time(updated),
            }
            self.records.setdefault(object_type, []).append(row)
            stored.append(row)
        return stored

    def define_property(
        self, object_type: str, name: str, label: str, type_: str = "string"
    ) -> None:
        field_type = {"string": "text", "number": "number", "datetime": "date"}.get(type_, "text")
        self.properties.setdefault(object_type, []).append(
            self._property(name, label, type_, field_type)
        )

    def rate_limited(self, policy: str = "SECONDLY", times: int = 1, path: str = "/crm/") -> None:
        """The next request(s) get HubSpot's documented 429 (daily or ten-secondly limit)."""
        message = {"SECONDLY": "You have reached your secondly limit."}.get(
            policy, "You have reached your daily limit."
        )
        body = {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
        }
        headers = {
            "X-HubSpot-RateLimit-Daily": "250000",
            "X-HubSpot-RateLimit-Daily-Remaining": "0" if policy == "DAILY" else "240000",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Secondly": "10",
            "X-HubSpot-RateLimit-Secondly-Remaining": "0",
        }
        self.faults.add(429, body=body, headers=headers, path=path, times=times)

    @staticmethod
    def _property(name: str, label: str, type_: str, field_type: str) -> dict[str, Any]:
        return {
            "name": name,
            "label": label,
            "type": type_,
            "fieldType": field_type,
            "description": "",
            "groupName": "contactinformation",
            "options": [],
            "hidden": False,
            "calculated": False,
            "hasUniqueValue": name == "hs_object_id",
            "formField": False,
        }

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/oauth/v1/access-tokens/{token:str}", self._access_token_info),
            Route(
                "/oauth/v1/refresh-tokens/{token:str}",
                self._refresh_token_info,
                methods=["GET", "DELETE"],
            ),
            Route("/crm/v3/objects/{object_type:str}", self._list),
            Route("/crm/v3/objects/{object_type:str}/search", self._search, methods=["POST"]),
            Route("/crm/v3/properties/{object_type:str}", self._properties),
        ]

    def _auth(self, request: Request) -> Response | None:
        token, why = self.oauth.check_bearer(request)
        if token is not None:
            return None
        if why == "expired":
            return hs_error(
                401,
                "EXPIRED_AUTHENTICATION",
                "The OAuth token used to make this call expired 0 day(s) ago.",
            )
        return hs_error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at "
            "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )

    async def _access_token_info(self, request: Request) -> Response:
        token, _ = self.oauth.check_token(request.path_params["token"])
        if token is None:
            return hs_error(404, "OBJECT_NOT_FOUND", "access token not found")
        user = token.grant.user
        return JSONResponse(
            {
                "token": token.token,
                "user": user,
                "hub_domain": self.portal.hub_domain,
                "scopes": token.grant.scope.split(),
                "hub_id": self.portal.hub_id,
                "app_id": self.portal.app_id,
                "expires_in": max(0, int(token.expires_at - time.time())),
                "user_id": self.portal.user_id(user),
                "token_type": "access",
            }
        )

    async def _refresh_token_info(self, request: Request) -> Response:
        refresh = self.oauth.refresh_tokens.get(request.path_params["token"])
        if refresh is None or refresh.revoked:
            return hs_error(404, "OBJECT_NOT_FOUND", "refresh token not found")
        if request.method == "DELETE":
            # Documented: deleting a refresh token leaves its access tokens working.
            self.oauth.revoke_token(refresh.token, cascade=False)
            return Response(status_code=204)
        user = refresh.grant.user or DEFAULT_USER
        return JSONResponse(
            {
                "token": refresh.token,
                "user": user,
                "hub_domain": self.portal.hub_domain,
                "scopes": refresh.grant.scope.split(),
                "hub_id": self.portal.hub_id,
                "client_id": self.oauth.client_id,
                "user_id": self.portal.user_id(user),
                "token_type": "refresh",
            }
        )

    def _object(self, request: Request) -> tuple[str, Response | None]:
        object_type = request.path_params["object_type"]
        if object_type not in self.records:
            message = f"Unable to infer object type from: {object_type}"
            return object_type, hs_error(404, "OBJECT_NOT_FOUND", message)
        return object_type, None

    async def _list(self, request: Request) -> Response:
        denied = self._auth(request)
        object_type, missing = self._object(request)
        if denied or missing:
            return denied or missing  # type: ignore[return-value]
        limit = min(_int(request.query_params.get("limit"), 10), LIST_MAX)
        offset = _int(request.query_params.get("after"), 0)
        wanted = _split(request.query_params.get("properties"))
        rows = sorted(self.records[object_type], key=lambda r: int(r.id))
        page = rows[offset : offset + limit]
        body: dict[str, Any] = {"results": [self._shape(object_type, r, wanted) for r in page]}
        if offset + limit < len(rows):
            after = str(offset + limit)
            body["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
        return JSONResponse(body)

    async def _search(self, request: Request) -> Response:
        denied = self._auth(request)
        object_type, missing = self._object(request)
        if denied or missing:
            return denied or missing  # type: ignore[return-value]
        query = await request.json()
        offset = _int(query.get("after"), 0)
        if offset >= self.search_cap:
            message = f"The search API is limited to {self.search_cap:,} total results."
            return hs_error(400, "VALIDATION_ERROR", message)
        limit = min(_int(query.get("limit"), 10), SEARCH_MAX)
        try:
            rows = [r for r in self.records[object_type] if _matches(r, query)]
        except (KeyError, ValueError) as exc:
            return hs_error(400, "VALIDATION_ERROR", f"Invalid filter: {exc}")
        rows.sort(key=_sort_key(query.get("sorts") or []))
        page = rows[offset : offset + limit]
        wanted = query.get("properties") or []
        body: dict[str, Any] = {
            "total": len(rows),
            "results": [self._shape(object_type, r, wanted) for r in page],
        }
        if offset + limit < len(rows):
            after = str(offset + limit)
            body["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
        return JSONResponse(body)

    def _shape(self, object_type: str, row: CrmRecord, wanted: list[str]) -> dict[str, Any]:
        names = wanted or DEFAULT_RETURNED.get(object_type, ["hs_object_id"])
        names = [
            *names,
            "hs_object_id",
            "createdate",
            MODIFIED.get(object_type, "hs_lastmodifieddate"),
        ]
        props = {n: row.properties.get(n) for n in dict.fromkeys(names)}
        return {
            "id": row.id,
            "properties": props,
            "createdAt": hs_time(row.created_at),
            "updatedAt": hs_time(row.updated_at),
            "archived": row.archived,
        }

    async def _properties(self, request: Request) -> Response:
        denied = self._auth(request)
        object_type, missing = self._object(request)
        if denied or missing:
            return denied or missing  # type: ignore[return-value]
        return JSONResponse({"results": self.properties.get(object_type, [])})


# ---- search filters ---------------------------------------------------------------------

DATE_PROPS = {"createdate", "lastmodifieddate", "hs_lastmodifieddate"}
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
}


def _matches(row: CrmRecord, query: dict[str, Any]) -> bool:
    groups = query.get("filterGroups") or []
    if not groups:
        return True
    # Filters inside a group are ANDed, the groups are ORed.
    return any(all(_filter(row, f) for f in g.get("filters", [])) for g in groups)


def _filter(row: CrmRecord, flt: dict[str, Any]) -> bool:
    name, operator = flt["propertyName"], flt["operator"]
    raw = row.properties.get(name)
    if operator == "HAS_PROPERTY":
        return raw is not None
    if operator == "NOT_HAS_PROPERTY":
        return raw is None
    if raw is None:
        return False
    if operator == "BETWEEN":
        low, high = _value(name, flt["value"]), _value(name, flt["highValue"])
        return low <= _value(name, raw) <= high
    return COMPARE[operator](_value(name, raw), _value(name, flt["value"]))


def _value(name: str, raw: Any) -> Any:
    """Dates compare as epoch milliseconds; HubSpot accepts millis or ISO strings for them."""
    text = str(raw)
    if name in DATE_PROPS:
        return int(text) if text.isdigit() else int(parse_iso(text).timestamp() * 1000)
    if name == "hs_object_id":
        return int(text)
    return text


def _sort_key(sorts: list[Any]) -> Callable[[CrmRecord], Any]:
    if not sorts:
        return lambda r: int(r.id)
    spec = sorts[0]
    name = spec if isinstance(spec, str) else spec.get("propertyName", "hs_object_id")
    descending = not isinstance(spec, str) and spec.get("direction") == "DESCENDING"

    def key(row: CrmRecord) -> Any:
        value = row.properties.get(name)
        number = _value(name, value) if value is not None else 0
        return (-number if descending and isinstance(number, int) else number, int(row.id))

    return key


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]
