"""The connection-test sweep and the worker's side of a test: which connections are due, how
the sweep spreads them, the arq task against the fakes, the generic probe, lost tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from arq.constants import job_key_prefix

from models import events
from models.actors import SYSTEM
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus
from models.services import activities, connection_tests
from models.settings import Settings
from models.tables import Activity, Connection
from tests.api.conftest import create
from tests.api.documents import MIXPANEL_SETTINGS
from tests.conftest import GraphQLClient
from tests.fakes.mixpanel import MixpanelFake
from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake
from tests.oauth_flow import REDIRECT, authorize, load, point_at
from workers import connection_tests as worker_tests
from workers.queue import QUEUE_NAME, connection_test_job_id

DAY = timedelta(days=1)


@pytest.fixture
def zendesk(point_connector: Any) -> Iterator[ZendeskFake]:
    fake = ZendeskFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "ZENDESK", fake, server.url)
        yield fake


async def quiet_mixpanel(admin: GraphQLClient, name: str, *, quiet_for: timedelta) -> str:
    """A Mixpanel connection authorized `quiet_for` ago, with nothing done since."""
    payload = await create(admin, "MIXPANEL", name, MIXPANEL_SETTINGS)
    assert payload["userErrors"] == [], payload["userErrors"]
    connection_id = payload["connection"]["id"]
    long_ago = activities.now() - quiet_for
    await Connection.filter(id=connection_id).update(authorized_at=long_ago)
    await Activity.filter(connection_id=connection_id).update(created_at=long_ago)
    return str(connection_id)


async def happened(connection_id: str, kind: ActivityKind, ago: timedelta) -> None:
    connection = await Connection.get(id=connection_id)
    activity = await activities.record(
        kind, tenant=connection.tenant, actor=SYSTEM, connection=connection
    )
    await Activity.filter(id=activity.id).update(created_at=activities.now() - ago)


async def forget_queued(connection_ids: list[str]) -> None:
    """No worker of a later test should find these in the shared queue."""
    redis = events.bus().redis
    for connection_id in connection_ids:
        await redis.zrem(QUEUE_NAME, connection_test_job_id(connection_id))
        await redis.delete(job_key_prefix + connection_test_job_id(connection_id))


async def test_the_sweep_tests_only_quiet_active_connections_spread_over_the_minute(
    admin: GraphQLClient, mixpanel: MixpanelFake, settings: Settings
) -> None:
    quiet = [await quiet_mixpanel(admin, f"Quiet {i}", quiet_for=2 * DAY) for i in range(3)]
    used = await quiet_mixpanel(admin, "Used", quiet_for=2 * DAY)
    await happened(used, ActivityKind.JOB_RUN, timedelta(hours=3))
    tested = await quiet_mixpanel(admin, "Tested", quiet_for=2 * DAY)
    await happened(tested, ActivityKind.CONNECTION_TESTED, timedelta(hours=20))
    revoked = await quiet_mixpanel(admin, "Revoked", quiet_for=2 * DAY)
    await Connection.filter(id=revoked).update(status=ConnectionStatus.REVOKED)
    fresh = await quiet_mixpanel(admin, "Saved an hour ago", quiet_for=timedelta(hours=1))
    segment = (await create(admin, "SEGMENT_IO", "Segment"))["connection"]["id"]
    await Connection.filter(id=segment).update(authorized_at=activities.now() - 2 * DAY)

    due = {str(c.id) for c in await connection_tests.due_for_test(activities.now() - DAY, 10**6)}
    assert set(quiet) <= due
    assert due.isdisjoint({used, tested, revoked, fresh, segment})

    assert settings.connection_test_interval_hours == 24
    try:
        assert await worker_tests.sweep_connection_tests({}) >= 3
        queued = await Activity.filter(
            connection_id__in=quiet, kind=ActivityKind.CONNECTION_TESTED
        ).order_by("created_at")
        assert [(a.status, a.actor) for a in queued] == [(ActivityStatus.QUEUED, SYSTEM)] * 3
        redis = events.bus().redis
        starts = [await redis.zscore(QUEUE_NAME, connection_test_job_id(c)) for c in quiet]
        assert None not in starts
        assert len(set(starts)) == 3  # not all at the same moment...
        assert max(starts) - min(starts) <= worker_tests.SWEEP_SPREAD_SECONDS * 1000  # ...nor late
        # Queued now, so the next sweep leaves them alone.
        again = await connection_tests.due_for_test(activities.now() - DAY, 10**6)
        assert set(quiet).isdisjoint(str(c.id) for c in again)

        # What the worker then does with one of them, against the Mixpanel fake.
        assert await worker_tests.test_connection({}, quiet[0]) == "SUCCEEDED"
        done = await Activity.get(id=queued[0].id)
        assert done.status is ActivityStatus.SUCCEEDED and done.actor == SYSTEM
        assert done.details["test"]["call"] == "check"
        assert await worker_tests.test_connection({}, quiet[0]) == "nothing to test"
    finally:
        await forget_queued(quiet)


async def test_the_sweep_is_off_at_zero_hours(
    admin: GraphQLClient,
    mixpanel: MixpanelFake,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
) -> None:
    await quiet_mixpanel(admin, "Quiet", quiet_for=2 * DAY)
    monkeypatch.setattr(settings, "connection_test_interval_hours", 0)
    assert await worker_tests.sweep_connection_tests({}) == 0


async def test_an_oauth_source_without_a_check_is_probed_with_one_page(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    connection_id, _ = await authorize(admin, "ZENDESK", {"subdomain": "acme"})
    seen = await worker_tests.probe(await load(connection_id))
    assert seen.details["call"] == "read"
    assert seen.details["object"] == "tickets"
    assert seen.message.startswith("Zendesk answered a read of tickets")


async def test_a_lost_test_is_ended_and_the_next_click_starts_a_new_one(
    admin: GraphQLClient, mixpanel: MixpanelFake
) -> None:
    connection_id = await quiet_mixpanel(admin, "Lost", quiet_for=timedelta(0))
    connection = await Connection.get(id=connection_id)
    lost = await connection_tests.queue_test(connection, "admin@x")
    await forget_queued([connection_id])  # as when Redis is emptied
    long_ago = activities.now() - connection_tests.LOST_AFTER - timedelta(seconds=1)
    await Activity.filter(id=lost.id).update(updated_at=long_ago)

    try:
        again = await connection_tests.queue_test(connection, "admin@x")
        assert again.id != lost.id and again.status is ActivityStatus.QUEUED
        ended = await Activity.get(id=lost.id)
        assert ended.status is ActivityStatus.FAILED
        assert "lost" in (ended.error or "")
    finally:
        await forget_queued([connection_id])
