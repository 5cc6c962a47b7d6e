"""A fake Snowflake SQL API v2 with key-pair (JWT) authentication.

Written from Snowflake's published documentation:

- SQL API reference: https://docs.snowflake.com/en/developer-guide/sql-api/reference
- Official OpenAPI spec of the SQL API:
  https://github.com/snowflakedb/snowflake-rest-api-specs/blob/main/specifications/sqlapi.yaml
- Authenticating (key pair, JWT claims, `X-Snowflake-Authorization-Token-Type`):
  https://docs.snowflake.com/en/developer-guide/sql-api/authenticating
- Handling responses (200/202/408/422 flow, partitions, how each type is encoded as text):
  https://docs.snowflake.com/en/developer-guide/sql-api/handling-responses
- Errors: https://docs.snowflake.com/en/developer-guide/sql-api/handling-errors
- Key-pair authentication: https://docs.snowflake.com/en/user-guide/key-pair-auth
- SHOW TABLES / DESCRIBE TABLE / INFORMATION_SCHEMA.COLUMNS:
  https://docs.snowflake.com/en/sql-reference/sql/show-tables,
  https://docs.snowflake.com/en/sql-reference/sql/desc-table,
  https://docs.snowflake.com/en/sql-reference/info-schema/columns

What the fake follows:

- `POST /api/v2/statements` with `Authorization: Bearer <JWT>`; the JWT is RS256-signed by the
  user's registered public key, `iss` = `<ACCOUNT>.<USER>.SHA256:<fingerprint>`, `sub` =
  `<ACCOUNT>.<USER>` (account and user in upper case), `exp` at most one hour after `iat`.
  The fingerprint is base64(SHA-256(DER SubjectPublicKeyInfo)). A bad token is a 401
  `{"code": "390144", "message": "JWT token is invalid. [<uuid>]"}`.
- Body `statement`, `timeout`, `database`, `schema`, `warehouse`, `role`; query `requestId`
  (a resubmitted requestId returns the same statement), `async`, `nullable`.
- 200 `ResultSet` with `resultSetMetaData` (`numRows`, `format: jsonv2`, `rowType`,
  `partitionInfo`), `data` (partition 0; every value a string or null), `code` 090001,
  `statementHandle`, `statementStatusUrl`, and a `Link` header to the partitions.
  `GET /api/v2/statements/{handle}?partition=N` returns further partitions (only `data`).
- 202 `QueryStatus` (code 333334) while a statement runs, 408 when it times out, 422
  `QueryFailureStatus` (`code`, `sqlState`, `message`, `statementHandle`) when it fails,
  `POST /api/v2/statements/{handle}/cancel`.
- Values as the docs encode them: FIXED as a decimal string, BOOLEAN "true"/"false", DATE as
  days since the epoch, TIME/TIMESTAMP_NTZ/TIMESTAMP_LTZ as epoch seconds with 9 decimals,
  TIMESTAMP_TZ as "<seconds> <offset minutes + 1440>".
- 429 (rate limit) has no documented body; script it with `faults.add(429, ...)`.

Chosen here, not confirmed by the docs: the 422 codes/texts for unknown objects and syntax
errors (taken from Snowflake's usual compilation errors), lower-case `rowType[].type` (as real
responses show; the spec's example is upper case), the 400 body for a missing User-Agent, and
that a missing token-type header is read as KEYPAIR_JWT (newer docs: Snowflake examines the
token; the spec says OAUTH is assumed).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.faults import Faults, RecordingMiddleware, SeenRequest
from tests.fakes.sql_subset import Ident, SqlError, parse_path, parse_select, run_select

STATEMENTS_PATH = "/api/v2/statements"
RUNNING_MESSAGE = (
    "Asynchronous execution in progress. Use provided query id to perform query monitoring "
    "and management."
)
SUCCESS_MESSAGE = "Statement executed successfully."
_MAX_TOKEN_LIFETIME = 3600
_CLOCK_SKEW = 60


class SnowflakeError(Exception):
    """A statement failure, answered as a 422 QueryFailureStatus."""

    def __init__(self, code: str, sql_state: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.sql_state = sql_state
        self.message = message
        self.status = status


def public_key_fingerprint(key: RSAPublicKey) -> str:
    """`SHA256:<base64 of the SHA-256 of the DER public key>`, as DESCRIBE USER shows it."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


