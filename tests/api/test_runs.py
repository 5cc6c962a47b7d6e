"""Job runs carried out by `connectors worker` in another process: the whole life of a run,
ALREADY_RUNNING, cancel, idempotency keys, retries with backoff, failures, schedules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from models import events
from models.settings import Settings
from models.tables import Job
from tests.conftest import GraphQLClient
from tests.workers.jobs import CANCEL as CANCEL_RUN
from tests.workers.jobs import (
    FINISHED,
    JOB,
    RUN_JOB,
    RUNS_OF_JOB,
    activity,
    create_job,
    run,
    status_is,
)
from tests.workers.live import eventually
from tests.workers.process import WorkerProcess, running_worker
from workers.queue import HEARTBEAT_PREFIX


@pytest.fixture(scope="module")
def worker(
    app: Any, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    log = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    with running_worker(settings, log) as process:
        yield process


@pytest.fixture
async def connection_id(mixpanel_connection: dict[str, Any], worker: WorkerProcess) -> str:
    return mixpanel_connection["id"]


async def test_a_run_is_queued_at_once_and_the_worker_finishes_it(
    admin: GraphQLClient, connection_id: str
) -> None:
    job = await create_job(admin, connection_id)
    queued = await run(admin, job["id"])
    assert (queued["kind"], queued["status"], queued["actor"]) == ("JOB_RUN", "QUEUED", "admin@x")
    assert queued["startedAt"] is None

    done = await eventually(partial(status_is, admin, queued["id"], *FINISHED))
    assert done["status"] == "SUCCEEDED", done
    assert done["attempts"] == 1
    assert done["startedAt"] and done["finishedAt"]
    assert done["startedAt"] <= done["finishedAt"]
    # The real sync ran against the Mixpanel fake, which holds no events: it says so.
    assert (done["recordsRead"], done["recordsWritten"], done["recordsFailed"]) == (0, 0, 0)
    assert done["message"]
    assert (await admin.data(JOB, id=job["id"]))["job"]["lastRun"]["id"] == queued["id"]


async def test_one_run_of_a_job_at_a_time_and_a_running_run_cancelled(
    admin: GraphQLClient, connection_id: str
) -> None:
    job = await create_job(admin, connection_id, "test-stall")
    # Two clicks at the same moment: one run, one ALREADY_RUNNING.
    both = await asyncio.gather(*(admin.data(RUN_JOB, id=job["id"]) for _ in range(2)))
    codes = sorted(str([e["code"] for e in p["runJob"]["userErrors"]]) for p in both)
    assert codes == ["['ALREADY_RUNNING']", "[]"]
    first = next(p["runJob"]["activity"] for p in both if p["runJob"]["activity"])

    running = await eventually(partial(status_is, admin, first["id"], "RUNNING"))
    assert running["recordsRead"] == 1  # the stalled source reported its first record
    again = (await admin.data(RUN_JOB, id=job["id"]))["runJob"]
    assert again["userErrors"][0]["code"] == "ALREADY_RUNNING"
    assert first["id"] in again["userErrors"][0]["message"]

    cancelled = (await admin.data(CANCEL_RUN, id=first["id"]))["cancelActivity"]
    assert cancelled["userErrors"] == []
    assert cancelled["activity"]["status"] == "CANCELLED"
    assert cancelled["activity"]["finishedAt"]
    # The worker really stopped it: its heartbeat is gone, and the run stays CANCELLED.
    redis = events.bus().redis
    await eventually(lambda: _gone(redis, HEARTBEAT_PREFIX + first["id"]))
    assert (await activity(admin, first["id"]))["status"] == "CANCELLED"
    assert (await run(admin, job["id"]))["status"] == "QUEUED"  # the job may run again
    await admin.data(CANCEL_RUN, id=(await _runs(admin, job["id"]))["nodes"][0]["id"])


async def _gone(redis: Any, key: str) -> bool:
    return not await redis.exists(key)


async def _runs(client: GraphQLClient, job_id: str) -> dict[str, Any]:
    return (await client.data(RUNS_OF_JOB, jobId=job_id))["activities"]


async def test_the_same_idempotency_key_returns_the_same_run(
    admin: GraphQLClient, connection_id: str
) -> None:
    job = await create_job(admin, connection_id, "test-slow")
    runs = await asyncio.gather(*(run(admin, job["id"], key="click-42") for _ in range(3)))
    assert len({r["id"] for r in runs}) == 1
    await eventually(partial(status_is, admin, runs[0]["id"], *FINISHED))
    # Retried long after, the key still means that run, not a new one.
    assert (await run(admin, job["id"], key="click-42"))["id"] == runs[0]["id"]
    assert (await _runs(admin, job["id"]))["totalCount"] == 1

    other = await create_job(admin, connection_id, "test-slow", name="Another job")
    reused = (await admin.data(RUN_JOB, id=other["id"], key="click-42"))["runJob"]
    assert reused["userErrors"][0]["code"] == "INVALID_INPUT"
    assert reused["userErrors"][0]["field"] == ["idempotencyKey"]


async def test_a_transient_source_failure_is_retried_with_backoff(
    admin: GraphQLClient, connection_id: str
) -> None:
    job = await create_job(admin, connection_id, "test-flaky")
    queued = await run(admin, job["id"])
    done = await eventually(partial(status_is, admin, queued["id"], *FINISHED))
    assert done["status"] == "SUCCEEDED", done
    assert done["attempts"] == 3
    assert "try 3 of 4" in done["message"]


async def test_a_source_failure_ends_the_run_failed_with_its_reason(
    admin: GraphQLClient, connection_id: str
) -> None:
    job = await create_job(admin, connection_id, "test-broken")
    queued = await run(admin, job["id"])
    done = await eventually(partial(status_is, admin, queued["id"], *FINISHED))
    assert done["status"] == "FAILED"
    assert done["error"] == "The source refused: object 'nope' does not exist"
    assert done["attempts"] == 1


async def test_failed_records_make_a_partial_success_with_details(
    admin: GraphQLClient, connection_id: str
) -> None:
    job = await create_job(admin, connection_id, "test-partial")
    queued = await run(admin, job["id"])
    done = await eventually(partial(status_is, admin, queued["id"], *FINISHED))
    assert done["status"] == "PARTIAL_SUCCESS"
    assert (done["recordsRead"], done["recordsWritten"], done["recordsFailed"]) == (3, 1, 2)
    assert len(done["details"]["failures"]) == 2


async def test_a_due_schedule_starts_one_run_however_many_ticks_were_missed(
    admin: GraphQLClient, connection_id: str
) -> None:
    # Yearly, so no real tick falls inside the test; the missed ones are made up below.
    job = await create_job(admin, connection_id, "test-slow", schedule="0 0 1 1 *")
    new_year = datetime(datetime.now(UTC).year + 1, 1, 1, tzinfo=UTC)
    assert datetime.fromisoformat(job["nextRunAt"]) == new_year
    # As if no worker had run for ten years: ten ticks missed.
    await Job.filter(id=job["id"]).update(next_run_at=datetime(2016, 1, 1, tzinfo=UTC))

    started = await eventually(lambda: _first_run(admin, job["id"]))
    assert started["actor"] == "system"
    await eventually(partial(status_is, admin, started["id"], "SUCCEEDED"))
    await asyncio.sleep(1.5)  # more scheduler ticks pass (one a second in tests)
    assert (await _runs(admin, job["id"]))["totalCount"] == 1
    next_run = (await admin.data(JOB, id=job["id"]))["job"]["nextRunAt"]
    assert datetime.fromisoformat(next_run) == new_year


async def _first_run(client: GraphQLClient, job_id: str) -> dict[str, Any] | None:
    nodes = (await _runs(client, job_id))["nodes"]
    return nodes[-1] if nodes else None
