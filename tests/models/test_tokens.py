"""models.tokens against real fakes: refresh ahead of expiry, rotation, invalid_grant,
transient failures, and two refreshers racing for one connection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from models import credentials, tokens
from models.services.activities import now
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.oauth import VendorFake
from tests.fakes.oauth_vendors import vendor_fake
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake
from tests.oauth_flow import REDIRECT, activities_of, authorize, load, point_at


@pytest.fixture
def zendesk(point_connector) -> Iterator[ZendeskFake]:
    fake = ZendeskFake(redirect_uri=REDIRECT, rotate_refresh=True)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "ZENDESK", fake, server.url)
        yield fake


async def active(
    admin: GraphQLClient, key: str = "ZENDESK", form: dict[str, str] | None = None
) -> Connection:
    connection_id, page = await authorize(
        admin, key, {"subdomain": "acme"} if form is None else form
    )
    assert page.status_code == 200, page.text
    return await load(connection_id)


def counted(outcome: str, connector: str = "ZENDESK") -> float:
    """How many refreshes the Prometheus counter has seen with this outcome."""
    labels = {"outcome": outcome, "connector": connector}
    return REGISTRY.get_sample_value("connectors_token_refreshes_total", labels) or 0.0


def refreshes(fake: VendorFake) -> int:
    return sum(r.get("grant_type") == "refresh_token" for r in fake.oauth.token_requests)


async def expire_soon(connection: Connection) -> None:
    await Connection.filter(id=connection.id).update(token_expires_at=now() + timedelta(minutes=1))
    await connection.refresh_from_db()


async def test_access_token_refreshes_ahead_of_expiry_with_rotation(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    connection = await active(admin)
    before = credentials.tokens(connection)
    assert await tokens.access_token(connection) == before["access_token"]  # not due yet
    assert refreshes(zendesk) == 0

    await expire_soon(connection)
    succeeded_before = counted("succeeded")
    token = await tokens.access_token(connection)

    assert counted("succeeded") == succeeded_before + 1
    after = credentials.tokens(connection)
    assert token == after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]  # rotated, and kept
    assert zendesk.oauth.refresh_tokens[before["refresh_token"]].revoked
    assert connection.token_expires_at > now() + timedelta(hours=47)
    assert connection.status.value == "ACTIVE" and refreshes(zendesk) == 1


async def test_refresh_keeps_the_refresh_token_when_none_comes_back(
    admin: GraphQLClient, point_connector
) -> None:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "SFDC", fake, server.url)
        connection = await active(admin, "SFDC", {"environment": "production"})
        before = credentials.tokens(connection)
        await tokens.refresh(connection, force=True)  # what a source client does on a 401
    after = credentials.tokens(connection)
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert tokens.token_extras(connection) == {"instance_url": server.url}


async def test_invalid_grant_needs_reauthorization(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    connection = await active(admin)
    zendesk.oauth.disable_user()
    refused_before = counted("refused")
    with pytest.raises(tokens.ReauthorizationRequired):
        await tokens.refresh(connection, force=True)
    assert counted("refused") == refused_before + 1
    connection = await load(str(connection.id))
    assert connection.status.value == "NEEDS_REAUTHORIZATION"
    failed = [a for a in await activities_of(str(connection.id)) if a.kind == "TOKEN_REFRESH"]
    assert [(a.status, a.actor) for a in failed] == [("FAILED", "system")]
    assert "invalid_grant" in (failed[0].error or "")
    with pytest.raises(tokens.ReauthorizationRequired):
        await tokens.access_token(connection)


async def test_zoho_invalid_code_is_for_good_too(admin: GraphQLClient, point_connector) -> None:
    fake = vendor_fake("ZOHO", "zoho-app", "zoho-app-secret")
    with FakeServer(fake.app) as server:
        point_at(point_connector, "ZOHO", fake, server.url)
        connection = await active(admin, "ZOHO", {"data_centre": "eu"})
        fake.oauth.revoke_grant()
        with pytest.raises(tokens.ReauthorizationRequired):
            await tokens.refresh(connection, force=True)
    assert (await load(str(connection.id))).status.value == "NEEDS_REAUTHORIZATION"


async def test_transient_failure_keeps_the_connection_active(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    connection = await active(admin)
    before = credentials.tokens(connection)
    zendesk.faults.add(503, body="Service Unavailable", path="/oauth/tokens")
    failed_before = counted("failed")
    with pytest.raises(tokens.TokenUnavailable):
        await tokens.refresh(connection, force=True)
    assert counted("failed") == failed_before + 1
    # Not yet expired: the current token is still handed out while the sweep retries.
    await expire_soon(connection)
    zendesk.faults.add(429, body="Too Many Requests", path="/oauth/tokens")
    assert await tokens.access_token(connection) == before["access_token"]
    connection = await load(str(connection.id))
    assert connection.status.value == "ACTIVE"
    assert credentials.tokens(connection) == before
    assert not [a for a in await activities_of(str(connection.id)) if a.status == "FAILED"]


async def test_two_refreshers_race_and_only_one_reaches_the_vendor(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    connection = await active(admin)
    first, second = await load(str(connection.id)), await load(str(connection.id))
    # Both read the same credential version; the Redis lock lets one through to the vendor,
    # and the other, once it gets the lock, sees the new version and uses those tokens.
    results = await asyncio.gather(
        tokens.refresh(first, force=True), tokens.refresh(second, force=True)
    )
    assert refreshes(zendesk) == 1
    winners = {credentials.tokens(c)["access_token"] for c in results}
    assert len(winners) == 1
    assert (
        first.credential_version == second.credential_version == connection.credential_version + 1
    )


async def test_invalid_grant_after_another_worker_rotated_is_not_a_failure(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    connection = await active(admin)
    stale = await load(str(connection.id))
    # Our refresh meets invalid_grant slowly; meanwhile another worker stores new tokens.
    body = {"error": "invalid_grant", "error_description": "The refresh token is revoked"}
    zendesk.faults.add(400, body=body, path="/oauth/tokens", delay=0.5)
    racing = asyncio.create_task(tokens.refresh(stale, force=True))
    await asyncio.sleep(0.2)
    winner = await load(str(connection.id))
    fresh = zendesk.oauth.issue_tokens()
    await credentials.replace_if_version(
        winner,
        winner.credential_version,
        tokens.sealed_grant(
            winner, {"access_token": fresh.access_token, "refresh_token": fresh.refresh_token}, {}
        ),
    )
    result = await racing
    assert result.status.value == "ACTIVE"
    assert credentials.tokens(result)["access_token"] == fresh.access_token
    assert not [a for a in await activities_of(str(connection.id)) if a.status == "FAILED"]


async def test_connectors_without_refresh_tokens_just_return_the_token(
    admin: GraphQLClient, point_connector
) -> None:
    fake = vendor_fake("INTERCOM", "intercom-app", "intercom-app-secret")
    with FakeServer(fake.app) as server:
        point_at(point_connector, "INTERCOM", fake, server.url)
        connection = await active(admin, "INTERCOM", {})
        token = credentials.tokens(connection)["access_token"]
        assert await tokens.refresh(connection, force=True) is connection
        assert await tokens.access_token(connection) == token
    assert connection.token_expires_at is None
