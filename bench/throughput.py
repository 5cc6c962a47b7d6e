"""Throughput of a data job, end to end, beside raw PostgreSQL baselines on the same rows.

- job: a Salesforce Account job run through `workers.sync.sync_job` with the production
  progress reporting (`models.services.runs.progress`: activity row and event), reading HTTP
  pages from a local fake in another process: JSON, mapping, batched upsert into `records`;
- COPY: asyncpg's binary COPY of the same mapped rows straight into `records` (no upsert);
- stage upsert: COPY of all the rows into a temporary staging table, then one
  INSERT ... SELECT ... ON CONFLICT (tenant, object, key) DO UPDATE ... WHERE data IS DISTINCT;
- executemany upsert: the same upsert per row, through asyncpg's pipelined executemany.

"raw upsert" is the faster of the two upserts (by median). Every measure starts from an empty
`records` table (TRUNCATE, then CHECKPOINT, untimed), the measures of one repetition run in
a rotating order, and the report gives the median of the repetitions and their spread. The
job's ratio is taken per repetition against that repetition's raw upsert.

Memory is measured on separate, untimed runs of the job at every size: the peak resident set
above the start (the kernel's high-water mark, reset before the run), and the peak of Python
allocations (tracemalloc). Flat means the same at 50,000 and 200,000 records.

    CONNECTORS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.throughput --repeat 5 50000 200000

The database named in the URL is only used to create (and drop) a `connectors_bench` one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import asyncpg
import orjson

from bench.fake_source import FakeSource, account
from models import logging as logs
from models import settings as config
from models import tokens
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus
from models.services import runs
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
MEASURES = ("job", "copy", "stage", "executemany")
_UPSERT_SET = """ON CONFLICT (tenant, object, key) DO UPDATE
SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
WHERE records.data IS DISTINCT FROM EXCLUDED.data"""
_STAGE_INSERT = f"""INSERT INTO records (tenant, object, key, data, created_at, updated_at)
SELECT $1, 'company_stage', key, data, now(), now() FROM stage {_UPSERT_SET}"""
T = TypeVar("T")
_ROW_UPSERT = f"""INSERT INTO records (tenant, object, key, data, created_at, updated_at)
VALUES ($1, 'company_many', $2, $3::jsonb, now(), now()) {_UPSERT_SET}"""


@dataclass
class Result:
    records: int
    seconds: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MEASURES})
    rss_mb: float = 0.0
    python_mb: float = 0.0

    def rate(self, measure: str) -> float:
        return self.records / statistics.median(self.seconds[measure])

    @property
    def upsert(self) -> str:
        """The faster raw upsert, by median."""
        return max(("stage", "executemany"), key=self.rate)

    def ratios(self, baseline: str) -> list[float]:
        """The job's rate over the baseline's, repetition by repetition."""
        return [b / j for j, b in zip(self.seconds["job"], self.seconds[baseline], strict=True)]

    @property
    def ratio_to_upsert(self) -> float:
        return statistics.median(self.ratios(self.upsert))


def _asyncpg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _fresh_database(url: str) -> str:
    admin = await asyncpg.connect(_asyncpg_url(url))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        await admin.close()
    return url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def _reset_peak_rss() -> None:
    # 5: reset the peak resident set size (VmHWM) to the current one (Linux 4.0 and later).
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


async def _salesforce_run(tenant: str) -> RunContext:
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
    activity = await Activity.create(
        tenant=tenant,
        kind=ActivityKind.JOB_RUN,
        status=ActivityStatus.RUNNING,
        connection=connection,
        connection_name=connection.name,
        job=job,
    )
    return RunContext(activity, job, connection, partial(runs.progress, activity))


async def run_job(tenant: str) -> float:
    run = await _salesforce_run(tenant)
    started = time.perf_counter()
    outcome = await sync_job(run)
    elapsed = time.perf_counter() - started
    if outcome.records_failed:
        raise RuntimeError(f"the job failed {outcome.records_failed} records")
    return elapsed


async def job_memory(tenant: str) -> tuple[float, float]:
    """Peak resident set above the start, and peak Python allocations, of one run (MB)."""
    _reset_peak_rss()
    before = _status_mb("VmRSS")
    await run_job(tenant)
    rss = _status_mb("VmHWM") - before
    tracemalloc.start()
    try:
        await run_job(tenant + "-traced")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0.0, rss), peak / 2**20


def mapped_rows(count: int) -> list[tuple[str, str]]:
    """What the job writes, mapped the same way: (key, data as JSON text)."""
    rows = []
    for number in range(count):
        record = account(number)
        data = {m["target"]: record[m["source"]] for m in MAPPINGS}
        rows.append((record["Id"], orjson.dumps(data).decode()))
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


async def stage_upsert(db: asyncpg.Connection, tenant: str, rows: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    async with db.transaction():
        await db.execute("CREATE TEMP TABLE stage (key text, data jsonb) ON COMMIT DROP")
        await db.copy_records_to_table("stage", records=rows, columns=["key", "data"])
        await db.execute(_STAGE_INSERT, tenant)
    return time.perf_counter() - started


async def executemany_upsert(
    db: asyncpg.Connection, tenant: str, rows: list[tuple[str, str]]
) -> float:
    args = [(tenant, key, data) for key, data in rows]
    started = time.perf_counter()
    async with db.transaction():
        await db.executemany(_ROW_UPSERT, args)
    return time.perf_counter() - started


async def _empty(db: asyncpg.Connection) -> None:
    await db.execute("TRUNCATE records")
    await db.execute("CHECKPOINT")


async def _loaded(db: asyncpg.Connection, tenant: str) -> tuple[int, str]:
    """How many rows of the tenant, and a digest of their keys and data."""
    row = await db.fetchrow(
        "SELECT count(*), md5(string_agg(key || data::text, ',' ORDER BY key)) "
        "FROM records WHERE tenant = $1",
        tenant,
    )
    return row[0], row[1]


async def measure(count: int, url: str, repeat: int) -> Result:
    result = Result(count)
    rows = mapped_rows(count)
    db = await asyncpg.connect(_asyncpg_url(url))
    try:
        with FakeSource(count) as fake:
            config.current().connectors["SFDC"] = config.ConnectorOverrides(api_url=fake.url)
            await _empty(db)
            result.rss_mb, result.python_mb = await job_memory(f"memory-{uuid.uuid4().hex[:8]}")
            for rep in range(repeat):
                await _repetition(db, rows, result, rep)
    finally:
        await db.close()
    return result


async def _repetition(
    db: asyncpg.Connection, rows: list[tuple[str, str]], result: Result, rep: int
) -> None:
    raw: dict[str, Callable[[asyncpg.Connection, str, list[tuple[str, str]]], Awaitable[float]]]
    raw = {"copy": raw_copy, "stage": stage_upsert, "executemany": executemany_upsert}
    order = MEASURES[rep % len(MEASURES) :] + MEASURES[: rep % len(MEASURES)]
    digests = set()
    for name in order:
        await _empty(db)
        tenant = f"bench-{uuid.uuid4().hex[:8]}"
        if name == "job":
            seconds = await run_job(tenant)
        else:
            seconds = await raw[name](db, tenant, rows)
        result.seconds[name].append(seconds)
        loaded, digest = await _loaded(db, tenant)
        if loaded != result.records:
            raise RuntimeError(f"{name} loaded {loaded} records, not {result.records}")
        digests.add(digest)
    if len(digests) != 1:
        raise RuntimeError("the job and the baselines did not load the same rows")


async def with_runtime(body: Callable[[], Awaitable[T]]) -> T:
    """`body()` with the service's runtime started on a fresh benchmark database."""
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
    logs.configure(settings, stream=sys.stderr)  # the same logging, kept out of the report
    try:
        return await body()
    finally:
        await shutdown(runtime)


