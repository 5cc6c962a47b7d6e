"""Nothing is lost when a worker dies: two `connectors worker` processes, the one running a run
is killed with SIGKILL mid-run, and the other one's sweep ends that run FAILED with the reason
(never RUNNING for ever); the survivor goes on running jobs."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from models import events
from models.settings import Settings
from tests.conftest import GraphQLClient
from tests.workers.jobs import create_job, run, status_is
from tests.workers.live import eventually
from tests.workers.process import running_worker
from workers.queue import HEARTBEAT_PREFIX


async def _holder_pid(activity_id: str) -> int | None:
    """The pid of the worker process whose heartbeat holds the run (host:pid)."""
    value = await events.bus().redis.get(HEARTBEAT_PREFIX + activity_id)
    return int(value.decode().rsplit(":", 1)[1]) if value else None


async def test_a_killed_workers_run_ends_failed_and_the_other_worker_goes_on(
    admin: GraphQLClient,
    mixpanel_connection: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
) -> None:
    stalls = await create_job(admin, mixpanel_connection["id"], "test-stall")
    with (
        running_worker(settings, tmp_path / "a.log") as a,
        running_worker(settings, tmp_path / "b.log") as b,
    ):
        queued = await run(admin, stalls["id"])
        await eventually(partial(status_is, admin, queued["id"], "RUNNING"))
        pid = await eventually(partial(_holder_pid, queued["id"]))
        victim, survivor = (a, b) if pid == a.pid else (b, a)
        assert victim.pid == pid
        victim.kill()

        ended = await eventually(partial(status_is, admin, queued["id"], "FAILED"))
        assert "worker running this run stopped" in ended["error"]
        assert "Run the job again" in ended["message"]
        assert ended["finishedAt"]
        assert survivor.process.poll() is None

        quick = await create_job(admin, mixpanel_connection["id"], "test-slow")
        after = await run(admin, quick["id"])
        await eventually(partial(status_is, admin, after["id"], "SUCCEEDED"))
    # Whatever arq hands out later, the recovered run stays FAILED.
    assert (await status_is(admin, queued["id"], "FAILED")) is not None
