"""`connectors migrate` upgrades a database of the previous release without losing a row.

The database is built at the FIRST migration (the oldest schema anyone can have), filled with
raw SQL written against that schema, then brought to the LATEST by the real command; every row
must then read back through the app. The first and latest are found on disk, so the test
guards each new migration by itself. Runs on SQLite, or on the PostgreSQL server named by
CONNECTORS_DATABASE_URL (in a database of its own, so the session's tables stay untouched).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest

from models.vault import Vault
from tests.conftest import ENCRYPTION_KEYS, JWT_SECRET, ROOT

MIGRATIONS = sorted(
    p.stem for p in (ROOT / "models" / "migrations").glob("[0-9][0-9][0-9][0-9]_*.py")
)
FIRST, LATEST = MIGRATIONS[0], MIGRATIONS[-1]
TENANT = "tenant-upgraded"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

ZENDESK = str(uuid.uuid4())
SALESFORCE = str(uuid.uuid4())
JOB = str(uuid.uuid4())
RUN = str(uuid.uuid4())
CREATED = str(uuid.uuid4())
ORPHAN = str(uuid.uuid4())  # an activity whose connection was deleted: it outlives it
API_TOKEN = "zendesk-api-token-value"


def previous_release_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows in the columns of the FIRST migration, as that release wrote them."""
    sealed = Vault(ENCRYPTION_KEYS.split(",")).seal(
        API_TOKEN, tenant=TENANT, connection_id=ZENDESK, field="api_token"
    )
    connection = {
        "tenant": TENANT, "secrets": {}, "credential_version": 0, "token_expires_at": None,
        "source_account": None, "created_by": "admin@x", "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    return {
        "connections": [
            {**connection, "id": ZENDESK, "name": "Support desk", "name_key": "support desk",
             "connector_key": "ZENDESK", "status": "ACTIVE",
             "settings": {"subdomain": "acme", "email": "ops@acme.example"},
             "secrets": {"api_token": sealed}, "credential_version": 1, "authorized_at": NOW},
            {**connection, "id": SALESFORCE, "name": "CRM", "name_key": "crm",
             "connector_key": "SFDC", "status": "PENDING_AUTHORIZATION", "settings": {},
             "authorized_at": None},
        ],
        "jobs": [
            {"id": JOB, "tenant": TENANT, "connection_id": ZENDESK, "name": "Tickets",
             "source_object": "tickets", "destination_object": "tickets",
             "field_mappings": [{"source": "id", "target": "ticket_id", "key": True}],
             "sync_mode": "INCREMENTAL", "schedule": "0 * * * *", "enabled": True,
             "built_in": False, "cursor": {"updated_at": "2026-01-01T00:00:00Z"},
             "next_run_at": NOW + timedelta(hours=1), "created_by": "admin@x",
             "created_at": NOW, "updated_at": NOW},
        ],
        "activities": [
            _activity(CREATED, "CONNECTION_CREATED", ZENDESK, None, "Support desk"),
            {**_activity(RUN, "JOB_RUN", ZENDESK, JOB, "Support desk"),
             "records_read": 2, "records_written": 2, "attempts": 1,
             "details": {"object": "tickets"}, "started_at": NOW, "finished_at": NOW},
            _activity(ORPHAN, "CONNECTION_DELETED", None, None, "Old CRM"),
        ],
        "records": [
            {"tenant": TENANT, "object": "tickets", "key": key, "data": {"ticket_id": key},
             "created_at": NOW, "updated_at": NOW}
            for key in ("101", "102")
        ],
        "connection_limits": [
            {"tenant": TENANT, "connector_key": "ZENDESK", "max_connections": 3,
             "updated_by": "support@x", "updated_at": NOW},
        ],
        "oauth_states": [
            {"id": "state-1", "tenant": TENANT, "connection_id": SALESFORCE, "user": "admin@x",
             "reauthorize": False, "allow_account_change": False, "sealed_verifier": None,
             "expires_at": NOW, "used_at": None, "created_at": NOW},
        ],
    }  # fmt: skip