async def run(counts: list[int], repeat: int) -> list[Result]:
    async def body() -> list[Result]:
        url = config.current().database_url
        return [await measure(count, url, repeat) for count in counts]

    return await with_runtime(body)


def _spread(values: list[float], digits: int = 2) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{middle:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def report(results: list[Result]) -> str:
    lines = [
        "| records | job (rec/s) | raw COPY (rec/s) | COPY + staging upsert (rec/s) "
        "| executemany upsert (rec/s) | job / raw upsert, median (lowest to highest) "
        "| job / COPY | job peak RSS above start (MB) | job peak Python allocations (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.records:,} | {r.rate('job'):,.0f} | {r.rate('copy'):,.0f} | "
            f"{r.rate('stage'):,.0f} | {r.rate('executemany'):,.0f} | "
            f"{_spread(r.ratios(r.upsert))} | {_spread(r.ratios('copy'))} | "
            f"{r.rss_mb:.1f} | {r.python_mb:.1f} |"
        )
    repeats = len(results[0].seconds["job"]) if results else 0
    lines.append(
        f"\nrec/s: median of {repeats} interleaved repetitions; raw upsert: the faster upsert "
        f"({', '.join(f'{r.records:,}: {r.upsert}' for r in results)})."
    )
    return "\n".join(lines)


def main(argv: list[str]) -> list[Result]:
    parser = argparse.ArgumentParser(prog="bench.throughput")
    parser.add_argument("counts", nargs="*", type=int, default=[50_000, 200_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.counts, args.repeat))
    sys.stdout.write(report(results) + "\n")
    sys.stdout.write(orjson.dumps([r.__dict__ for r in results]).decode() + "\n")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
