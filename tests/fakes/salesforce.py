"""A fake Salesforce org: OAuth web-server flow, identity URL, REST query and describe.

Written from Salesforce's published documentation:
- Web server flow, authorize/token parameters, PKCE:
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_web_server_oauth_flow.htm
- Token response fields (access_token, instance_url, id, issued_at, signature; no expires_in):
  https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
- Refresh token flow (no new refresh token unless rotation is enabled on the app):
  https://help.salesforce.com/apex/HTViewHelpDoc?id=remoteaccess_oauth_refresh_token_flow.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api/intro_understanding_refresh_token_oauth.htm
- Revocation (POST or GET /services/oauth2/revoke, 200, or 400 invalid_token):
  https://developer.salesforce.com/docs/atlas.en-us.mobile_sdk.meta/mobile_sdk/oauth_revoking_tokens.htm
- Identity URL (https://login.salesforce.com/id/orgID/userID, Bearer or oauth_token):
  https://developer.salesforce.com/docs/platform/mobile-sdk/guide/oauth-using-identity-urls.html
- Query, query locator and nextRecordsUrl:
  https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.md
- Batch size (Sforce-Query-Options: batchSize, default 2000, min 200, max 2000, "no guarantee"):
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
- Error bodies ([{"message", "errorCode"}], 401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED):
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm

Quirks kept: the token response has no `expires_in` (the session timeout, 2 hours by default,
is an org setting the client cannot see); refresh returns no new refresh token; `signature` is
base64(HMAC-SHA256(id + issued_at, client_secret)); `issued_at` is epoch milliseconds as a
string; the batch size can be smaller than asked ("no guarantee"), which `batch_size` forces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import (
    AccessToken,
    OAuthError,
    OAuthServer,
    RefreshToken,
    VendorFake,
    as_utc,
    parse_iso,
)

ORG_ID = "00D5g000004ABCDEAU"
USER_ID = "0055g00000AbCdEAAV"
SESSION_TIMEOUT = 7200  # the org's default session timeout, 2 hours
DATA = r"/services/data/v{version:str}"


def sf_error(status: int, error_code: str, message: str) -> JSONResponse:
    """Salesforce REST errors are a JSON array of {message, errorCode}."""
    return JSONResponse([{"message": message, "errorCode": error_code}], status_code=status)


def sf_datetime(value: datetime) -> str:
    """Salesforce's dateTime format in JSON: 2024-01-02T03:04:05.000+0000."""
    utc = as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


@dataclass
class SObject:
    name: str
    label: str
    key_prefix: str
    fields: list[dict[str, str]]
    records: list[dict[str, Any]] = field(default_factory=list)


DEFAULT_OBJECTS: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "Account": (
        "Account",
        "001",
        # Standard fields, per the Object Reference's Account page:
        # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm
        [
            ("Name", "Account Name", "string"),
            ("Industry", "Industry", "picklist"),
            ("Website", "Website", "url"),
            ("AnnualRevenue", "Annual Revenue", "currency"),
            ("NumberOfEmployees", "Employees", "int"),
            ("OwnerId", "Owner ID", "reference"),
        ],
    ),
    "Contact": (
        "Contact",
        "003",
        [
            ("FirstName", "First Name", "string"),
            ("LastName", "Last Name", "string"),
            ("Email", "Email", "email"),
            ("Phone", "Business Phone", "phone"),
            ("Title", "Title", "string"),
            ("AccountId", "Account ID", "reference"),
        ],
    ),
    "Opportunity": (
        "Opportunity",
        "006",
        [("Name", "Name", "string"), ("Amount", "Amount", "currency")],
    ),
}
SYSTEM_FIELDS = [
    ("Id", "Record ID", "id"),
    ("CreatedDate", "Created Date", "datetime"),
    ("LastModifiedDate", "Last Modified Date", "datetime"),
    ("SystemModstamp", "System Modstamp", "datetime"),
]

SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
    r"(?:\s+WHERE\s+(?P<wfield>\w+)\s*(?P<op>>=|<=|>|<|=)\s*(?P<value>\S+))?"
    r"(?:\s+ORDER\s+BY\s+(?P<ofield>\w+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
}


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class SalesforceOAuth(OAuthServer):
    """Token responses shaped as Salesforce documents them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/services/oauth2/authorize",
            token_path="/services/oauth2/token",
            revoke_path="/services/oauth2/revoke",
            access_ttl=SESSION_TIMEOUT,
            refresh_on_refresh=False,
            grant_types=("authorization_code", "refresh_token", "client_credentials"),
            vendor_name="Salesforce",
            **kwargs,
        )
        self.instance_url: str | None = None  # None: the address the request came in on

    def new_access_token(self) -> str:
        # Salesforce session ids start with the org id and "!".
        return f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"

    def base_url(self, request: Request) -> str:
        return self.instance_url or str(request.base_url).rstrip("/")

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        base = self.base_url(request)
        identity = f"{base}/id/{ORG_ID}/{USER_ID}"
        issued_at = str(int(time.time() * 1000))
        mac = hmac.new(self.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256)
        payload: dict[str, Any] = {
            "access_token": access.token,
            "signature": base64.b64encode(mac.digest()).decode(),
            "scope": access.grant.scope or "api refresh_token",
            "instance_url": base,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
        if refresh is not None:
            payload["refresh_token"] = refresh.token
        return payload

    def revoke_response(self, found: bool) -> Response:
        if found:
            return Response(status_code=200)
        return JSONResponse(
            {"error": "invalid_token", "error_description": "Invalid token"}, status_code=400
        )

    def error_response(self, err: OAuthError) -> Response:
        # Salesforce answers client errors with 400 too (documented examples), not 401.
        return JSONResponse(
            {"error": err.error, "error_description": err.description}, status_code=400
        )


class SalesforceFake(VendorFake):
    """A Salesforce org with Account, Contact and Opportunity and a query API.

    Hooks: `add_records(obj, [...])`, `define_object(name, fields)`, `batch_size` (force
    smaller pages), `request_limit_exceeded()`, `expire_query_locators()`, and the OAuth
    server's `revoke_grant`, `disable_user`, `expire_access_token`, `issue_tokens`.
    """

    def __init__(
        self,
        client_id: str = "sf-client-id",
        client_secret: str = "sf-client-secret",
        redirect_uri: str = "http://127.0.0.1:8000/oauth/callback",
        rotate_refresh: bool = False,
    ) -> None:
        oauth = SalesforceOAuth(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            rotate_refresh=rotate_refresh,
        )
        self.objects: dict[str, SObject] = {}
        for name, (label, prefix, fields) in DEFAULT_OBJECTS.items():
            self.define_object(name, fields, label=label, key_prefix=prefix)
        self.batch_size: int | None = None
        self.locators: dict[str, list[dict[str, Any]]] = {}
        self.identity = {"username": "user@example.com", "display_name": "Example User"}
        super().__init__(oauth, self._routes())
        self.oauth: SalesforceOAuth = oauth

    # ---- seeding and hooks --------------------------------------------------------------

    def define_object(
        self,
        name: str,
        fields: list[tuple[str, str, str]],
        label: str | None = None,
        key_prefix: str = "a00",
    ) -> SObject:
        described = [{"name": n, "label": lbl, "type": t} for n, lbl, t in SYSTEM_FIELDS + fields]
        self.objects[name] = SObject(name, label or name, key_prefix, described)
        return self.objects[name]

    def add_records(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store records; Id and the audit dates are filled in when missing."""
        sobject = self.objects[obj]
        stored = []
        for record in records:
            row = dict(record)
            row.setdefault("Id", f"{sobject.key_prefix}{secrets.token_hex(6).upper()}AAA")
            now = datetime.now().astimezone()
            row.setdefault("SystemModstamp", now)
            row.setdefault("LastModifiedDate", row["SystemModstamp"])
            row.setdefault("CreatedDate", row["SystemModstamp"])
            for key in ("SystemModstamp", "LastModifiedDate", "CreatedDate"):
                row[key] = as_utc(row[key])
            sobject.records.append(row)
            stored.append(row)
        return stored

    def request_limit_exceeded(self, times: int = 1) -> None:
        """The org used up its 24-hour API allocation: 403 REQUEST_LIMIT_EXCEEDED."""
        body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        self.faults.add(403, body=body, path="/services/data/", times=times)

    def expire_query_locators(self) -> None:
        self.locators.clear()

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/services/data", self._versions),
            Route("/services/data/", self._versions),
            Route(DATA + "/query", self._query),
            Route(DATA + "/query/", self._query),
            Route(DATA + "/query/{locator:str}", self._query_more),
            Route(DATA + "/sobjects", self._sobjects),
            Route(DATA + "/sobjects/", self._sobjects),
            Route(DATA + "/sobjects/{obj:str}/describe", self._describe),
            Route(DATA + "/sobjects/{obj:str}/describe/", self._describe),
            Route("/id/{org:str}/{user:str}", self._identity),
        ]

    def _auth(self, request: Request) -> Response | None:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return None

    async def _versions(self, request: Request) -> Response:
        return JSONResponse(
            [{"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"}]
        )

    async def _query(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        version = request.path_params["version"]
        try:
            obj, rows, fields = self._run_soql(request.query_params.get("q", ""))
        except SoqlError as err:
            return sf_error(400, err.code, str(err))
        shaped = [self._shape(obj, version, row, fields) for row in rows]
        return self._page(version, shaped, 0, self._batch(request))

    async def _query_more(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        locator_id, _, offset = request.path_params["locator"].rpartition("-")
        rows = self.locators.get(locator_id)
        if rows is None or not offset.isdigit():
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        batch = self._batch(request)
        return self._page(request.path_params["version"], rows, int(offset), batch, locator_id)

    def _batch(self, request: Request) -> int:
        match = re.search(r"batchSize=(\d+)", request.headers.get("sforce-query-options", ""))
        asked = int(match.group(1)) if match else 2000
        size = min(max(asked, 200), 2000)
        return min(size, self.batch_size) if self.batch_size else size

    def _page(
        self, version: str, rows: list[dict[str, Any]], offset: int, batch: int, locator: str = ""
    ) -> Response:
        chunk = rows[offset : offset + batch]
        body: dict[str, Any] = {"totalSize": len(rows), "done": offset + batch >= len(rows)}
        if not body["done"]:
            locator = locator or "01g" + secrets.token_hex(6).upper() + "AAA"
            self.locators[locator] = rows
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + batch}"
        body["records"] = chunk
        return JSONResponse(body)

    def _run_soql(self, soql: str) -> tuple[str, list[dict[str, Any]], list[str]]:
        match = SOQL.match(soql)
        if not match:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token in query: {soql[:60]}")
        obj = next((o for o in self.objects if o.lower() == match["obj"].lower()), None)
        if obj is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{match['obj']}' is not supported.")
        fields = [self._field(obj, f.strip()) for f in match["fields"].split(",")]
        rows = list(self.objects[obj].records)
        if match["wfield"]:
            rows = self._where(obj, rows, match["wfield"], match["op"], match["value"])
        if match["ofield"]:
            key = self._field(obj, match["ofield"])
            desc = (match["dir"] or "ASC").upper() == "DESC"
            rows.sort(key=lambda r: (r.get(key) is None, r.get(key)), reverse=desc)
        if match["limit"]:
            rows = rows[: int(match["limit"])]
        return obj, rows, fields

    def _field(self, obj: str, name: str) -> str:
        for described in self.objects[obj].fields:
            if described["name"].lower() == name.lower():
                return described["name"]
        raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{obj}'.")

    def _where(
        self, obj: str, rows: list[dict[str, Any]], name: str, op: str, literal: str
    ) -> list[dict[str, Any]]:
        key = self._field(obj, name)
        value: Any = literal.strip("'")
        if re.match(r"^\d{4}-\d{2}-\d{2}T", literal):
            value = parse_iso(literal)
        elif not literal.startswith("'") and re.match(r"^-?\d+(\.\d+)?$", literal):
            value = float(literal)
        return [r for r in rows if r.get(key) is not None and OPS[op](r[key], value)]

    def _shape(
        self, obj: str, version: str, row: dict[str, Any], fields: list[str]
    ) -> dict[str, Any]:
        url = f"/services/data/v{version}/sobjects/{obj}/{row['Id']}"
        shaped: dict[str, Any] = {"attributes": {"type": obj, "url": url}}
        for name in fields:
            value = row.get(name)
            shaped[name] = sf_datetime(value) if isinstance(value, datetime) else value
        return shaped

    async def _sobjects(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        version = request.path_params["version"]
        listed = [self._sobject_summary(o, version) for o in self.objects.values()]
        return JSONResponse({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": listed})

    def _sobject_summary(self, obj: SObject, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{obj.name}"
        return {
            "name": obj.name,
            "label": obj.label,
            "labelPlural": obj.label + "s",
            "keyPrefix": obj.key_prefix,
            "custom": obj.name.endswith("__c"),
            "queryable": True,
            "urls": {"sobject": base, "describe": base + "/describe"},
        }

    async def _describe(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        obj = self.objects.get(request.path_params["obj"])
        if obj is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        body = self._sobject_summary(obj, request.path_params["version"])
        body["fields"] = [{**f, "nillable": f["name"] != "Id"} for f in obj.fields]
        return JSONResponse(body)

    async def _identity(self, request: Request) -> Response:
        token_value = request.query_params.get("oauth_token")
        if token_value:
            token, _ = self.oauth.check_token(token_value)
        else:
            token, _ = self.oauth.check_bearer(request)
        if token is None:
            return Response("Bad_OAuth_Token", status_code=403, media_type="text/plain")
        org, user = request.path_params["org"], request.path_params["user"]
        if (org, user) != (ORG_ID, USER_ID):
            return Response("Bad_Id", status_code=404, media_type="text/plain")
        return JSONResponse(self._identity_body(request, token))

    def _identity_body(self, request: Request, token: AccessToken) -> dict[str, Any]:
        base = self.oauth.base_url(request)
        return {
            "id": f"{base}/id/{ORG_ID}/{USER_ID}",
            "user_id": USER_ID,
            "organization_id": ORG_ID,
            "username": self.identity["username"],
            "display_name": self.identity["display_name"],
            "email": self.identity["username"],
            "active": True,
            "user_type": "STANDARD",
            "urls": {
                "rest": f"{base}/services/data/v{{version}}/",
                "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
                "query": f"{base}/services/data/v{{version}}/query/",
            },
        }