@dataclass
class Column:
    name: str
    type: str  # as declared: NUMBER(38,0), VARCHAR(100), TIMESTAMP_NTZ, BOOLEAN, DATE, FLOAT ...
    nullable: bool = True

    @property
    def base(self) -> str:
        return re.sub(r"\(.*", "", self.type).strip().upper()


@dataclass
class Table:
    database: str
    schema: str
    name: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "TABLE"
    created_on: dt.datetime = field(default_factory=lambda: dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

    @property
    def path(self) -> str:
        return f"{self.database}.{self.schema}.{self.name}"


@dataclass
class _Statement:
    handle: str
    request_id: str
    columns: list[tuple[Column, Table | None]]
    rows: list[list[str | None]]
    created_on: int
    polls_left: int = 0
    cancelled: bool = False


class SnowflakeFake:
    """One Snowflake account.

    Register users with `add_user(name, public_key)` (a second key models RSA_PUBLIC_KEY_2);
    seed with `add_table(database, schema, name, columns, rows)` where columns are `Column`s or
    `(name, type)` pairs and rows are dicts of Python values (int, Decimal, str, bool, date,
    datetime). Hooks: `partition_rows` (rows per result partition), `pending_polls` (how many
    times the next statement answers 202 before it finishes), `time_out_next` (the next
    statement answers 408), `faults`, `requests`, `statements` (by handle).
    """

    def __init__(self, account: str = "MYORG-MYACCOUNT", *, partition_rows: int = 1000) -> None:
        self.account = account.upper()
        self.partition_rows = partition_rows
        self.pending_polls = 0
        self.time_out_next = False
        self.users: dict[str, dict[str, RSAPublicKey]] = {}
        self.default_warehouse: dict[str, str] = {}
        self.tables: list[Table] = []
        self.statements: dict[str, _Statement] = {}
        self._by_request_id: dict[str, str] = {}
        self.requests: list[SeenRequest] = []
        self.faults = Faults()
        routes = [
            Route(STATEMENTS_PATH, self._submit, methods=["POST"]),
            Route(STATEMENTS_PATH + "/{handle}", self._status, methods=["GET"]),
            Route(STATEMENTS_PATH + "/{handle}/cancel", self._cancel, methods=["POST"]),
        ]
        self.app = RecordingMiddleware(Starlette(routes=routes), self.requests, self.faults)

    # ---- seeding -------------------------------------------------------------------------

    def add_user(
        self, name: str, *public_keys: RSAPublicKey, default_warehouse: str | None = None
    ) -> list[str]:
        """Register a user's public key(s); returns their fingerprints."""
        keys = {public_key_fingerprint(k): k for k in public_keys}
        self.users[name.upper()] = keys
        if default_warehouse:
            self.default_warehouse[name.upper()] = default_warehouse
        return list(keys)

    def add_table(
        self,
        database: str,
        schema: str,
        name: str,
        columns: list[Column] | list[tuple[str, str]],
        rows: list[dict[str, Any]] | None = None,
    ) -> Table:
        cols = [c if isinstance(c, Column) else Column(*c) for c in columns]
        table = Table(database.upper(), schema.upper(), name.upper(), cols, list(rows or []))
        self.tables.append(table)
        return table

    # ---- handlers ------------------------------------------------------------------------

    async def _submit(self, request: Request) -> Response:
        user = self._check_request(request)
        if isinstance(user, Response):
            return user
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return JSONResponse({"code": "390142", "message": "Invalid JSON body."}, 400)
        request_id = request.query_params.get("requestId") or str(uuid.uuid4())
        if request_id in self._by_request_id:
            return self._answer(request, self.statements[self._by_request_id[request_id]])
        handle = str(uuid.uuid4())
        created = int(time.time() * 1000)
        try:
            statement = self._execute(body, user, handle, request_id, created)
        except SnowflakeError as err:
            return _failure(err, handle, created)
        self.statements[handle] = statement
        self._by_request_id[request_id] = handle
        if request.query_params.get("async", "").lower() == "true":
            statement.polls_left = max(statement.polls_left, 1)
        if self.time_out_next:
            self.time_out_next = False
            return _timed_out(statement, body.get("timeout"))
        return self._answer(request, statement)

    async def _status(self, request: Request) -> Response:
        denied = self._check_request(request)
        if isinstance(denied, Response):
            return denied
        statement = self.statements.get(request.path_params["handle"])
        if statement is None:
            return _failure(_not_found(request.path_params["handle"]), "", 0)
        raw = request.query_params.get("partition")
        if raw is None or statement.polls_left or statement.cancelled:
            return self._answer(request, statement)
        return self._partition(request, statement, raw)

    async def _cancel(self, request: Request) -> Response:
        denied = self._check_request(request)
        if isinstance(denied, Response):
            return denied
        statement = self.statements.get(request.path_params["handle"])
        if statement is None:
            return _failure(_not_found(request.path_params["handle"]), "", 0)
        statement.cancelled = True
        body = {
            "code": "000604",
            "sqlState": "57014",
            "message": "successfully canceled",
            "statementHandle": statement.handle,
            "statementStatusUrl": _status_url(statement),
        }
        return JSONResponse(body)

    # ---- answers -------------------------------------------------------------------------

    def _answer(self, request: Request, statement: _Statement) -> Response:
        if statement.cancelled:
            return _failure(
                SnowflakeError("000604", "57014", "SQL execution canceled"),
                statement.handle,
                statement.created_on,
            )
        if statement.polls_left > 0:
            statement.polls_left -= 1
            return JSONResponse(_running(statement), status_code=202)
        return self._result_set(request, statement)

    def _result_set(self, request: Request, statement: _Statement) -> Response:
        partitions = self._split(statement.rows)
        nullable = request.query_params.get("nullable", "").lower() != "false"
        meta = {
            "numRows": len(statement.rows),
            "format": "jsonv2",
            "partitionInfo": [_partition_info(p) for p in partitions],
            "rowType": [_row_type(col, table) for col, table in statement.columns],
        }
        body = {
            "resultSetMetaData": meta,
            "data": _nullable(partitions[0], nullable),
            "code": "090001",
            "statementStatusUrl": _status_url(statement),
            "requestId": statement.request_id,
            "sqlState": "00000",
            "statementHandle": statement.handle,
            "message": SUCCESS_MESSAGE,
            "createdOn": statement.created_on,
        }
        return JSONResponse(body, headers={"Link": _links(statement, 0, len(partitions))})

    def _partition(self, request: Request, statement: _Statement, raw: str) -> Response:
        partitions = self._split(statement.rows)
        if not raw.isdigit() or int(raw) >= len(partitions):
            err = SnowflakeError("000605", "22000", f"Invalid partition number {raw}.")
            return _failure(err, statement.handle, statement.created_on)
        index = int(raw)
        payload = json.dumps({"data": partitions[index]}).encode()
        headers = {"Link": _links(statement, index, len(partitions))}
        # partitions after the first come back compressed when the client accepts gzip
        if index > 0 and "gzip" in request.headers.get("accept-encoding", ""):
            payload = gzip.compress(payload)
            headers["Content-Encoding"] = "gzip"
        return Response(payload, media_type="application/json", headers=headers)

    def _split(self, rows: list[list[str | None]]) -> list[list[list[str | None]]]:
        size = max(1, self.partition_rows)
        return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]

    # ---- auth ----------------------------------------------------------------------------

    def _check_request(self, request: Request) -> str | Response:
        """The authenticated user's name, or the error answer."""
        if not request.headers.get("user-agent"):
            body = {"code": "391903", "message": "User-Agent header is required."}
            return JSONResponse(body, status_code=400)
        token_type = request.headers.get("x-snowflake-authorization-token-type", "KEYPAIR_JWT")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if token_type.upper() != "KEYPAIR_JWT":
            return _unauthorized("390303", "Invalid OAuth access token.")
        if scheme.lower() != "bearer" or not token:
            return _unauthorized("390101", "Authorization header not found in the request data.")
        user = self._verify_jwt(token)
        if user is None:
            return _unauthorized("390144", f"JWT token is invalid. [{uuid.uuid4()}]")
        return user

    def _verify_jwt(self, token: str) -> str | None:
        try:
            claims = jwt.decode(token, _unverified_key(token, self.users), ["RS256"]).claims
        except (JoseError, ValueError, KeyError, IndexError):
            return None
        iss, sub = str(claims.get("iss", "")), str(claims.get("sub", ""))
        account, _, rest = iss.partition(".")
        user, _, fingerprint = rest.partition(".")
        if account != self.account or sub != f"{account}.{user}":
            return None
        if fingerprint not in self.users.get(user, {}):
            return None
        return user if _fresh(claims) else None

    # ---- execution -----------------------------------------------------------------------

    def _execute(
        self, body: dict[str, Any], user: str, handle: str, request_id: str, created: int
    ) -> _Statement:
        sql = str(body.get("statement", "")).strip().rstrip(";").strip()
        if ";" in sql:
            count = len([s for s in sql.split(";") if s.strip()])
            raise SnowflakeError(
                "000008",
                "0A000",
                f"Actual statement count {count} did not match the desired statement count 1.",
            )
        context = _Context(
            database=body.get("database"),
            schema=body.get("schema"),
            warehouse=body.get("warehouse") or self.default_warehouse.get(user),
        )
        columns, rows = self._dispatch(sql, context)
        encoded = [[_encode(row.get(c.name), c) for c, _ in columns] for row in rows]
        polls, self.pending_polls = self.pending_polls, 0
        return _Statement(handle, request_id, columns, encoded, created, polls_left=polls)

    def _dispatch(self, sql: str, ctx: _Context) -> tuple[list[tuple[Column, Any]], list[dict]]:
        upper = sql.upper()
        if upper.startswith("SHOW TABLES"):
            return self._show_tables(sql, ctx)
        if re.match(r"^DESC(RIBE)?\s+TABLE\s+", upper):
            return self._describe(sql, ctx)
        if upper.startswith("SELECT"):
            return self._select(sql, ctx)
        raise _syntax_error(sql)

    def _select(self, sql: str, ctx: _Context) -> tuple[list[tuple[Column, Any]], list[dict]]:
        try:
            query = parse_select(sql)
        except SqlError as exc:
            raise _syntax_error(sql) from exc
        table = self._virtual_or_real(query.table, ctx)
        if not ctx.warehouse and table.kind == "TABLE":
            raise SnowflakeError(
                "000606",
                "57P03",
                "No active warehouse selected in the current session.  Select an active "
                "warehouse with the 'use warehouse' command.\n",
            )
        names = [c.name for c in table.columns]
        try:
            selected, rows = run_select(query, names, table.rows, _resolve, nulls_high=True)
        except SqlError as exc:
            raise SnowflakeError("002023", "22000", f"SQL compilation error:\n{exc}") from exc
        by_name = {c.name: c for c in table.columns}
        return [(by_name[n], table) for n in selected], rows

    def _virtual_or_real(self, parts: list[Ident], ctx: _Context) -> Table:
        database, schema, name = ctx.qualify(parts)
        if schema.upper() == "INFORMATION_SCHEMA":
            return self._information_schema(database, name.upper())
        for table in self.tables:
            if (table.database, table.schema, table.name) == (database, schema, name):
                return table
        raise SnowflakeError(
            "002003",
            "42S02",
            f"SQL compilation error:\nObject '{database}.{schema}.{name}' does not exist "
            "or not authorized.",
        )

    def _information_schema(self, database: str, view: str) -> Table:
        tables = [t for t in self.tables if t.database == database]
        if view == "COLUMNS":
            rows = [_info_column(t, i, c) for t in tables for i, c in enumerate(t.columns, 1)]
            return Table(database, "INFORMATION_SCHEMA", view, _INFO_COLUMNS, rows, kind="VIEW")
        if view == "TABLES":
            rows = [_info_table(t) for t in tables]
            return Table(database, "INFORMATION_SCHEMA", view, _INFO_TABLES, rows, kind="VIEW")
        raise SnowflakeError(
            "002003",
            "42S02",
            f"SQL compilation error:\nObject '{database}.INFORMATION_SCHEMA.{view}' does not "
            "exist or not authorized.",
        )

    def _show_tables(self, sql: str, ctx: _Context) -> tuple[list[tuple[Column, Any]], list]:
        match = re.match(
            r"^SHOW\s+TABLES(?:\s+LIKE\s+'(?P<like>[^']*)')?"
            r"(?:\s+IN\s+(?:(?P<kind>SCHEMA|DATABASE|ACCOUNT)\s*)?(?P<path>[^\s]+)?)?\s*$",
            sql,
            re.IGNORECASE,
        )
        if match is None:
            raise _syntax_error(sql)
        tables = self._scope(match["kind"], match["path"], ctx)
        if match["like"] is not None:
            pattern = re.escape(match["like"]).replace("%", ".*").replace("_", ".")
            tables = [t for t in tables if re.fullmatch(pattern, t.name, re.IGNORECASE)]
        rows = [_show_row(t) for t in tables]
        return [(c, None) for c in _SHOW_COLUMNS], rows

    def _scope(self, kind: str | None, path: str | None, ctx: _Context) -> list[Table]:
        kind = (kind or "").upper()
        if kind == "ACCOUNT":
            return list(self.tables)
        if path:
            names = [_name(p) for p in parse_path(path)]
            if len(names) == 2:
                return self._in_schema(names[0], names[1])
            if kind == "SCHEMA":
                return self._in_schema(_as_given(ctx.database), names[0])
            return [t for t in self.tables if t.database == names[0]]
        if ctx.database and ctx.schema:
            return self._in_schema(ctx.database, ctx.schema)
        if ctx.database:
            return [t for t in self.tables if t.database == ctx.database]
        return list(self.tables)

    def _in_schema(self, database: str, schema: str) -> list[Table]:
        return [t for t in self.tables if (t.database, t.schema) == (database, schema)]

    def _describe(self, sql: str, ctx: _Context) -> tuple[list[tuple[Column, Any]], list]:
        path = re.sub(r"^DESC(RIBE)?\s+TABLE\s+", "", sql, flags=re.IGNORECASE)
        table = self._virtual_or_real(parse_path(path), ctx)
        rows = [_describe_row(c) for c in table.columns]
        return [(c, None) for c in _DESCRIBE_COLUMNS], rows


