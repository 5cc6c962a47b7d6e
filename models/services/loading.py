"""Loading: a job's source records upserted into the tenant's destination object.

Each record is mapped through the job's field mappings (source path -> target name); the key
mappings make its key, so a rerun or a retried page updates the record it loaded before
instead of adding another. A record that cannot be mapped (a missing key, a value of a type
that cannot be stored) is counted and described, and the rest of the batch goes on.

Batches are one statement each: on PostgreSQL an INSERT ... SELECT FROM unnest(...) with
ON CONFLICT (tenant, object, key) DO UPDATE, which skips rows whose data did not change; on
SQLite the same upsert, executed for many rows at once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from models.tables import Job, Record

BATCH = 2000
MAX_KEY = 512
MAX_DESCRIBED = 20

_PG_UPSERT = """
INSERT INTO records (tenant, object, key, data, created_at, updated_at)
SELECT $1, $2, k, d::jsonb, now(), now() FROM unnest($3::text[], $4::text[]) AS t(k, d)
ON CONFLICT (tenant, object, key) DO UPDATE
SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
WHERE records.data IS DISTINCT FROM EXCLUDED.data
"""
_SQLITE_UPSERT = """
INSERT INTO records (tenant, object, key, data, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, object, key) DO UPDATE
SET data = excluded.data, updated_at = excluded.updated_at
WHERE records.data IS NOT excluded.data
"""


_PLAIN = frozenset({str, int, float, bool})


class Unmappable(ValueError):
    """A record the mappings cannot turn into a destination record; the message says why."""


@dataclass(frozen=True)
class FieldMap:
    source: str
    target: str
    key: bool = False

    @classmethod
    def of_job(cls, job: Job) -> list[FieldMap]:
        return [cls(m["source"], m["target"], bool(m.get("key"))) for m in job.field_mappings]


@dataclass
class Loaded:
    written: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: Loaded) -> None:
        self.written += other.written
        self.failed += other.failed
        room = MAX_DESCRIBED - len(self.failures)
        self.failures.extend(other.failures[: max(0, room)])


def value_at(record: dict[str, Any], path: str) -> Any:
    """A field by name, or by a dotted path into nested objects (`properties.time`)."""
    if path in record:
        return record[path]
    value: Any = record
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def map_record(record: dict[str, Any], mappings: list[FieldMap]) -> tuple[str, dict[str, Any]]:
    data = {}
    for m in mappings:
        value = record[m.source] if m.source in record else value_at(record, m.source)
        data[m.target] = (
            value if value is None or type(value) in _PLAIN else _storable(value, m.source)
        )
    parts = [_key_part(data[m.target], m.source) for m in mappings if m.key]
    key = parts[0] if len(parts) == 1 else json.dumps(parts, separators=(",", ":"))
    if len(key) > MAX_KEY:
        raise Unmappable(f"its key is longer than {MAX_KEY} characters")
    return key, data


def _key_part(value: Any, source: str) -> str:
    if value is None or value == "":
        raise Unmappable(f"the key field {source!r} is missing")
    if isinstance(value, dict | list):
        raise Unmappable(f"the key field {source!r} is a {type(value).__name__}, not a value")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _storable(value: Any, source: str) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): _storable(v, source) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v, source) for v in value]
    raise Unmappable(f"the field {source!r} holds a {type(value).__name__}, which is not data")


async def load(
    tenant: str,
    object_name: str,
    mappings: list[FieldMap],
    records: list[dict[str, Any]],
    first_index: int = 0,
) -> Loaded:
    """Upsert `records` into `object_name`; `first_index` numbers them in the run's terms."""
    outcome = Loaded()
    rows: dict[str, str] = {}
    for index, record in enumerate(records, start=first_index + 1):
        try:
            key, data = map_record(record, mappings)
            rows[key] = orjson.dumps(data).decode()  # the same key twice: last wins
        except (Unmappable, orjson.JSONEncodeError) as why:
            outcome.failed += 1
            if len(outcome.failures) < MAX_DESCRIBED:
                outcome.failures.append(f"record {index}: {why}")
            continue
        outcome.written += 1
    items = list(rows.items())
    for start in range(0, len(items), BATCH):
        await _upsert(tenant, object_name, items[start : start + BATCH])
    return outcome


async def _upsert(tenant: str, object_name: str, rows: list[tuple[str, str]]) -> None:
    db = Record._meta.db
    if db.capabilities.dialect == "postgres":
        keys = [key for key, _ in rows]
        datas = [data for _, data in rows]
        await db.execute_query(_PG_UPSERT, [tenant, object_name, keys, datas])
        return
    now = dt.datetime.now(dt.UTC)
    await db.execute_many(
        _SQLITE_UPSERT, [[tenant, object_name, key, data, now, now] for key, data in rows]
    )


async def save_cursor(job: Job, cursor: Any) -> None:
    """Where the next incremental run starts: saved only once the page it covers is loaded.

    Kept as {"cursor": value}: a bare string in a JSON column would be read back as JSON text.
    """
    await Job.filter(id=job.id).update(cursor={"cursor": cursor})
    job.cursor = {"cursor": cursor}


def saved_cursor(job: Job) -> Any:
    return job.cursor.get("cursor") if isinstance(job.cursor, dict) else None
