"""The arq worker: its settings built from ours, `connectors worker`, and the in-process worker
that `connectors dev` runs inside the API.

Background work registers here, in the two lists below: add the module's functions and
cron jobs to them (as `workers.refresh` is). Both are read when a worker is built, so anything
appended before then is served too.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import warnings
from typing import Any

from arq import Worker, cron, func
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function
from redis.exceptions import ConnectionError as RedisConnectionError

from models.logging import get_logger
from models.services import runs
from models.settings import Settings
from workers import connection_tests, refresh, runtime, tasks
from workers.queue import QUEUE_NAME
from workers.runtime import Runtime

log = get_logger(__name__)

FUNCTIONS: list[Function | WorkerCoroutine] = [
    # arq counts a try per hand-out, a killed worker's included; `runs` decides when to stop,
    # this only keeps arq from giving up first.
    func(tasks.run_job, name="run_job", max_tries=runs.MAX_TRIES + 2),
    *refresh.FUNCTIONS,
    *connection_tests.FUNCTIONS,
]
# Periodic work besides the scheduler and the stale-run sweep, which are always there.
CRON_JOBS: list[CronJob] = [*refresh.CRON_JOBS, *connection_tests.CRON_JOBS]

# On SIGTERM a worker stops taking jobs and lets running ones finish for this long before it
# cancels them (arq re-queues those). Below the 360 s terminationGracePeriodSeconds of the
# worker Deployment, so Kubernetes never has to SIGKILL it.
SHUTDOWN_GRACE_SECONDS = 330
JOB_TIMEOUT_SECONDS = 6 * 3600
MAX_JOBS = 10
# Test-only: a module imported when the worker starts (tests/workers/hooks.py), so a test
# can make runs stall or fail in a worker that runs in another process.
TEST_HOOK_ENV = "CONNECTORS_WORKER_TEST_HOOK"


def cron_jobs() -> list[CronJob]:
    return [
        cron(tasks.schedule_tick, second=_every(tasks.SCHEDULE_EVERY_SECONDS), max_tries=1),
        cron(tasks.sweep_stale_runs, second=_every(tasks.SWEEP_EVERY_SECONDS), max_tries=1),
        *CRON_JOBS,
    ]


def worker_settings(settings: Settings, *, shared: Runtime | None = None) -> dict[str, Any]:
    """arq worker settings; `shared`: the runtime of the API this worker runs inside."""
    redis_url = shared.redis_url if shared else settings.redis_url
    if not redis_url:
        raise ValueError("Resolve the Redis URL first (workers.runtime.resolve_redis).")

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = shared or await runtime.startup(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if shared is None and "runtime" in ctx:
            await runtime.shutdown(ctx["runtime"])

    return {
        "functions": list(FUNCTIONS),
        "cron_jobs": cron_jobs(),
        "queue_name": QUEUE_NAME,
        "redis_settings": runtime.redis_settings(redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "allow_abort_jobs": True,
        "job_completion_wait": SHUTDOWN_GRACE_SECONDS,
        "job_timeout": JOB_TIMEOUT_SECONDS,
        "max_jobs": MAX_JOBS,
        "keep_result": 3600,
        "health_check_interval": 30,
    }


def run_worker(settings: Settings) -> None:
    """`connectors worker`: one arq worker until SIGTERM or SIGINT."""
    _load_test_hook()
    url, embedded = runtime.resolve_redis(settings)
    settings = settings.model_copy(update={"redis_url": url})
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        Worker(**worker_settings(settings)).run()
    finally:
        loop.close()
        if embedded is not None:
            embedded.stop()


class InProcessWorker:
    """A worker inside the API process (`connectors dev`), sharing the API's runtime."""

    def __init__(self, settings: Settings, shared: Runtime) -> None:
        self.worker = Worker(**worker_settings(settings, shared=shared), handle_signals=False)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.worker.async_run())

    async def stop(self) -> None:
        try:
            with warnings.catch_warnings():
                # arq closes its pool with redis' deprecated close(); nothing of ours to change.
                warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
                await self.worker.close()
        except RedisConnectionError as exc:
            # Ctrl+C reaches the embedded Redis too (same process group); the app still stops.
            log.warning("Redis was gone before the in-process worker closed", error=str(exc))
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def _every(seconds: int) -> set[int]:
    return set(range(0, 60, max(1, seconds)))


def _load_test_hook() -> None:
    name = os.environ.get(TEST_HOOK_ENV)
    if name:
        log.warning("loading a test hook into this worker", module=name)
        importlib.import_module(name)