@dataclass
class _Context:
    database: str | None
    schema: str | None
    warehouse: str | None

    def qualify(self, parts: list[Ident]) -> tuple[str, str, str]:
        names = [_name(p) for p in parts]
        if len(names) == 3:
            return names[0], names[1], names[2]
        if len(names) == 2 and self.database:
            return _as_given(self.database), names[0], names[1]
        if len(names) == 1 and self.database and self.schema:
            return _as_given(self.database), _as_given(self.schema), names[0]
        raise SnowflakeError(
            "090105",
            "22000",
            "Cannot perform SELECT. This session does not have a current database. Call 'USE "
            "DATABASE', or use a qualified name.",
        )


# ---- helpers -----------------------------------------------------------------------------


def _name(ident: Ident) -> str:
    # unquoted identifiers resolve in upper case; quoted ones keep their case
    return ident.name if ident.quoted else ident.name.upper()


def _as_given(value: str | None) -> str:
    # body database/schema are case-sensitive per the spec, so they are taken as given
    return value or ""


def _resolve(ident: Ident, names: list[str]) -> str:
    wanted = _name(ident)
    if wanted in names:
        return wanted
    lowered = {n.lower(): n for n in names}
    # SHOW/DESCRIBE output columns are lower case and are selected case-insensitively
    if not ident.quoted and ident.name.lower() in lowered:
        return lowered[ident.name.lower()]
    raise SqlError(f"error line 1 at position 7\ninvalid identifier '{wanted}'")


