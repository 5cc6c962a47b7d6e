"""The run lifecycle in the worker's own terms: a revoked connection found at start, a late
finish after a cancel, a run lost from the queue, the worker's settings, and the in-process
worker that `connectors dev` runs."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from arq import create_pool

from models import events
from models.lifecycle import ActivityStatus, ConnectionStatus
from models.services import activities, runs
from models.settings import Settings
from models.tables import Activity, Connection
from tests.conftest import GraphQLClient
from tests.workers.jobs import CANCEL, activity, create_job, run, status_is
from tests.workers.live import eventually
from workers import main, queue, tasks
from workers.runtime import Runtime, redis_settings, resolve_redis


def _ctx(attempt: int = 1) -> dict[str, Any]:
    return {"redis": events.bus().redis, "job_try": attempt}


async def test_a_run_that_finds_its_connection_revoked_ends_failed_with_why(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    job = await create_job(admin, mixpanel_connection["id"])
    queued = await run(admin, job["id"])
    # Revoked between the click and the start (revokeConnection itself also cancels runs).
    await Connection.filter(id=mixpanel_connection["id"]).update(status=ConnectionStatus.REVOKED)

    assert await tasks.run_job(_ctx(), queued["id"]) == "nothing to run"
    ended = await activity(admin, queued["id"])
    assert ended["status"] == "FAILED"
    assert "is REVOKED; authorize it again" in ended["error"]


async def test_a_finished_run_never_changes_whatever_arrives_late(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    job = await create_job(admin, mixpanel_connection["id"])
    queued = await run(admin, job["id"])
    assert (await admin.data(CANCEL, id=queued["id"]))["cancelActivity"]["userErrors"] == []

    assert await runs.start(queued["id"], 1) is None  # a worker picking it up late
    row = await Activity.get(id=queued["id"])
    assert not await runs.fail(row, "late failure")
    assert not await activities.transition(row, ActivityStatus.SUCCEEDED)
    assert (await activity(admin, queued["id"]))["status"] == "CANCELLED"


async def test_a_run_lost_from_the_queue_ends_failed(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    job = await create_job(admin, mixpanel_connection["id"])
    queued = await run(admin, job["id"])
    redis = events.bus().redis
    # As after a Redis restart: the queue forgot it, and the grace time has passed.
    await redis.zrem(queue.QUEUE_NAME, queue.run_job_id(queued["id"]))
    await redis.delete(f"arq:job:{queue.run_job_id(queued['id'])}")
    long_ago = activities.now() - timedelta(seconds=tasks.QUEUED_GRACE_SECONDS + 1)
    await Activity.filter(id=queued["id"]).update(updated_at=long_ago)

    assert await tasks.sweep_stale_runs(_ctx()) >= 1
    ended = await activity(admin, queued["id"])
    assert ended["status"] == "FAILED"
    assert "lost from the queue" in ended["error"]


def test_worker_settings_fit_the_deployment(settings: Settings) -> None:
    built = main.worker_settings(settings.model_copy(update={"redis_url": "redis://x:6379/0"}))
    assert built["allow_abort_jobs"] is True
    assert built["job_completion_wait"] < 360  # the worker pods' termination grace period
    assert built["queue_name"] == queue.QUEUE_NAME
    names = {getattr(f, "name", None) for f in built["functions"]}
    assert {"run_job", "refresh_connection"} <= names
    crons = {c.name for c in built["cron_jobs"]}
    assert {"cron:schedule_tick", "cron:sweep_stale_runs", "token-refresh-sweep"} <= crons


async def test_the_dev_worker_runs_inside_the_api_process(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any], settings: Settings
) -> None:
    url, _ = resolve_redis(settings)
    pool = await create_pool(redis_settings(url))
    shared = Runtime(settings=settings, redis=events.bus().redis, arq=pool, redis_url=url)
    worker = main.InProcessWorker(settings, shared)
    worker.start()
    try:
        job = await create_job(admin, mixpanel_connection["id"])
        queued = await run(admin, job["id"])
        await eventually(partial(status_is, admin, queued["id"], "SUCCEEDED"))
    finally:
        await worker.stop()
        await pool.aclose()
