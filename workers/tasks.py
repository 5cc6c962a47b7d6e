"""The arq tasks: load by id, call a service, raise Retry for what is transient.

- `run_job(ctx, activity_id)`: one run of a data job, through `workers.sync.sync_job`.
- `schedule_tick(ctx)`: queue the runs of scheduled jobs that are due.
- `sweep_stale_runs(ctx)`: end the runs that no worker holds any more.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial
from typing import Any

from arq import Retry

from models import metrics
from models.lifecycle import ActivityStatus
from models.logging import bound, get_logger
from models.services import activities, runs, schedules
from models.tables import Activity
from workers import queue, sync
from workers.queue import RunHolder

log = get_logger(__name__)

# How often the scheduler looks for due jobs (schedules have minute resolution).
SCHEDULE_EVERY_SECONDS = 10
# How often a worker looks for runs that no worker holds any more.
SWEEP_EVERY_SECONDS = 15
# A queued run that Redis does not know for this long was lost, not just being handed over.
QUEUED_GRACE_SECONDS = 60.0

ABANDONED = {
    RunHolder.DEAD_WORKER: (
        "The worker running this run stopped without finishing it (it was killed, or its "
        "machine was lost)."
    ),
    RunHolder.NOBODY: "This run was lost from the queue (Redis restarted or was emptied).",
}


async def run_job(ctx: dict[str, Any], activity_id: str) -> str:
    async with queue.heartbeat(ctx["redis"], activity_id):
        run = await runs.start(activity_id, int(ctx.get("job_try", 1)))
        if run is None:
            return "nothing to run"
        with bound(activity_id=activity_id, job_id=run.job.id, connection_id=run.connection.id):
            return await _sync(run)


async def _sync(run: runs.StartedRun) -> str:
    started = time.monotonic()
    context = sync.RunContext(
        activity=run.activity,
        job=run.job,
        connection=run.connection,
        progress=partial(runs.progress, run.activity),
        attempt=run.attempt,
    )
    try:
        outcome = await sync.sync_job(context)
    except sync.SourceUnavailable as exc:
        delay = await runs.retry_later(run, str(exc))
        if delay is not None:
            _count(run, "RETRIED", started)
            raise Retry(defer=delay) from exc
    except sync.SourceFailed as exc:
        await runs.fail(run.activity, str(exc))
    except Exception as exc:
        await runs.fail(run.activity, runs.internal_error(exc, run.activity))
        raise  # arq logs it with its traceback
    else:
        await runs.finish(
            run,
            read=outcome.records_read,
            written=outcome.records_written,
            failed=outcome.records_failed,
            failures=outcome.failures,
            message=outcome.message,
        )
        metrics.records_loaded(outcome.records_written, connector=run.connection.connector_key)
    return _count(run, run.activity.status.value, started)


def _count(run: runs.StartedRun, outcome: str, started: float) -> str:
    metrics.job_run_finished(
        outcome,
        connector=run.connection.connector_key,
        duration_seconds=time.monotonic() - started,
    )
    return outcome


async def schedule_tick(ctx: dict[str, Any]) -> int:
    return len(await schedules.start_due())


async def sweep_stale_runs(ctx: dict[str, Any]) -> int:
    """Runs left QUEUED or RUNNING by a dead worker or a lost queue end FAILED, with why."""
    recovered = 0
    for activity in await runs.open_runs():
        if not runs.quiet_since(activity, activities.now() - _grace(activity)):
            continue
        holder = await queue.run_holder(ctx["redis"], str(activity.id))
        why = ABANDONED.get(holder)
        if why and await runs.abandon(activity, why):
            # Should arq hand the run out again later, it is skipped, not run.
            await queue.abort(ctx["redis"], str(activity.id))
            log.warning("run recovered", activity_id=str(activity.id), holder=holder.value)
            recovered += 1
    return recovered


def _grace(activity: Activity) -> timedelta:
    if activity.status is ActivityStatus.RUNNING:
        return timedelta(seconds=queue.HEARTBEAT_TTL_SECONDS)
    return timedelta(seconds=QUEUED_GRACE_SECONDS)
