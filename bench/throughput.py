"""Throughput of a data job, end to end, beside two raw PostgreSQL baselines on the same rows.

- job: a Salesforce Account job run through `workers.sync.sync_job` (HTTP pages from a local
  fake in another process, JSON, mapping, batched upsert into `records`, progress, cursor);
- COPY: asyncpg's binary COPY of the same mapped rows straight into `records`;
- upsert: the fastest raw upsert we know: COPY into a temporary staging table, then one
  INSERT ... SELECT ... ON CONFLICT (tenant, object, key) DO UPDATE.

Each measure loads into an object of its own, so all three insert the same rows. The job's
memory is sampled while it runs (resident set size above what it was before the run), to
show that it stays flat whatever the number of records.

    CONNECTORS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.throughput 50000 200000

The database named in the URL is only used to create (and drop) a `connectors_bench` one.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.fake_source import FakeSource, account
from models import settings as config
from models import tokens
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus
from models.tables import Activity, Connection, Job
from workers.runtime import shutdown, startup
from workers.sync import RunContext, sync_job

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "connectors_bench"
MAPPINGS = [
    {"source": "Id", "target": "external_id", "key": True},
    {"source": "Name", "target": "name", "key": False},
    {"source": "Industry", "target": "industry", "key": False},
    {"source": "Website", "target": "website", "key": False},
]


@dataclass
class Result:
    records: int
    job_per_s: float
    copy_per_s: float
    upsert_per_s: float
    job_memory_mb: float

    @property
    def ratio_to_upsert(self) -> float:
        return self.job_per_s / self.upsert_per_s

    @property
    def ratio_to_copy(self) -> float:
        return self.job_per_s / self.copy_per_s


def _asyncpg_url(url: str, database: str) -> str:
    base = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    return f"{base}/{database}"


async def _fresh_database(url: str) -> str:
    admin = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        await admin.close()
    return url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _sample_peak(stop: asyncio.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], _rss_mb())
        await asyncio.sleep(0.05)


async def _salesforce_job(tenant: str) -> tuple[Job, Connection]:
    now = datetime.now(UTC)
    connection = await Connection.create(
        id=uuid.uuid4(),
        tenant=tenant,
        name="Bench Salesforce",
        name_key="bench salesforce",
        connector_key="SFDC",
        status=ConnectionStatus.ACTIVE,
        created_by="bench",
        authorized_at=now,
        token_expires_at=now + timedelta(days=1),
    )
    connection.secrets = tokens.sealed_grant(connection, {"access_token": "bench"}, {})
    await connection.save()
    job = await Job.create(
        tenant=tenant,
        connection=connection,
        name="Bench accounts",
        source_object="Account",
        destination_object="company_job",
        field_mappings=MAPPINGS,
        created_by="bench",
    )
    return job, connection


async def end_to_end(tenant: str) -> tuple[float, float]:
    """Seconds for one run of the job, and the peak memory it added (MB)."""
    job, connection = await _salesforce_job(tenant)
    activity = await Activity.create(
        tenant=tenant,
        kind=ActivityKind.JOB_RUN,
        status=ActivityStatus.RUNNING,
        connection=connection,
        connection_name=connection.name,
        job=job,
    )

    async def progress(read: int, written: int, failed: int) -> None:
        await Activity.filter(id=activity.id).update(
            records_read=read, records_written=written, records_failed=failed
        )

    before, peak, stop = _rss_mb(), [0.0], asyncio.Event()
    sampler = asyncio.create_task(_sample_peak(stop, peak))
    started = time.perf_counter()
    await sync_job(RunContext(activity, job, connection, progress))
    elapsed = time.perf_counter() - started
    stop.set()
    await sampler
    return elapsed, max(0.0, peak[0] - before)


def mapped_rows(count: int) -> list[tuple[str, str]]:
    rows = []
    for number in range(count):
        record = account(number)
        data = {m["target"]: record[m["source"]] for m in MAPPINGS}
        rows.append((record["Id"], json.dumps(data, separators=(",", ":"))))
    return rows


async def raw_copy(db: asyncpg.Connection, tenant: str, rows: list[tuple[str, str]]) -> float:
    now = datetime.now(UTC)
    records = [(tenant, "company_copy", key, data, now, now) for key, data in rows]
    started = time.perf_counter()
    await db.copy_records_to_table(
        "records",
        records=records,
        columns=["tenant", "object", "key", "data", "created_at", "updated_at"],
    )
    return time.perf_counter() - started


async def raw_upsert(db: asyncpg.Connection, tenant: str, rows: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    async with db.transaction():
        await db.execute("CREATE TEMP TABLE stage (key text, data jsonb) ON COMMIT DROP")
        await db.copy_records_to_table("stage", records=rows, columns=["key", "data"])
        await db.execute(
            """INSERT INTO records (tenant, object, key, data, created_at, updated_at)
               SELECT $1, 'company_upsert', key, data, now(), now() FROM stage
               ON CONFLICT (tenant, object, key) DO UPDATE
               SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at""",
            tenant,
        )
    return time.perf_counter() - started


async def measure(count: int, url: str) -> Result:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    with FakeSource(count) as fake:
        config.current().connectors["SFDC"] = config.ConnectorOverrides(api_url=fake.url)
        job_seconds, memory = await end_to_end(tenant)
    rows = mapped_rows(count)
    db = await asyncpg.connect(_asyncpg_url(url, BENCH_DB))
    try:
        copy_seconds = await raw_copy(db, tenant, rows)
        upsert_seconds = await raw_upsert(db, tenant, rows)
        loaded = await db.fetchval(
            "SELECT count(*) FROM records WHERE tenant = $1 AND object = 'company_job'", tenant
        )
    finally:
        await db.close()
    if loaded != count:
        raise RuntimeError(f"the job loaded {loaded} records, not {count}")
    return Result(count, count / job_seconds, count / copy_seconds, count / upsert_seconds, memory)


async def run(counts: list[int]) -> list[Result]:
    url = os.environ.get("CONNECTORS_DATABASE_URL", DEFAULT_URL)
    bench_url = await _fresh_database(url)
    settings = config.configure(
        database_url=bench_url,
        redis_url=os.environ.get("CONNECTORS_REDIS_URL"),
        data_dir=Path(tempfile.mkdtemp(prefix="connectors-bench-")),
        encryption_keys="bench-key-not-secret",
        allow_private_hosts=True,
    )
    runtime = await startup(settings, migrate=True)
    try:
        return [await measure(count, bench_url) for count in counts]
    finally:
        await shutdown(runtime)


def report(results: list[Result]) -> str:
    lines = [
        "| records | job (rec/s) | raw COPY (rec/s) | raw upsert (rec/s) | job / upsert "
        "| job / COPY | job memory peak (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.records:,} | {r.job_per_s:,.0f} | {r.copy_per_s:,.0f} | "
            f"{r.upsert_per_s:,.0f} | {r.ratio_to_upsert:.2f} | {r.ratio_to_copy:.2f} | "
            f"{r.job_memory_mb:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> list[Result]:
    counts = [int(a) for a in argv] or [50_000, 200_000]
    results = asyncio.run(run(counts))
    sys.stdout.write(report(results) + "\n")
    sys.stdout.write(json.dumps([asdict(r) for r in results]) + "\n")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
