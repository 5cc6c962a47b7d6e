"""The refresh sweep and its arq function, run by a real arq worker in burst mode."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from arq import Worker, create_pool
from arq.connections import ArqRedis

from models import credentials
from models.services.activities import now
from models.settings import Settings
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake
from tests.oauth_flow import REDIRECT, authorize, load, point_at
from workers import refresh, runtime


@pytest.fixture
def zendesk(point_connector) -> Iterator[ZendeskFake]:
    fake = ZendeskFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "ZENDESK", fake, server.url)
        yield fake


@pytest.fixture
async def pool(app: Any, settings: Settings) -> AsyncIterator[ArqRedis]:
    # Its own pool: an arq Worker closes the pool it was given when it stops.
    url, _ = runtime.resolve_redis(settings)  # the embedded Redis already running, or the URL
    own = await create_pool(runtime.redis_settings(url))
    yield own
    await own.aclose()


@pytest.fixture
def only_long_expired(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other tests leave connections that expire soon; this sweep sees only day-old ones."""
    monkeypatch.setattr(settings, "token_refresh_margin_seconds", -12 * 3600)


async def test_sweep_enqueues_one_refresh_and_the_worker_refreshes(
    admin: GraphQLClient, zendesk: ZendeskFake, pool: ArqRedis, only_long_expired: None
) -> None:
    connection_id, page = await authorize(admin, "ZENDESK", {"subdomain": "acme"})
    assert page.status_code == 200
    before = credentials.tokens(await load(connection_id))
    await Connection.filter(id=connection_id).update(token_expires_at=now() - timedelta(days=1))
    queue = f"test-refresh:{uuid.uuid4().hex}"

    assert connection_id in await refresh.due_for_refresh()
    assert await refresh.enqueue_refreshes(pool, queue) >= 1
    # Queued already: the next sweep adds nothing, so there are never two at once.
    assert await refresh.enqueue_refreshes(pool, queue) == 0

    worker = Worker(
        functions=refresh.FUNCTIONS,
        queue_name=queue,
        redis_pool=pool,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    await worker.main()
    assert worker.jobs_complete >= 1 and worker.jobs_failed == 0

    connection = await load(connection_id)
    assert credentials.tokens(connection)["access_token"] != before["access_token"]
    assert connection.token_expires_at > now() + timedelta(hours=47)
    assert connection_id not in await refresh.due_for_refresh()
    # Done and not kept: the next sweep may queue this connection again when it is due.
    assert await pool.zcard(queue) == 0


async def test_the_arq_function_skips_what_is_not_active(admin: GraphQLClient) -> None:
    assert await refresh.refresh_connection({}, str(uuid.uuid4())) == "skipped"