def _activity(
    id: str, kind: str, connection: str | None, job: str | None, name: str
) -> dict[str, Any]:
    return {
        "id": id, "tenant": TENANT, "kind": kind, "status": "SUCCEEDED",
        "connection_id": connection, "connection_name": name, "job_id": job,
        "actor": "admin@x", "message": f"{kind} done", "error": None, "records_read": 0,
        "records_written": 0, "records_failed": 0, "attempts": 0, "idempotency_key": None,
        "details": {}, "created_at": NOW, "updated_at": NOW, "started_at": None,
        "finished_at": None,
    }  # fmt: skip


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    server = os.environ.get("CONNECTORS_DATABASE_URL", "")
    if not server.startswith("postgres"):
        yield f"sqlite://{tmp_path / 'previous-release.sqlite3'}"
        return
    name = f"upgrade_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{server.rsplit('/', 1)[0]}/{name}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def run(tmp_path: Path, database_url: str, *args: str) -> None:
    env = {
        **os.environ,
        "CONNECTORS_DATABASE_URL": database_url,
        "CONNECTORS_DATA_DIR": str(tmp_path / "data"),
        "CONNECTORS_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
        "CONNECTORS_JWT_SECRET": JWT_SECRET,
    }
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=45,
    )  # fmt: skip
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"


async def insert(database_url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    if database_url.startswith("sqlite://"):
        async with aiosqlite.connect(database_url.removeprefix("sqlite://")) as conn:
            for table, items in rows.items():
                for row in items:
                    await conn.execute(_sql(table, row, "?"), [_sqlite(v) for v in row.values()])
            await conn.commit()
        return
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        for table, items in rows.items():
            for row in items:
                await conn.execute(_sql(table, row, "$"), *[_postgres(v) for v in row.values()])
    finally:
        await conn.close()


def _sql(table: str, row: dict[str, Any], style: str) -> str:
    marks = ["?"] * len(row) if style == "?" else [f"${i + 1}" for i in range(len(row))]
    columns = ", ".join(f'"{column}"' for column in row)
    return f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join(marks)})'


def _sqlite(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


def _postgres(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, str) and _is_uuid(value):
        return uuid.UUID(value)
    return value


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


async def test_migrate_keeps_every_row_of_the_previous_release(
    tmp_path: Path, database_url: str
) -> None:
    run(tmp_path, database_url, "tests.ops.migration_steps", "to", FIRST)
    await insert(database_url, previous_release_rows())

    run(tmp_path, database_url, "connectors_cli", "migrate")
    out = tmp_path / "read.json"
    run(tmp_path, database_url, "tests.ops.migration_steps", "read", TENANT, str(out))

    body = json.loads(out.read_text())
    assert not body.get("errors"), body["errors"]
    data, core = body["data"], body["core"]
    connections = {c["id"]: c for c in data["connections"]["nodes"]}
    assert set(connections) == {ZENDESK, SALESFORCE}
    desk = connections[ZENDESK]
    assert (desk["name"], desk["status"], desk["connector"]["key"]) == (
        "Support desk", "ACTIVE", "ZENDESK",
    )  # fmt: skip
    assert desk["settings"] == {"subdomain": "acme", "email": "ops@acme.example"}
    assert desk["secretsSet"] == ["api_token"]
    assert connections[SALESFORCE]["status"] == "PENDING_AUTHORIZATION"
    [job] = desk["jobs"]["nodes"]
    assert (job["id"], job["syncMode"], job["schedule"], job["enabled"]) == (
        JOB, "INCREMENTAL", "0 * * * *", True,
    )  # fmt: skip
    assert job["fieldMappings"] == [{"source": "id", "target": "ticket_id", "key": True}]

    activities = {a["id"]: a for a in data["activities"]["nodes"]}
    assert set(activities) == {CREATED, RUN, ORPHAN}
    assert activities[RUN]["job"] == {"id": JOB}
    assert (activities[RUN]["recordsWritten"], activities[RUN]["details"]) == (
        2, {"object": "tickets"},
    )  # fmt: skip
    assert activities[ORPHAN]["connection"] is None
    assert activities[ORPHAN]["connectionName"] == "Old CRM"

    assert data["records"]["totalCount"] == 2
    assert sorted(r["ticket_id"] for r in data["records"]["nodes"]) == ["101", "102"]

    # What GraphQL never shows: sealed credentials still open, limits and OAuth states kept.
    assert core["secrets"][ZENDESK] == {"api_token": API_TOKEN}
    assert core["oauth_states"] == [
        {"id": "state-1", "connection_id": SALESFORCE, "user": "admin@x"}
    ]
    assert core["limits"] == [{"connector_key": "ZENDESK", "max": 3}]


def test_the_migrations_are_found() -> None:
    assert FIRST.startswith("0001_")
    assert MIGRATIONS[-1] == LATEST and len(set(MIGRATIONS)) == len(MIGRATIONS)