def _unverified_key(token: str, users: dict[str, dict[str, RSAPublicKey]]) -> RSAKey:
    """The registered key that the token's `iss` names (the signature is checked after)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    _account, _, rest = str(claims["iss"]).partition(".")
    user, _, fingerprint = rest.partition(".")
    return RSAKey.import_key(users[user][fingerprint])


def _fresh(claims: dict[str, Any]) -> bool:
    now = time.time()
    try:
        iat, exp = float(claims["iat"]), float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        return False
    if iat > 10**11:  # the docs allow iat/exp in milliseconds too
        iat, exp = iat / 1000, exp / 1000
    lifetime_ok = 0 < exp - iat <= _MAX_TOKEN_LIFETIME
    return lifetime_ok and iat <= now + _CLOCK_SKEW and exp > now


def _unauthorized(code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=401)


def _syntax_error(sql: str) -> SnowflakeError:
    first = sql.split()[0] if sql.split() else ""
    return SnowflakeError(
        "001003",
        "42000",
        f"SQL compilation error:\nsyntax error line 1 at position 0 unexpected '{first}'.",
    )


def _not_found(handle: str) -> SnowflakeError:
    return SnowflakeError("000709", "02000", f"Statement {handle} not found", status=422)


def _failure(err: SnowflakeError, handle: str, created: int) -> JSONResponse:
    body = {
        "code": err.code,
        "message": err.message,
        "sqlState": err.sql_state,
        "statementHandle": handle,
    }
    if handle:
        body["createdOn"] = created
        body["statementStatusUrl"] = f"{STATEMENTS_PATH}/{handle}"
    return JSONResponse(body, status_code=err.status)


def _running(statement: _Statement) -> dict[str, Any]:
    return {
        "code": "333334",
        "message": RUNNING_MESSAGE,
        "statementHandle": statement.handle,
        "statementStatusUrl": _status_url(statement),
    }


def _timed_out(statement: _Statement, timeout: Any) -> JSONResponse:
    statement.cancelled = True
    body = {
        "code": "000630",
        "sqlState": "57014",
        "message": f"Statement reached its statement or warehouse timeout of {timeout or 0} "
        "second(s) and was canceled.",
        "statementHandle": statement.handle,
        "createdOn": statement.created_on,
        "statementStatusUrl": _status_url(statement),
    }
    return JSONResponse(body, status_code=408)


def _status_url(statement: _Statement) -> str:
    return f"{STATEMENTS_PATH}/{statement.handle}?requestId={statement.request_id}"


def _links(statement: _Statement, index: int, count: int) -> str:
    base = f"{STATEMENTS_PATH}/{statement.handle}?requestId={statement.request_id}&partition="
    links = [f'<{base}0>; rel="first"']
    if index + 1 < count:
        links.append(f'<{base}{index + 1}>; rel="next"')
    if index > 0:
        links.append(f'<{base}{index - 1}>; rel="prev"')
    links.append(f'<{base}{count - 1}>; rel="last"')
    return ",".join(links)


def _partition_info(rows: list[list[str | None]]) -> dict[str, int]:
    return {"rowCount": len(rows), "uncompressedSize": len(json.dumps(rows))}


def _nullable(rows: list[list[str | None]], nullable: bool) -> list[list[str | None]]:
    if nullable:
        return rows
    return [["null" if v is None else v for v in row] for row in rows]


_TYPE_KIND = {
    "NUMBER": "fixed",
    "DECIMAL": "fixed",
    "NUMERIC": "fixed",
    "INT": "fixed",
    "INTEGER": "fixed",
    "BIGINT": "fixed",
    "FLOAT": "real",
    "DOUBLE": "real",
    "REAL": "real",
    "VARCHAR": "text",
    "STRING": "text",
    "TEXT": "text",
    "CHAR": "text",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP_NTZ": "timestamp_ntz",
    "TIMESTAMP": "timestamp_ntz",
    "DATETIME": "timestamp_ntz",
    "TIMESTAMP_LTZ": "timestamp_ltz",
    "TIMESTAMP_TZ": "timestamp_tz",
    "VARIANT": "variant",
    "OBJECT": "object",
    "ARRAY": "array",
}
_DATA_TYPE = {"fixed": "NUMBER", "real": "FLOAT", "text": "TEXT"}


def _kind(column: Column) -> str:
    return _TYPE_KIND.get(column.base, "text")


def _row_type(column: Column, table: Table | None) -> dict[str, Any]:
    kind = _kind(column)
    numbers = [int(n) for n in re.findall(r"\d+", column.type)]
    text_length = numbers[0] if numbers else 16_777_216
    return {
        "name": column.name,
        "database": table.database if table else "",
        "schema": table.schema if table else "",
        "table": table.name if table else "",
        "type": kind,
        "byteLength": text_length * 4 if kind == "text" else None,
        "length": text_length if kind == "text" else None,
        "precision": (numbers[0] if numbers else 38) if kind == "fixed" else None,
        "scale": (numbers[1] if len(numbers) > 1 else 0)
        if kind == "fixed"
        else 9
        if kind.startswith(("timestamp", "time"))
        else None,
        "nullable": column.nullable,
        "collation": None,
    }


def _encode(value: Any, column: Column) -> str | None:
    """Render a value the way the SQL API's jsonv2 format does (always a string)."""
    if value is None:
        return None
    kind = _kind(column)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "date":
        day = value.date() if isinstance(value, dt.datetime) else value
        return str((day - dt.date(1970, 1, 1)).days)
    if kind.startswith("timestamp"):
        return _encode_timestamp(value, kind)
    if kind in {"variant", "object", "array"}:
        return json.dumps(value)
    if kind == "fixed":
        return str(Decimal(str(value)))
    return str(value)


