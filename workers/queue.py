"""Typed enqueue helpers: how the API and the scheduler hand work to the arq workers.

Job arguments are ids, never objects; arq job ids are derived from what they run, so the same
run is never queued twice.
"""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss
from arq.utils import timestamp_ms

from models.tables import Activity

QUEUE_NAME = "connections-hub:queue"


def run_job_id(activity_id: str) -> str:
    return f"run:{activity_id}"


class ArqDispatcher:
    """The core's Dispatcher, backed by an arq Redis pool."""

    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    async def enqueue_run(self, activity: Activity) -> None:
        await self.pool.enqueue_job(
            "run_job",
            str(activity.id),
            _job_id=run_job_id(str(activity.id)),
            _queue_name=QUEUE_NAME,
        )

    async def abort_run(self, activity: Activity) -> None:
        # arq's own abort flag: a queued job is skipped, a running one is cancelled.
        await self.pool.zadd(abort_jobs_ss, {run_job_id(str(activity.id)): timestamp_ms()})
