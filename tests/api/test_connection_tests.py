"""testConnection through GraphQL, carried out by an arq worker (the real worker settings, in
this process as `connectors dev` runs it) against the vendor fakes over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import pytest
from arq import create_pool

from models import events
from models.settings import Settings
from tests.api.conftest import create
from tests.api.documents import MIXPANEL_SETTINGS
from tests.conftest import GraphQLClient
from tests.fakes.mixpanel import MixpanelFake
from tests.fakes.salesforce import ORG_ID, SalesforceFake
from tests.fakes.server import FakeServer
from tests.oauth_flow import REDIRECT, activities_of, authorize, load, point_at
from tests.workers.live import eventually, serve, subscribe
from workers import main
from workers.runtime import Runtime, redis_settings, resolve_redis

TEST_CONNECTION = """
mutation($id: ID!) {
  testConnection(id: $id) {
    activity { id kind status actor message error connection { id } }
    userErrors { code message }
  }
}"""
ACTIVITY = """
query($id: ID!) {
  activity(id: $id) { id kind status actor message error startedAt finishedAt }
}"""
CONNECTION = """
query($id: ID!) { connection(id: $id) { id status hasRecentFailures recentFailureCount } }
"""
CONNECTION_UPDATES = """
subscription($connectionId: ID) {
  connectionUpdates(connectionId: $connectionId) { id status hasRecentFailures }
}"""
FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")


@pytest.fixture(scope="module")
async def worker(app: Any, settings: Settings) -> AsyncIterator[None]:
    """The worker `connectors dev` runs: every function and cron of WorkerSettings, sharing
    this process's settings (so the per-test fake addresses reach it). The daily sweep is
    off here (tests/workers covers it), so it tests nobody else's connections meanwhile."""
    interval = settings.connection_test_interval_hours
    settings.connection_test_interval_hours = 0
    url, _ = resolve_redis(settings)
    pool = await create_pool(redis_settings(url))
    shared = Runtime(settings=settings, redis=events.bus().redis, arq=pool, redis_url=url)
    worker = main.InProcessWorker(settings, shared)
    worker.start()
    yield
    await worker.stop()
    await pool.aclose()
    settings.connection_test_interval_hours = interval


@pytest.fixture(scope="module")
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


@pytest.fixture
def salesforce(point_connector: Any) -> Iterator[SalesforceFake]:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "SFDC", fake, server.url)
        yield fake


async def ask_for_test(client: GraphQLClient, connection_id: str) -> dict[str, Any]:
    payload = (await client.data(TEST_CONNECTION, id=connection_id))["testConnection"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["activity"]


async def finished(client: GraphQLClient, activity_id: str) -> dict[str, Any] | None:
    row = (await client.data(ACTIVITY, id=activity_id))["activity"]
    return row if row["status"] in FINISHED else None


async def outcome_of_test(client: GraphQLClient, connection_id: str) -> dict[str, Any]:
    queued = await ask_for_test(client, connection_id)
    assert (queued["kind"], queued["status"]) == ("CONNECTION_TESTED", "QUEUED")
    return await eventually(partial(finished, client, queued["id"]))


async def test_a_key_based_connection_passes(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any], worker: None
) -> None:
    done = await outcome_of_test(admin, mixpanel_connection["id"])
    assert done["status"] == "SUCCEEDED", done
    assert done["actor"] == "admin@x"
    assert done["message"] == "Mixpanel accepted the credentials (project 3141592)."
    assert done["startedAt"] <= done["finishedAt"]
    shown = (await admin.data(CONNECTION, id=mixpanel_connection["id"]))["connection"]
    assert (shown["status"], shown["hasRecentFailures"]) == ("ACTIVE", False)


async def test_a_refused_key_fails_the_test_raises_the_flag_and_is_seen_live(
    admin: GraphQLClient, mixpanel: MixpanelFake, worker: None, ws_url: str
) -> None:
    settings = {**MIXPANEL_SETTINGS, "service_account_username": "svc.deleted-later"}
    mixpanel.add_service_account("svc.deleted-later", MIXPANEL_SETTINGS["service_account_secret"])
    connection = (await create(admin, "MIXPANEL", "Analytics", settings))["connection"]
    del mixpanel.service_accounts["svc.deleted-later"]  # an admin removed it in Mixpanel

    async with subscribe(
        ws_url, admin.token, admin.tenant, CONNECTION_UPDATES, connectionId=connection["id"]
    ) as updates:
        done = await outcome_of_test(admin, connection["id"])
        flagged = (await updates.next())["connectionUpdates"]

    assert done["status"] == "FAILED", done
    assert "Unable to authenticate request" in done["error"]
    assert MIXPANEL_SETTINGS["service_account_secret"] not in str(done)
    assert (flagged["id"], flagged["hasRecentFailures"]) == (connection["id"], True)
    shown = (await admin.data(CONNECTION, id=connection["id"]))["connection"]
    # A key is not an authorization: the connection stays ACTIVE, flagged, until it is fixed.
    assert (shown["status"], shown["recentFailureCount"]) == ("ACTIVE", 1)


