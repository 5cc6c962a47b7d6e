"""A fake Dataverse environment (Dynamics 365) behind the Microsoft identity platform.

The authorization server is tests/fakes/oauth_vendors.py's `MicrosoftOAuth` (v2.0 endpoints,
PKCE, rotating refresh tokens, JWT access tokens with a `tid` claim); this module adds the
Dataverse Web API, written from Microsoft's published documentation:
- Query data, $select, $filter (gt/ge/lt/le/eq on dates, `and`), $orderby, no $skip:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/overview
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/order-rows
- Paging: `Prefer: odata.maxpagesize=n` (default and most 5,000; larger is ignored), answered
  with `Preference-Applied`; `@odata.nextLink` is an absolute URL that carries the query with a
  `$skiptoken`, and is absent on the last page; Dataverse has no $skip:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/page-results
- Errors: {"error": {"code": "0x8006...", "message": "..."}}:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
- Service protection limits: 429 with Retry-After (seconds) and error code 0x80072322:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits
- An expired or missing token is 401 with an empty body and a WWW-Authenticate challenge:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/authenticate-oauth
- WhoAmI: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/whoami
- Table definitions: GET EntityDefinitions ($select honoured, MetadataId always returned,
  DisplayName as a Label with LocalizedLabels and UserLocalizedLabel) and
  EntityDefinitions(LogicalName='account')/Attributes (LogicalName, AttributeType, DisplayName,
  IsValidForRead, @odata.type of the attribute's metadata class):
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/attributetypecode
  A lookup column (parentcustomerid) is read through its `_parentcustomerid_value` property:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/web-api-properties

Quirks kept: every row carries `@odata.etag` and its primary key even when $select omits it;
DateTimeOffset values are `2024-03-01T00:00:00Z`; the page size is the client's preference
capped at 5,000, and `page_size` can force it smaller (the service "might return fewer").

Hooks: `add_records(entity_set, [...])`, `page_size`, `service_protection_limit(...)`,
`define_table(entity_set, logical, {column: AttributeType})`, and
the OAuth server's `issue_tokens`, `expire_access_token`, `revoke_grant`, `disable_user`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import VendorFake, as_utc, decode_cursor, encode_cursor, parse_iso
from tests.fakes.oauth_vendors import REDIRECT, MicrosoftOAuth

API = "/api/data/v9.2"
MAX_PAGE = 5000
ORGANIZATION_ID = "f7c1b2a0-52f5-4d1f-9a1e-0a7b2c1d3e4f"
USER_ID = "7d577253-3ef0-4a0a-bb7f-8335c2596e70"
COMPARISON = re.compile(r"^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$")
OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def odata_error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


def odata_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class QueryError(Exception):
    def __init__(self, message: str, code: str = "0x80060888") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class EntitySet:
    name: str
    logical: str  # the table's logical name: account for accounts
    attributes: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)  # column -> AttributeType

    def type_of(self, column: str) -> str:
        if column == self.key:
            return "Uniqueidentifier"
        return self.types.get(column) or ATTRIBUTE_TYPES.get(column, "String")

    @property
    def key(self) -> str:
        return f"{self.logical}id"


TABLES = {
    "accounts": ("account", "name websiteurl industrycode revenue"),
    "contacts": (
        "contact",
        "firstname lastname fullname emailaddress1 telephone1 _parentcustomerid_value",
    ),
    "opportunities": ("opportunity", "name estimatedvalue statecode"),
    "incidents": ("incident", "title ticketnumber statecode"),
}
SYSTEM = ("createdon", "modifiedon", "versionnumber")
# AttributeType of each column the tables above have (the key column is Uniqueidentifier).
ATTRIBUTE_TYPES = {
    "createdon": "DateTime",
    "modifiedon": "DateTime",
    "versionnumber": "BigInt",
    "revenue": "Money",
    "estimatedvalue": "Money",
    "industrycode": "Picklist",
    "statecode": "State",
    "_parentcustomerid_value": "Customer",
}
METADATA_CLASS = {
    "String": "StringAttributeMetadata",
    "Memo": "MemoAttributeMetadata",
    "DateTime": "DateTimeAttributeMetadata",
    "BigInt": "BigIntAttributeMetadata",
    "Money": "MoneyAttributeMetadata",
    "Picklist": "PicklistAttributeMetadata",
    "State": "StateAttributeMetadata",
    "Customer": "LookupAttributeMetadata",
    "Lookup": "LookupAttributeMetadata",
    "Uniqueidentifier": "UniqueIdentifierAttributeMetadata",
    "Boolean": "BooleanAttributeMetadata",
    "Integer": "IntegerAttributeMetadata",
    "Decimal": "DecimalAttributeMetadata",
    "Double": "DoubleAttributeMetadata",
    "Virtual": "AttributeMetadata",
}
# Tables every environment has that are not readable as rows: no entity set, or private.
HIDDEN_TABLES = [
    {"LogicalName": "principalobjectaccess", "EntitySetName": None, "IsPrivate": True},
    {"LogicalName": "accountleads", "EntitySetName": "accountleadscollection", "IsPrivate": True},
]


class DynamicsFake(VendorFake):
    """One Dataverse environment with accounts, contacts, opportunities and incidents."""

    def __init__(
        self,
        client_id: str = "dynamics-client",
        client_secret: str = "dynamics-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = MicrosoftOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.sets: dict[str, EntitySet] = {}
        for name, (logical, attributes) in TABLES.items():
            columns = (f"{logical}id", *attributes.split(), *SYSTEM)
            self.sets[name] = EntitySet(name, logical, columns)
        self.page_size: int | None = None
        self._version = 1000
        self.metadata_ids: dict[str, str] = {}
        super().__init__(oauth, self._routes())
        self.oauth: MicrosoftOAuth = oauth

    # ---- seeding and hooks --------------------------------------------------------------

    def add_records(self, entity_set: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store rows; the primary key, createdon, modifiedon and version are filled in."""
        table = self.sets[entity_set]
        stored = []
        for row in rows:
            record = dict(row)
            record.setdefault(table.key, str(uuid.uuid4()))
            record.setdefault("modifiedon", datetime.now(UTC))
            record.setdefault("createdon", record["modifiedon"])
            for name in ("createdon", "modifiedon"):
                record[name] = as_utc(record[name])
            self._version += 1
            record["versionnumber"] = self._version
            table.rows.append(record)
            stored.append(record)
        return stored

    def define_table(self, entity_set: str, logical: str, columns: dict[str, str]) -> EntitySet:
        """A custom table: {column: AttributeType}; the key and system columns are added."""
        names = (f"{logical}id", *columns, *SYSTEM)
        self.sets[entity_set] = EntitySet(entity_set, logical, names, types=dict(columns))
        return self.sets[entity_set]

    def service_protection_limit(self, retry_after: int = 1, times: int = 1) -> None:
        """Too many requests in the 5-minute window: 429, Retry-After, 0x80072322."""
        body = {
            "error": {
                "code": "0x80072322",
                "message": "Number of requests exceeded the limit of 6000 over time window "
                "of 300 seconds.",
            }
        }
        headers = {"Retry-After": str(retry_after)}
        self.faults.add(429, body, headers=headers, path=API, times=times)

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route(API + "/WhoAmI", self._who_am_i),
            Route(API + "/EntityDefinitions", self._entity_definitions),
            Route(
                API + "/EntityDefinitions(LogicalName='{logical:str}')/Attributes",
                self._attributes,
            ),
            Route(API + "/{entity_set:str}", self._query),
        ]

    def _challenge(self, request: Request) -> Response | None:
        token, _ = self.oauth.check_bearer(request)
        if token is not None:
            return None
        authority = f"https://login.microsoftonline.com/{self.oauth.tenant_id}/oauth2/authorize"
        challenge = f"Bearer authorization_uri={authority}, resource_id={request.base_url}"
        return Response(status_code=401, headers={"WWW-Authenticate": challenge})

    async def _who_am_i(self, request: Request) -> Response:
        denied = self._challenge(request)
        if denied:
            return denied
        return JSONResponse(
            {
                "@odata.context": f"{request.base_url}{API[1:]}/$metadata"
                "#Microsoft.Dynamics.CRM.WhoAmIResponse",
                "BusinessUnitId": str(uuid.UUID(int=1)),
                "UserId": USER_ID,
                "OrganizationId": ORGANIZATION_ID,
            }
        )

    async def _entity_definitions(self, request: Request) -> Response:
        denied = self._challenge(request)
        if denied:
            return denied
        tables = [
            {"LogicalName": t.logical, "EntitySetName": t.name, "IsPrivate": False}
            for t in self.sets.values()
        ] + HIDDEN_TABLES
        rows = [
            {
                **row,
                "MetadataId": self._metadata_id(row["LogicalName"]),
                "DisplayName": _label(row["LogicalName"].title()),
            }
            for row in tables
        ]
        return self._metadata(request, "EntityDefinitions", rows)

    async def _attributes(self, request: Request) -> Response:
        denied = self._challenge(request)
        if denied:
            return denied
        logical = request.path_params["logical"]
        table = next((t for t in self.sets.values() if t.logical == logical), None)
        if table is None:
            message = f"Could not find entity with logical name '{logical}'."
            return odata_error(404, "0x80040217", message)
        rows = []
        for column in table.attributes:
            kind = table.type_of(column)
            # A lookup's attribute is its logical name; the Web API reads `_<name>_value`.
            name = column[1:-6] if column.startswith("_") and column.endswith("_value") else column
            metadata_class = METADATA_CLASS.get(kind, "AttributeMetadata")
            rows.append(
                {
                    "@odata.type": f"#Microsoft.Dynamics.CRM.{metadata_class}",
                    "LogicalName": name,
                    "AttributeType": kind,
                    "IsValidForRead": True,
                    "MetadataId": self._metadata_id(f"{logical}.{name}"),
                    "DisplayName": _label(name.replace("_", " ").title()),
                }
            )
        return self._metadata(request, f"EntityDefinitions('{logical}')/Attributes", rows)

    def _metadata(self, request: Request, context: str, rows: list[dict[str, Any]]) -> Response:
        """A metadata collection: $select narrows it (MetadataId and @odata.type stay)."""
        select = [s.strip() for s in request.query_params.get("$select", "").split(",") if s]
        if select:
            keep = {*select, "MetadataId", "@odata.type"}
            rows = [{k: v for k, v in row.items() if k in keep} for row in rows]
        base = str(request.base_url).rstrip("/")
        body = {"@odata.context": f"{base}{API}/$metadata#{context}", "value": rows}
        return JSONResponse(body, headers={"OData-Version": "4.0"})

    def _metadata_id(self, name: str) -> str:
        return self.metadata_ids.setdefault(name, str(uuid.uuid5(uuid.NAMESPACE_URL, name)))

    async def _query(self, request: Request) -> Response:
        denied = self._challenge(request)
        if denied:
            return denied
        table = self.sets.get(request.path_params["entity_set"])
        if table is None:
            name = request.path_params["entity_set"]
            return odata_error(404, "0x80060888", f"Resource not found for the segment '{name}'.")
        try:
            select, rows, offset = self._run(table, request)
        except QueryError as err:
            return odata_error(400, err.code, str(err))
        size = self._size(request)
        chunk = rows[offset : offset + size]
        base = str(request.base_url).rstrip("/")
        body: dict[str, Any] = {
            "@odata.context": f"{base}{API}/$metadata#{table.name}({','.join(select)})",
            "value": [self._shape(table, row, select) for row in chunk],
        }
        if offset + size < len(rows):
            body["@odata.nextLink"] = self._next_link(request, base, offset + size)
        return JSONResponse(
            body,
            headers={"OData-Version": "4.0", "Preference-Applied": f"odata.maxpagesize={size}"},
        )

    def _size(self, request: Request) -> int:
        match = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("prefer", ""))
        asked = int(match.group(1)) if match else MAX_PAGE
        size = asked if 0 < asked <= MAX_PAGE else MAX_PAGE
        return min(size, self.page_size) if self.page_size else size

    def _next_link(self, request: Request, base: str, offset: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "$skiptoken"]
        query.append(("$skiptoken", encode_cursor({"offset": offset})))
        # OData writes its system query options with a bare `$`, spaces as %20.
        return f"{base}{request.url.path}?{urlencode(query, safe='$,', quote_via=quote)}"

    def _run(
        self, table: EntitySet, request: Request
    ) -> tuple[list[str], list[dict[str, Any]], int]:
        params = request.query_params
        if "$skip" in params:
            raise QueryError("The query parameter $skip is not supported", "0x80060888")
        select = [s.strip() for s in params.get("$select", "").split(",") if s.strip()]
        for name in select:
            self._attribute(table, name)
        rows = list(table.rows)
        if params.get("$filter"):
            rows = self._filter(table, rows, params["$filter"])
        if params.get("$orderby"):
            rows = self._order(table, rows, params["$orderby"])
        offset = 0
        if "$skiptoken" in params:
            token = decode_cursor(params["$skiptoken"])
            if token is None or not isinstance(token.get("offset"), int):
                raise QueryError("The $skiptoken is not valid.", "0x80040203")
            offset = token["offset"]
        return select or list(table.attributes), rows, offset

    def _attribute(self, table: EntitySet, name: str) -> str:
        if name not in table.attributes:
            raise QueryError(
                f"Could not find a property named '{name}' on type "
                f"'Microsoft.Dynamics.CRM.{table.logical}'."
            )
        return name

    def _filter(
        self, table: EntitySet, rows: list[dict[str, Any]], expression: str
    ) -> list[dict[str, Any]]:
        for clause in re.split(r"\s+and\s+", expression.strip()):
            match = COMPARISON.match(clause)
            if not match:
                raise QueryError(f"Syntax error at position 0 in '{expression}'.", "0x80060888")
            name, op, literal = match.groups()
            attribute = self._attribute(table, name)
            value = _literal(literal)
            rows = [
                r for r in rows if r.get(attribute) is not None and OPS[op](r[attribute], value)
            ]
        return rows

    def _order(
        self, table: EntitySet, rows: list[dict[str, Any]], expression: str
    ) -> list[dict[str, Any]]:
        for part in reversed([p.strip() for p in expression.split(",")]):
            name, _, direction = part.partition(" ")
            attribute = self._attribute(table, name)
            descending = direction.strip().lower() == "desc"
            rows.sort(
                key=lambda r: (r.get(attribute) is None, r.get(attribute)), reverse=descending
            )
        return rows

    def _shape(self, table: EntitySet, row: dict[str, Any], select: list[str]) -> dict[str, Any]:
        shaped: dict[str, Any] = {"@odata.etag": f'W/"{row["versionnumber"]}"'}
        for name in dict.fromkeys([*select, table.key]):
            value = row.get(name)
            shaped[name] = odata_time(value) if isinstance(value, datetime) else value
        return shaped


def _label(text: str) -> dict[str, Any]:
    label = {"Label": text, "LanguageCode": 1033, "IsManaged": True}
    return {"LocalizedLabels": [label], "UserLocalizedLabel": label}


def _literal(text: str) -> Any:
    """OData literals: 'text', numbers, null, and DateTimeOffset written bare."""
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if re.match(r"^\d{4}-\d{2}-\d{2}T", text):
        try:
            return parse_iso(text)
        except ValueError as exc:
            raise QueryError(f"'{text}' is not a valid DateTimeOffset.") from exc
    if re.match(r"^-?\d+(\.\d+)?$", text):
        return float(text)
    if text == "null":
        return None
    raise QueryError(f"Syntax error: '{text}' is not a valid literal.")