def _encode_timestamp(value: dt.datetime, kind: str) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    seconds = f"{Decimal(str(aware.timestamp())):.9f}"
    if kind != "timestamp_tz":
        return seconds
    offset = aware.utcoffset() or dt.timedelta()
    return f"{seconds} {int(offset.total_seconds() // 60) + 1440}"


_SHOW_COLUMNS = [
    Column("created_on", "TIMESTAMP_LTZ"),
    Column("name", "TEXT"),
    Column("database_name", "TEXT"),
    Column("schema_name", "TEXT"),
    Column("kind", "TEXT"),
    Column("comment", "TEXT"),
    Column("cluster_by", "TEXT"),
    Column("rows", "NUMBER(38,0)"),
    Column("bytes", "NUMBER(38,0)"),
    Column("owner", "TEXT"),
    Column("retention_time", "TEXT"),
]


def _show_row(table: Table) -> dict[str, Any]:
    return {
        "created_on": table.created_on,
        "name": table.name,
        "database_name": table.database,
        "schema_name": table.schema,
        "kind": "TABLE",
        "comment": "",
        "cluster_by": "",
        "rows": len(table.rows),
        "bytes": 1024 * len(table.rows),
        "owner": "SYSADMIN",
        "retention_time": "1",
    }


_DESCRIBE_COLUMNS = [
    Column(name, "TEXT")
    for name in (
        "name",
        "type",
        "kind",
        "null?",
        "default",
        "primary key",
        "unique key",
        "check",
        "expression",
        "comment",
    )
]