async def test_an_oauth_connection_passes_with_its_org(
    admin: GraphQLClient, salesforce: SalesforceFake, worker: None
) -> None:
    connection_id, _ = await authorize(admin, "SFDC", {"environment": "production"})
    salesforce.oauth.expire_access_token()  # the test gets a fresh token through a refresh

    done = await outcome_of_test(admin, connection_id)
    assert done["status"] == "SUCCEEDED", done
    assert done["message"] == f"Salesforce lists 3 objects. Account: {ORG_ID}."
    refreshes = [r for r in salesforce.oauth.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1


async def test_a_revoked_grant_makes_the_connection_need_reauthorization(
    admin: GraphQLClient, salesforce: SalesforceFake, worker: None
) -> None:
    connection_id, _ = await authorize(admin, "SFDC", {"environment": "production"})
    salesforce.oauth.revoke_grant()  # the user removed the app at Salesforce

    done = await outcome_of_test(admin, connection_id)
    assert done["status"] == "FAILED", done
    assert "Authorize the connection again" in done["message"]
    shown = (await admin.data(CONNECTION, id=connection_id))["connection"]
    assert (shown["status"], shown["hasRecentFailures"]) == ("NEEDS_REAUTHORIZATION", True)
    # The same path as a refused refresh: its FAILED TOKEN_REFRESH activity says so too.
    kinds = [(a.kind.value, a.status.value) for a in await activities_of(connection_id)]
    assert {("TOKEN_REFRESH", "FAILED"), ("CONNECTION_TESTED", "FAILED")} <= set(kinds)
    again = (await admin.data(TEST_CONNECTION, id=connection_id))["testConnection"]
    assert again["userErrors"][0]["code"] == "INVALID_STATE"


async def test_credentials_refused_after_a_refresh_need_reauthorization(
    admin: GraphQLClient, salesforce: SalesforceFake, worker: None
) -> None:
    connection_id, _ = await authorize(admin, "SFDC", {"environment": "production"})
    invalid = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    salesforce.faults.add(401, invalid, path="/sobjects", times=2)

    done = await outcome_of_test(admin, connection_id)
    assert done["status"] == "FAILED", done
    assert "Session expired or invalid" in done["error"]
    assert (await load(connection_id)).status.value == "NEEDS_REAUTHORIZATION"


async def test_a_second_click_answers_with_the_queued_test(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any], worker: None
) -> None:
    clicks = await asyncio.gather(
        *(ask_for_test(admin, mixpanel_connection["id"]) for _ in range(3))
    )
    assert len({c["id"] for c in clicks}) == 1
    await eventually(partial(finished, admin, clicks[0]["id"]))
    # Once it has finished, a click starts a new test.
    assert (await ask_for_test(admin, mixpanel_connection["id"]))["id"] != clicks[0]["id"]


async def test_only_an_admin_of_the_tenant_may_test(
    admin: GraphQLClient,
    viewer: GraphQLClient,
    other_tenant: GraphQLClient,
    mixpanel_connection: dict[str, Any],
) -> None:
    connection_id = mixpanel_connection["id"]
    foreign = (await other_tenant.data(TEST_CONNECTION, id=connection_id))["testConnection"]
    assert foreign["activity"] is None
    assert foreign["userErrors"][0]["code"] == "NOT_FOUND"
    refused = await viewer.execute(TEST_CONNECTION, id=connection_id)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "CONNECTION_TESTED" not in {a.kind.value for a in await activities_of(connection_id)}


async def test_an_inbound_connection_answers_without_calling_out(admin: GraphQLClient) -> None:
    connection = (await create(admin, "SEGMENT_IO", "Segment"))["connection"]
    done = await ask_for_test(admin, connection["id"])
    assert (done["kind"], done["status"]) == ("CONNECTION_TESTED", "SUCCEEDED")
    assert "nothing to call" in done["message"]
    assert "No delivery has arrived yet" in done["message"]
