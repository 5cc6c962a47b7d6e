"""Typed enqueue helpers: how the API and the scheduler hand work to the arq workers.

Job arguments are ids, never objects; arq job ids are derived from what they run, so the same
run is never queued twice. A run's liveness is read from Redis too: the worker running it keeps
a heartbeat key alive, and arq's own keys tell whether it waits in the queue or was claimed.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum

from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss, in_progress_key_prefix, job_key_prefix
from arq.utils import timestamp_ms
from redis.asyncio import Redis

from models.tables import Activity

QUEUE_NAME = "connections-hub:queue"
HEARTBEAT_PREFIX = "connections-hub:run-alive:"
# A running run's worker refreshes its heartbeat this often; a heartbeat not refreshed for
# HEARTBEAT_TTL_SECONDS means the worker died (kill -9, lost node) without finishing the run.
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_TTL_SECONDS = 20.0


def run_job_id(activity_id: str) -> str:
    return f"run:{activity_id}"


def connection_test_job_id(connection_id: str) -> str:
    # One per connection: a second click while a test is queued or running adds nothing.
    return f"connection-test:{connection_id}"


class ArqDispatcher:
    """The core's Dispatcher, backed by an arq Redis pool."""

    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    async def enqueue_run(self, activity: Activity) -> None:
        await enqueue_run(self.pool, str(activity.id))

    async def abort_run(self, activity: Activity) -> None:
        await abort(self.pool, str(activity.id))

    async def enqueue_connection_test(self, connection_id: str, defer_seconds: float = 0) -> bool:
        job = await self.pool.enqueue_job(
            "test_connection",
            connection_id,
            _job_id=connection_test_job_id(connection_id),
            _queue_name=QUEUE_NAME,
            _defer_by=defer_seconds or None,
        )
        return job is not None


async def enqueue_run(pool: ArqRedis, activity_id: str) -> None:
    await pool.enqueue_job(
        "run_job", activity_id, _job_id=run_job_id(activity_id), _queue_name=QUEUE_NAME
    )


async def abort(redis: Redis, activity_id: str) -> None:
    # arq's own abort flag: a queued job is skipped, a running one is cancelled.
    await redis.zadd(abort_jobs_ss, {run_job_id(activity_id): timestamp_ms()})


class RunHolder(StrEnum):
    """Who holds a queued or running run, as Redis tells."""

    WORKER = "WORKER"  # a live worker runs it (its heartbeat is fresh)
    QUEUE = "QUEUE"  # it waits in the queue: not picked yet, or deferred for its next try
    DEAD_WORKER = "DEAD_WORKER"  # a worker claimed it and stopped beating
    NOBODY = "NOBODY"  # neither queued nor claimed: Redis lost it (restart, flush)


async def run_holder(redis: Redis, activity_id: str) -> RunHolder:
    job_id = run_job_id(activity_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.exists(HEARTBEAT_PREFIX + activity_id)
        pipe.exists(in_progress_key_prefix + job_id)
        pipe.zscore(QUEUE_NAME, job_id)
        pipe.exists(job_key_prefix + job_id)
        alive, claimed, score, stored = await pipe.execute()
    if alive:
        return RunHolder.WORKER
    if claimed:
        return RunHolder.DEAD_WORKER
    if score is not None and stored:
        return RunHolder.QUEUE
    return RunHolder.NOBODY


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@asynccontextmanager
async def heartbeat(redis: Redis, activity_id: str) -> AsyncIterator[None]:
    """Keep the run's heartbeat alive while the block runs; gone when it ends, however."""
    key = HEARTBEAT_PREFIX + activity_id

    async def beat() -> None:
        while True:
            await redis.set(key, worker_name(), px=int(HEARTBEAT_TTL_SECONDS * 1000))
            await asyncio.sleep(HEARTBEAT_SECONDS)

    await redis.set(key, worker_name(), px=int(HEARTBEAT_TTL_SECONDS * 1000))
    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
        # Shielded: an aborted run still clears its heartbeat.
        await asyncio.shield(redis.delete(key))
