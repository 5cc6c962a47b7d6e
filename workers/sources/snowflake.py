"""Snowflake: SQL API v2 statements with key-pair JWT auth, results read partition by
partition.

https://docs.snowflake.com/en/developer-guide/sql-api/authenticating (iss/sub, fingerprint)
https://docs.snowflake.com/en/developer-guide/sql-api/submitting-requests
https://docs.snowflake.com/en/developer-guide/sql-api/handling-responses (202 while running,
  partitionInfo, ?partition=N, jsonv2 values as text)
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import RSAKey

from models.catalog.base import SourceField
from workers.sources import warehouse
from workers.sources.auth import Minted, SelfMinted
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed, SourceUnavailable
from workers.sources.paging import Partitions, Request, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source, latest

STATEMENTS = "/api/v2/statements"
PAGES = Partitions("resultSetMetaData.partitionInfo", "statementStatusUrl")
POLL_SECONDS = 0.5
MAX_WAIT_SECONDS = 600
TOKEN_SECONDS = 3540  # under Snowflake's one-hour cap


# ---- key-pair JWT ---------------------------------------------------------------------------


def _jwt_auth(access: Access) -> SelfMinted:
    account = str(access.setting("account", "")).split(".")[0].upper()
    user = str(access.setting("user", "")).upper()
    pem = access.secrets.get("private_key", "")

    async def mint() -> Minted:
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise SourceFailed("The private key is not an unencrypted PEM key.") from exc
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        fingerprint = base64.b64encode(hashlib.sha256(der).digest()).decode()
        now = int(time.time())
        claims = {
            "iss": f"{account}.{user}.SHA256:{fingerprint}",
            "sub": f"{account}.{user}",
            "iat": now,
            "exp": now + TOKEN_SECONDS,
        }
        token = jwt.encode({"alg": "RS256"}, claims, RSAKey.import_key(pem))
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
        }
        return Minted(headers, now + TOKEN_SECONDS)

    return SelfMinted(mint)


# ---- statements -----------------------------------------------------------------------------


def _context(session: Session) -> dict[str, Any]:
    names = ("warehouse", "database", "schema", "role")
    return {n: session.access.setting(n) for n in names if session.access.setting(n)}


async def execute(session: Session, sql: str) -> httpx.Response:
    """Submit one statement and wait until it has a result (202 means still running)."""
    body = {"statement": sql, "timeout": MAX_WAIT_SECONDS, **_context(session)}
    response = await session.http.send("POST", STATEMENTS, json=body)
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while response.status_code == 202:
        if time.monotonic() > deadline:
            raise SourceUnavailable("Snowflake's statement did not finish in time.")
        await asyncio.sleep(POLL_SECONDS)
        status_url = response.json().get("statementStatusUrl", "")
        response = await session.http.send("GET", session.http.resolve(status_url))
    return response


async def rows(session: Session, sql: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The statement's rows, one partition at a time, typed from its rowType."""
    answered = await execute(session, sql)
    columns: list[dict[str, Any]] = []
    async for body in walk(session.http, Request("POST", STATEMENTS), PAGES, answered=answered):
        columns = columns or (body.get("resultSetMetaData") or {}).get("rowType", [])
        yield [_row(columns, values) for values in body.get("data") or []]


def _row(columns: list[dict[str, Any]], values: list[str | None]) -> dict[str, Any]:
    return {c["name"]: _value(c, v) for c, v in zip(columns, values, strict=False)}


def _value(column: dict[str, Any], raw: str | None) -> Any:
    """jsonv2 values are text: numbers, booleans, days, epoch seconds, JSON."""
    kind = str(column.get("type", "text")).lower()
    if raw is None:
        return None
    if kind == "fixed":
        number = Decimal(raw)
        return int(number) if not column.get("scale") else float(number)
    if kind == "real":
        return float(raw)
    if kind == "boolean":
        return raw.lower() == "true"
    if kind == "date":
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(raw))).isoformat()
    if kind.startswith("timestamp"):
        return _timestamp(kind, raw)
    if kind in {"variant", "object", "array"}:
        return json.loads(raw)
    return raw


def _timestamp(kind: str, raw: str) -> str:
    seconds, _, offset = raw.partition(" ")
    moment = dt.datetime.fromtimestamp(float(Decimal(seconds)), dt.UTC)
    if kind == "timestamp_ntz":
        return moment.replace(tzinfo=None).isoformat()
    if kind == "timestamp_tz" and offset:
        zone = dt.timezone(dt.timedelta(minutes=int(offset) - 1440))
        return moment.astimezone(zone).isoformat()
    return moment.isoformat()


# ---- tables ---------------------------------------------------------------------------------


def table_path(session: Session, name: str) -> str:
    pieces = warehouse.parts(name, "table")
    defaults = [
        str(session.access.setting("database", "")),
        str(session.access.setting("schema", "PUBLIC")),
    ]
    full = [*defaults[: 3 - len(pieces)], *pieces] if len(pieces) < 3 else pieces
    return ".".join(f'"{p}"' for p in full)


async def columns_of(session: Session, table: str) -> list[tuple[str, str]]:
    described: list[tuple[str, str]] = []
    async for batch in rows(session, f"DESCRIBE TABLE {table_path(session, table)}"):
        described += [(str(r["name"]), str(r["type"])) for r in batch]
    return described


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    names = [name for name, _ in await columns_of(session, plan.object)]
    cursor = warehouse.cursor_column(plan, names)
    picked = warehouse.mapped_columns(plan, names, cursor)
    since = plan.since if cursor else None
    sql = warehouse.select(table_path(session, plan.object), picked, cursor, since, '""')
    async for batch in rows(session, sql):
        yield Page(batch, latest(batch, cursor, since) if cursor else None)


async def check(session: Session) -> str | None:
    schema = ".".join(f'"{session.access.setting(n)}"' for n in ("database", "schema"))
    async for _ in rows(session, f"SHOW TABLES IN SCHEMA {schema}"):
        pass  # a listing it may read is the proof
    return str(session.access.setting("account", "")).upper()


async def list_objects(session: Session) -> list[str]:
    schema = ".".join(f'"{session.access.setting(n, "PUBLIC")}"' for n in ("database", "schema"))
    names: list[str] = []
    async for batch in rows(session, f"SHOW TABLES IN SCHEMA {schema}"):
        names += [str(r["name"]) for r in batch]
    return names


async def describe(session: Session, object_name: str) -> list[SourceField]:
    return [
        SourceField(name, warehouse.field_type(kind))
        for name, kind in await columns_of(session, object_name)
    ]


SOURCE = register(
    Source(
        key="SNOWFLAKE",
        auth=_jwt_auth,
        read=read,
        domains=("snowflakecomputing.com",),
        budget=Budget(20, 1.0),
        check=check,
        list_objects=list_objects,
        describe=describe,
    )
)
