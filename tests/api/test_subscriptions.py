"""Live activity over graphql-transport-ws, from uvicorn on a loopback port, while
`connectors worker` runs the jobs in another process: every change, per tenant, filtered, and
caught up after a reconnect with `since`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from models.settings import Settings
from tests.api.documents import REVOKE_CONNECTION
from tests.conftest import GraphQLClient
from tests.workers.jobs import FINISHED, create_job, run, status_is
from tests.workers.live import PROTOCOL, eventually, serve, subscribe
from tests.workers.process import WorkerProcess, running_worker

ACTIVITY_UPDATES = """
subscription Updates($connectionId: ID, $jobId: ID, $since: DateTime) {
  activityUpdates(connectionId: $connectionId, jobId: $jobId, since: $since) {
    id kind status recordsRead updatedAt job { id }
  }
}
"""

CONNECTION_UPDATES = """
subscription Updates($connectionId: ID, $since: DateTime) {
  connectionUpdates(connectionId: $connectionId, since: $since) {
    id status hasRecentFailures recentFailureCount
  }
}
"""


@pytest.fixture(scope="module")
def worker(
    app: Any, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    log = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    with running_worker(settings, log) as process:
        yield process


@pytest.fixture(scope="module")
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


@pytest.fixture
async def connection_id(mixpanel_connection: dict[str, Any], worker: WorkerProcess) -> str:
    return mixpanel_connection["id"]


async def test_a_run_is_seen_live_from_queued_to_succeeded(
    admin: GraphQLClient, connection_id: str, ws_url: str
) -> None:
    job = await create_job(admin, connection_id, "test-slow")
    async with subscribe(
        ws_url, admin.token, admin.tenant, ACTIVITY_UPDATES, jobId=job["id"]
    ) as updates:
        queued = await run(admin, job["id"])
        seen = [await updates.next()]
        while seen[-1]["activityUpdates"]["status"] not in FINISHED:
            seen.append(await updates.next())
    statuses = [s["activityUpdates"]["status"] for s in seen]
    assert statuses == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert {s["activityUpdates"]["id"] for s in seen} == {queued["id"]}


async def test_a_subscriber_never_sees_another_tenants_activity(
    admin: GraphQLClient, other_tenant: GraphQLClient, connection_id: str, ws_url: str
) -> None:
    job = await create_job(admin, connection_id, "test-slow")
    mine = partial(subscribe, ws_url, admin.token, admin.tenant, ACTIVITY_UPDATES)
    theirs = partial(subscribe, ws_url, other_tenant.token, other_tenant.tenant, ACTIVITY_UPDATES)
    async with mine() as own, theirs() as other, theirs(connectionId=connection_id) as prying:
        queued = await run(admin, job["id"])
        assert (await own.next())["activityUpdates"]["id"] == queued["id"]
        await eventually(partial(status_is, admin, queued["id"], "SUCCEEDED"))
        await other.nothing_for(0.3)
        await prying.nothing_for(0.1)


async def test_filters_by_connection_and_by_job(
    admin: GraphQLClient, connection_id: str, ws_url: str
) -> None:
    watched = await create_job(admin, connection_id, "test-slow", name="Watched")
    ignored = await create_job(admin, connection_id, "test-slow", name="Ignored")
    by_job = partial(subscribe, ws_url, admin.token, admin.tenant, ACTIVITY_UPDATES)
    async with (
        by_job(jobId=watched["id"]) as job_updates,
        by_job(connectionId="no-such-connection") as none_updates,
    ):
        await run(admin, ignored["id"])
        wanted = await run(admin, watched["id"])
        update = (await job_updates.next())["activityUpdates"]
        assert (update["id"], update["job"]["id"]) == (wanted["id"], watched["id"])
        await none_updates.nothing_for(0.2)


async def test_a_reconnecting_client_gets_what_it_missed_then_goes_live(
    admin: GraphQLClient, connection_id: str, ws_url: str
) -> None:
    job = await create_job(admin, connection_id, "test-slow")
    subscribe_again = partial(
        subscribe, ws_url, admin.token, admin.tenant, ACTIVITY_UPDATES, jobId=job["id"]
    )
    async with subscribe_again() as first:
        missed = await run(admin, job["id"])
        last_seen = (await first.next())["activityUpdates"]  # QUEUED, then the client drops
    assert last_seen["status"] == "QUEUED"
    await eventually(partial(status_is, admin, missed["id"], "SUCCEEDED"))

    async with subscribe_again(since=last_seen["updatedAt"]) as again:
        caught_up = (await again.next())["activityUpdates"]
        assert (caught_up["id"], caught_up["status"]) == (missed["id"], "SUCCEEDED")
        live = await run(admin, job["id"])
        after = [(await again.next())["activityUpdates"] for _ in range(3)]
        assert [(u["id"], u["status"]) for u in after] == [
            (live["id"], "QUEUED"),
            (live["id"], "RUNNING"),
            (live["id"], "SUCCEEDED"),
        ]
        await again.nothing_for(0.3)  # nothing twice


async def test_connection_updates_carry_status_and_the_failure_flag(
    admin: GraphQLClient, connection_id: str, ws_url: str
) -> None:
    started = datetime.now(UTC).isoformat()
    job = await create_job(admin, connection_id, "test-broken")
    async with subscribe(
        ws_url, admin.token, admin.tenant, CONNECTION_UPDATES, connectionId=connection_id
    ) as updates:
        await run(admin, job["id"])
        flagged = (await updates.next())["connectionUpdates"]
        assert (flagged["hasRecentFailures"], flagged["recentFailureCount"]) == (True, 1)
        await admin.data(REVOKE_CONNECTION, id=connection_id)
        assert (await updates.next())["connectionUpdates"]["status"] == "REVOKED"

    async with subscribe(
        ws_url, admin.token, admin.tenant, CONNECTION_UPDATES, since=started
    ) as replay:
        caught_up = (await replay.next())["connectionUpdates"]
        assert (caught_up["id"], caught_up["status"]) == (connection_id, "REVOKED")
        assert caught_up["recentFailureCount"] == 1
        await replay.nothing_for(0.2)


async def test_a_subscription_without_a_valid_token_is_refused(ws_url: str) -> None:
    async with connect(ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": "Bearer not-a-token"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
