"""Scheduled jobs: which are due, and starting each due job once.

Schedules are cron expressions in UTC, read by croniter (models.services.jobs.next_run).
A job is due when its `next_run_at` has passed. Starting it first moves `next_run_at` to the
next tick after *now* with a conditional update, so however many ticks were missed while no
worker ran, the job starts once, and of several schedulers running at once only one wins.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.queryset import QuerySet

from models.actors import SYSTEM
from models.errors import AlreadyRunning, ConnectionNotActive
from models.logging import get_logger
from models.services import activities, jobs
from models.tables import Activity, Job

log = get_logger(__name__)


def due(now: datetime) -> QuerySet[Job]:
    query = Job.filter(enabled=True, schedule__isnull=False, next_run_at__lte=now)
    return query.order_by("next_run_at")


async def start_due(now: datetime | None = None) -> list[Activity]:
    """Queue a run of every due job; returns the runs queued."""
    now = now or activities.now()
    await _fill_missing(now)
    started = []
    for job in await due(now):
        if await _claim(job, now):
            run = await _start(job)
            if run is not None:
                started.append(run)
    return started


async def _claim(job: Job, now: datetime) -> bool:
    """Move the job's next run past `now`; false when another scheduler did it first."""
    claimed = await Job.filter(id=job.id, next_run_at=job.next_run_at).update(
        next_run_at=jobs.next_run(job, after=now)
    )
    return bool(claimed)


async def _start(job: Job) -> Activity | None:
    try:
        return await jobs.queue_run(job, SYSTEM)
    except (AlreadyRunning, ConnectionNotActive) as exc:
        # A tick that finds the last run still going, or the connection not usable, is skipped:
        # the next tick tries again, and recording each skip would bury real failures.
        log.info("scheduled run skipped", job_id=str(job.id), reason=exc.message)
        return None


async def _fill_missing(now: datetime) -> None:
    """A scheduled job without a next run (written before it had one) gets one."""
    for job in await Job.filter(enabled=True, schedule__isnull=False, next_run_at__isnull=True):
        await Job.filter(id=job.id, next_run_at__isnull=True).update(
            next_run_at=jobs.next_run(job, after=now)
        )
