"""Test hook for worker processes: `CONNECTORS_WORKER_TEST_HOOK=tests.workers.hooks`.

`connectors worker` imports this module before it builds its arq settings (workers/main.py),
so tests can drive a worker that runs in another process:
- fast timings: heartbeat, recovery sweep, scheduler tick, retry backoff and shutdown grace
  in (fractions of) seconds instead of the production values;
- runs that behave on purpose, chosen by the job's destination object: `test-stall` never
  ends (until the worker is killed or the run cancelled), `test-slow` takes half a second,
  `test-flaky` fails with SourceUnavailable on its first two tries, `test-broken` fails for
  good, `test-partial` ends with failed records. They read nothing, and say so.
Every other job runs the real `workers.sync.sync_job`.
"""

from __future__ import annotations

import asyncio

from models.services import runs
from workers import main, queue, sync, tasks

queue.HEARTBEAT_SECONDS = 0.2
queue.HEARTBEAT_TTL_SECONDS = 1.0
tasks.SWEEP_EVERY_SECONDS = 1
tasks.SCHEDULE_EVERY_SECONDS = 1
tasks.QUEUED_GRACE_SECONDS = 3.0
runs.RETRY_BASE_SECONDS = 0.2
main.SHUTDOWN_GRACE_SECONDS = 1

_real_sync_job = sync.sync_job
NOTHING = "Test hook: this run read nothing."


async def _stall(run: sync.RunContext) -> sync.SyncOutcome:
    await run.progress(1, 0, 0)
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def _slow(run: sync.RunContext) -> sync.SyncOutcome:
    await asyncio.sleep(0.5)
    return sync.SyncOutcome(message=NOTHING)


async def _flaky(run: sync.RunContext) -> sync.SyncOutcome:
    if run.attempt < 3:
        raise sync.SourceUnavailable(f"The source answered 503 on try {run.attempt}")
    return sync.SyncOutcome(message=NOTHING)


async def _broken(run: sync.RunContext) -> sync.SyncOutcome:
    raise sync.SourceFailed("The source refused: object 'nope' does not exist")


async def _partial(run: sync.RunContext) -> sync.SyncOutcome:
    await run.progress(3, 1, 2)
    return sync.SyncOutcome(
        records_read=3,
        records_written=1,
        records_failed=2,
        failures=["record 2: no value for key 'external_id'", "record 3: 'name' too long"],
        message="Test hook: 3 records made up, 1 kept.",
    )


BEHAVIOURS = {
    "test-stall": _stall,
    "test-slow": _slow,
    "test-flaky": _flaky,
    "test-broken": _broken,
    "test-partial": _partial,
}


async def sync_job(run: sync.RunContext) -> sync.SyncOutcome:
    behaviour = BEHAVIOURS.get(run.job.destination_object, _real_sync_job)
    return await behaviour(run)


sync.sync_job = sync_job