def _describe_row(column: Column) -> dict[str, Any]:
    return {
        "name": column.name,
        "type": _describe_type(column),
        "kind": "COLUMN",
        "null?": "Y" if column.nullable else "N",
        "default": None,
        "primary key": "N",
        "unique key": "N",
        "check": None,
        "expression": None,
        "comment": None,
    }


def _describe_type(column: Column) -> str:
    kind = _kind(column)
    if kind == "fixed":
        numbers = re.findall(r"\d+", column.type) or ["38", "0"]
        return f"NUMBER({numbers[0]},{numbers[1] if len(numbers) > 1 else 0})"
    if kind == "text":
        numbers = re.findall(r"\d+", column.type) or ["16777216"]
        return f"VARCHAR({numbers[0]})"
    if kind.startswith("timestamp"):
        return f"{kind.upper()}(9)"
    return _DATA_TYPE.get(kind, kind.upper())


_INFO_COLUMNS = [
    Column(name, kind)
    for name, kind in (
        ("TABLE_CATALOG", "TEXT"),
        ("TABLE_SCHEMA", "TEXT"),
        ("TABLE_NAME", "TEXT"),
        ("COLUMN_NAME", "TEXT"),
        ("ORDINAL_POSITION", "NUMBER(9,0)"),
        ("IS_NULLABLE", "TEXT"),
        ("DATA_TYPE", "TEXT"),
        ("CHARACTER_MAXIMUM_LENGTH", "NUMBER(9,0)"),
        ("NUMERIC_PRECISION", "NUMBER(9,0)"),
        ("NUMERIC_SCALE", "NUMBER(9,0)"),
    )
]
_INFO_TABLES = [
    Column(name, kind)
    for name, kind in (
        ("TABLE_CATALOG", "TEXT"),
        ("TABLE_SCHEMA", "TEXT"),
        ("TABLE_NAME", "TEXT"),
        ("TABLE_TYPE", "TEXT"),
        ("ROW_COUNT", "NUMBER(38,0)"),
        ("CREATED", "TIMESTAMP_LTZ"),
    )
]


def _info_column(table: Table, position: int, column: Column) -> dict[str, Any]:
    row_type = _row_type(column, table)
    kind = _kind(column)
    return {
        "TABLE_CATALOG": table.database,
        "TABLE_SCHEMA": table.schema,
        "TABLE_NAME": table.name,
        "COLUMN_NAME": column.name,
        "ORDINAL_POSITION": position,
        "IS_NULLABLE": "YES" if column.nullable else "NO",
        "DATA_TYPE": _DATA_TYPE.get(kind, kind.upper()),
        "CHARACTER_MAXIMUM_LENGTH": row_type["length"],
        "NUMERIC_PRECISION": row_type["precision"],
        "NUMERIC_SCALE": row_type["scale"] if kind == "fixed" else None,
    }


def _info_table(table: Table) -> dict[str, Any]:
    return {
        "TABLE_CATALOG": table.database,
        "TABLE_SCHEMA": table.schema,
        "TABLE_NAME": table.name,
        "TABLE_TYPE": "BASE TABLE",
        "ROW_COUNT": len(table.rows),
        "CREATED": table.created_on,
    }
