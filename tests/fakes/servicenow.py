"""A fake ServiceNow instance: its OAuth server and the Table API.

Written from ServiceNow's published documentation:
- Table API (GET /api/now/table/{tableName}, also /api/now/v1 and /v2; `result` array;
  sysparm_query, sysparm_fields, sysparm_limit (default 10000), sysparm_offset,
  sysparm_exclude_reference_link, sysparm_display_value):
  https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI
  https://docs.servicenow.com/bundle/kingston-application-development/page/integrate/inbound-rest/concept/c_TableAPI.html
- Paging: the Link header with first/prev/next/last (next left out on the last page, no
  Link at all when one page holds everything) and X-Total-Count; ORDERBY recommended so that
  offsets stay stable:
  https://gist.github.com/bryanbarnard/ee1d952604a11e0f0342
  https://www.servicenow.com/community/developer-forum/want-to-limit-query-to-50-records-at-a-time-while-making-a-get/m-p/1913870
- Encoded queries (conditions joined by `^`, `ORDERBY<field>` / `ORDERBYDESC<field>`):
  https://docs.servicenow.com/bundle/latest/page/use/using-lists/concept/c_EncodedQueryStrings.html
- Inbound REST rate limiting (429 with Retry-After, X-RateLimit-Limit, X-RateLimit-Reset,
  X-RateLimit-Rule, and a JSON error message):
  https://docs.servicenow.com/bundle/washingtondc-api-reference/page/integrate/inbound-rest/concept/inbound-REST-API-rate-limiting.html
- REST error bodies ({"error": {"message", "detail"}, "status": "failure"}; 401 "User Not
  Authenticated"): https://docs.servicenow.com/bundle/latest/page/integrate/inbound-rest/concept/c_RESTAPI.html
- Table and field definitions are tables too, read through the same Table API:
  sys_db_object (name, label, super_class: the parent table a table extends, e.g. incident
  extends task) and sys_dictionary (name: the table, element: the field, column_label,
  internal_type such as string, glide_date_time, reference, boolean, integer; one row per
  field on the table that defines it, so inherited fields are found under the parent):
  https://docs.servicenow.com/bundle/latest/page/administer/reference-pages/reference/r_TablesAndClasses.html
  https://docs.servicenow.com/bundle/latest/page/administer/data-dictionary-tables/concept/c_SystemDictionary.html
  https://docs.servicenow.com/bundle/latest/page/administer/reference-pages/reference/r_FieldTypes.html
  Encoded-query operators IN (comma-separated values) and ISNOTEMPTY / ISEMPTY:
  https://docs.servicenow.com/bundle/latest/page/use/common-ui-elements/reference/r_OpAvailableFiltersQueries.html
- OAuth (oauth_auth.do / oauth_token.do, 30-minute access tokens, refresh tokens): the
  authorization server is tests/fakes/oauth_vendors.py's ServiceNowOAuth, reused here.
  https://docs.servicenow.com/bundle/xanadu-platform-security/page/administer/security/reference/r_OAuthAPIRequestParameters.html

Quirks kept: every field value is a string ("true", "2"), dates are "YYYY-MM-DD HH:MM:SS"
in UTC (the raw value, not the display value); a reference field is {"link", "value"} unless
sysparm_exclude_reference_link=true; an unknown table is 400 "Invalid table"; the Link URLs
carry the instance's own host.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import VendorFake, as_utc
from tests.fakes.oauth_vendors import REDIRECT, ServiceNowOAuth

DEFAULT_LIMIT = 10000
META_TABLES: dict[str, dict[str, str]] = {
    "sys_db_object": {
        "name": "string",
        "label": "string",
        "super_class": "reference:sys_db_object",
    },
    "sys_dictionary": {
        "name": "string",
        "element": "string",
        "column_label": "string",
        "internal_type": "string",
    },
}
TABLES: dict[str, dict[str, str]] = {
    # field -> kind: "string", "date", "boolean", "integer" or "reference:<table>"
    "task": {
        "number": "string",
        "short_description": "string",
        "state": "string",
        "priority": "string",
    },
    "incident": {"caller_id": "reference:sys_user"},
    "sys_user": {"name": "string", "email": "string", "active": "string"},
    "core_company": {"name": "string", "website": "string"},
}
PARENTS = {"incident": "task"}
SYSTEM_FIELDS = {
    "sys_id": "string",
    "sys_created_on": "date",
    "sys_updated_on": "date",
    "sys_mod_count": "string",
}
INTERNAL_TYPES = {"string": "string", "date": "glide_date_time", "boolean": "boolean"}
INTERNAL_TYPES |= {"integer": "integer", "reference": "reference"}
SPECIAL_CONDITION = re.compile(
    r"^(?P<field>[a-z_0-9.]+)(?P<op>ISNOTEMPTY|ISEMPTY|IN)(?P<value>.*)$"
)
CONDITION = re.compile(r"^(?P<field>[a-z_0-9.]+)(?P<op>>=|<=|!=|>|<|=)(?P<value>.*)$")


def sn_time(value: datetime | str) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S")


def sn_error(status: int, message: str, detail: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return JSONResponse(body, status_code=status)


class QueryError(Exception):
    pass


class ServiceNowFake(VendorFake):
    """A ServiceNow instance with incident, sys_user and core_company tables.

    Hooks: `add_records(table, [...])` (sys_id and sys_* dates filled in; `sys_updated_on`
    may be a datetime or ISO text), `define_table(name, {field: kind}, extends=None)` (also
    written into sys_db_object and sys_dictionary),
    `rate_limited(retry_after, times)`, `max_limit` (cap sysparm_limit, e.g. to force pages),
    and the OAuth server's `issue_tokens`, `expire_access_token`, `revoke_grant`.
    """

    def __init__(
        self,
        instance: str = "acme",
        client_id: str = "sn-client-id",
        client_secret: str = "sn-client-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = ServiceNowOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.instance = instance
        self.tables: dict[str, dict[str, str]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        for name, fields in {**META_TABLES, **TABLES}.items():
            self.define_table(name, fields, PARENTS.get(name))
        self.max_limit: int | None = None
        super().__init__(oauth, self._routes())

    # ---- seeding and hooks --------------------------------------------------------------

    def define_table(self, name: str, fields: dict[str, str], extends: str | None = None) -> None:
        inherited = self.tables[extends] if extends else SYSTEM_FIELDS
        self.tables[name] = {**inherited, **fields}
        self.rows.setdefault(name, [])
        if "sys_dictionary" not in self.tables:
            return  # the definition tables themselves, before they exist
        parent = [r for r in self.rows["sys_db_object"] if r["name"] == extends]
        label = name.replace("_", " ").title()
        super_class = parent[0]["sys_id"] if parent else ""
        self.add_records(
            "sys_db_object", [{"name": name, "label": label, "super_class": super_class}]
        )
        # The dictionary lists a field on the table that defines it; children inherit it.
        own = fields if extends else {**SYSTEM_FIELDS, **fields}
        self.add_records(
            "sys_dictionary",
            [
                {
                    "name": name,
                    "element": element,
                    "column_label": element.replace("_", " ").title(),
                    "internal_type": (
                        "GUID" if element == "sys_id" else INTERNAL_TYPES[kind.split(":")[0]]
                    ),
                }
                for element, kind in own.items()
            ]
            + [{"name": name, "element": "", "column_label": label, "internal_type": "collection"}],
        )

    def add_records(self, table: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for record in records:
            row = dict(record)
            row.setdefault("sys_id", secrets.token_hex(16))
            row["sys_updated_on"] = as_utc(row.get("sys_updated_on") or datetime.now(UTC))
            row["sys_created_on"] = as_utc(row.get("sys_created_on") or row["sys_updated_on"])
            row.setdefault("sys_mod_count", 0)
            self.rows[table] = [r for r in self.rows[table] if r["sys_id"] != row["sys_id"]]
            self.rows[table].append(row)
            stored.append(row)
        return stored

    def rate_limited(self, retry_after: int = 1, times: int = 1) -> None:
        """An inbound REST rate limit rule fired for this user."""
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": "1000",
            "X-RateLimit-Reset": str(int(time.time()) + retry_after),
            "X-RateLimit-Rule": secrets.token_hex(16),
        }
        body = {
            "error": {
                "message": "Rate limit exceeded",
                "detail": "The maximum number of requests per hour for this user was reached.",
            },
            "status": "failure",
        }
        self.faults.add(429, body=body, headers=headers, path="/api/now/", times=times)

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/api/now/table/{table:str}", self._table),
            Route("/api/now/{version:str}/table/{table:str}", self._table),
        ]

    async def _table(self, request: Request) -> Response:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return sn_error(401, "User Not Authenticated", "Required to provide Auth information")
        table = request.path_params["table"]
        if table not in self.tables:
            return sn_error(400, f"Invalid table {table}")
        params = request.query_params
        try:
            rows = self._query(table, params.get("sysparm_query", ""))
            limit, offset = self._window(params)
        except QueryError as err:
            return sn_error(400, str(err))
        page = rows[offset : offset + limit]
        fields = [f for f in params.get("sysparm_fields", "").split(",") if f]
        bare_refs = params.get("sysparm_exclude_reference_link", "false").lower() == "true"
        base = str(request.base_url).rstrip("/")
        result = [self._shape(table, row, fields, bare_refs, base) for row in page]
        headers = {"X-Total-Count": str(len(rows))}
        link = _link_header(base + request.url.path, dict(params), offset, limit, len(rows))
        if link:
            headers["Link"] = link
        return JSONResponse({"result": result}, headers=headers)

    def _window(self, params: Any) -> tuple[int, int]:
        try:
            limit = int(params.get("sysparm_limit", DEFAULT_LIMIT))
            offset = int(params.get("sysparm_offset", 0))
        except ValueError as exc:
            raise QueryError("sysparm_limit and sysparm_offset must be numbers") from exc
        if self.max_limit:
            limit = min(limit, self.max_limit)
        return max(limit, 1), max(offset, 0)

    def _query(self, table: str, encoded: str) -> list[dict[str, Any]]:
        rows = list(self.rows[table])
        orders: list[tuple[str, bool]] = []
        for part in (p for p in encoded.split("^") if p):
            if part.startswith("ORDERBYDESC"):
                orders.append((self._field(table, part[11:]), True))
            elif part.startswith("ORDERBY"):
                orders.append((self._field(table, part[7:]), False))
            else:
                rows = self._where(table, rows, part)
        for name, desc in reversed(orders):
            rows.sort(key=lambda r, n=name: _sortable(r.get(n)), reverse=desc)
        return rows

    def _field(self, table: str, name: str) -> str:
        if name not in self.tables[table]:
            # ServiceNow ignores unknown fields in a query; the fake says so loudly instead,
            # so a client's typo does not pass unnoticed in tests.
            raise QueryError(f"Unknown field {name} in table {table}")
        return name

    def _where(self, table: str, rows: list[dict[str, Any]], part: str) -> list[dict[str, Any]]:
        special = SPECIAL_CONDITION.match(part)
        if special:
            name, op = self._field(table, special["field"]), special["op"]
            if op == "IN":
                wanted = set(special["value"].split(","))
                return [r for r in rows if _value(r.get(name), "string", True, "") in wanted]
            empty = op == "ISEMPTY"
            return [r for r in rows if (_value(r.get(name), "string", True, "") == "") == empty]
        match = CONDITION.match(part)
        if not match:
            raise QueryError(f"Invalid encoded query condition: {part}")
        name = self._field(table, match["field"])
        value: Any = match["value"]
        if self.tables[table][name] == "date":
            value = _parse_sn_time(value)
        return [r for r in rows if _compare(r.get(name), match["op"], value)]

    def _shape(
        self, table: str, row: dict[str, Any], fields: list[str], bare_refs: bool, base: str
    ) -> dict[str, Any]:
        names = fields or list(self.tables[table])
        shaped: dict[str, Any] = {}
        for name in names:
            kind = self.tables[table].get(name)
            if kind is None:
                continue  # ServiceNow leaves out fields the table does not have
            shaped[name] = _value(row.get(name), kind, bare_refs, base)
        return shaped


def _value(raw: Any, kind: str, bare_refs: bool, base: str) -> Any:
    if raw is None:
        return ""
    if kind == "date":
        return sn_time(raw)
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if kind.startswith("reference:") and text and not bare_refs:
        return {"link": f"{base}/api/now/table/{kind.split(':', 1)[1]}/{text}", "value": text}
    return text


def _parse_sn_time(value: str) -> datetime:
    text = value.strip().strip("'")
    gs = re.match(r"javascript:gs\.dateGenerate\('([\d-]+)','([\d:]+)'\)", text)
    if gs:
        text = f"{gs.group(1)} {gs.group(2)}"
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise QueryError(f"Invalid date value {value}") from exc


def _sortable(value: Any) -> tuple[bool, Any]:
    return (value is None, value if not isinstance(value, bool) else str(value))


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return op == "!="
    if not isinstance(right, datetime):
        left = str(left).lower() if isinstance(left, bool) else str(left)
    checks = {
        "=": left == right,
        "!=": left != right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }
    return checks[op]


def _link_header(url: str, params: dict[str, str], offset: int, limit: int, total: int) -> str:
    if offset == 0 and total <= limit:
        return ""

    def at(rel: str, start: int) -> str:
        query = urlencode({**params, "sysparm_limit": limit, "sysparm_offset": start})
        return f'<{url}?{query}>;rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    links = [at("first", 0)]
    if offset > 0:
        links.append(at("prev", max(0, offset - limit)))
    if offset + limit < total:
        links.append(at("next", offset + limit))
    links.append(at("last", last))
    return ",".join(links)
