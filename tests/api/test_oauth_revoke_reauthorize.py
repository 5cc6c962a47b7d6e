"""Revoke calls the vendor and drops the tokens even when the vendor fails; reauthorize keeps
the old tokens working until the callback and refuses another account unless allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models import credentials, tokens
from tests.conftest import GraphQLClient
from tests.fakes.hubspot import HubSpotFake
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake
from tests.oauth_flow import (
    REAUTHORIZE,
    REDIRECT,
    REVOKE,
    activities_of,
    authorize,
    callback,
    consent,
    load,
    point_at,
)


@pytest.fixture
def salesforce(point_connector) -> Iterator[SalesforceFake]:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "SFDC", fake, server.url)
        yield fake


@pytest.fixture
def hubspot(point_connector) -> Iterator[HubSpotFake]:
    fake = HubSpotFake(client_id="hs-app", client_secret="hs-secret", redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "HUBSPOT", fake, server.url, revoke_url=None)
        yield fake


async def revoke(admin: GraphQLClient, connection_id: str) -> str:
    data = await admin.data(REVOKE, id=connection_id)
    assert data["revokeConnection"]["userErrors"] == []
    activity = (await activities_of(connection_id))[-1]
    assert activity.kind == "CONNECTION_REVOKED"
    return activity.message or ""


async def test_revoke_calls_rfc7009_and_drops_tokens(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    connection_id, _ = await authorize(admin, "SFDC")
    refresh = credentials.tokens(await load(connection_id))["refresh_token"]
    message = await revoke(admin, connection_id)
    assert "Salesforce revoked the refresh token" in message
    assert salesforce.oauth.refresh_tokens[refresh].revoked
    seen = [r for r in salesforce.requests if r.path == "/services/oauth2/revoke"]
    assert len(seen) == 1 and seen[0].method == "POST"
    connection = await load(connection_id)
    assert connection.status.value == "REVOKED"
    assert credentials.tokens(connection) == {} and connection.token_expires_at is None


async def test_revoke_drops_tokens_even_when_the_source_fails(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    connection_id, _ = await authorize(admin, "SFDC")
    salesforce.faults.add(503, body={"error": "unavailable"}, path="/services/oauth2/revoke")
    message = await revoke(admin, connection_id)
    assert "failed (HTTP 503)" in message and "dropped here anyway" in message
    connection = await load(connection_id)
    assert connection.status.value == "REVOKED" and credentials.tokens(connection) == {}


async def test_hubspot_revoke_deletes_the_refresh_token(
    admin: GraphQLClient, hubspot: HubSpotFake
) -> None:
    connection_id, _ = await authorize(admin, "HUBSPOT")
    refresh = credentials.tokens(await load(connection_id))["refresh_token"]
    assert "HubSpot deleted the refresh token" in await revoke(admin, connection_id)
    deleted = [r for r in hubspot.requests if r.method == "DELETE"]
    assert deleted and deleted[0].path == f"/oauth/v1/refresh-tokens/{refresh}"
    assert hubspot.oauth.refresh_tokens[refresh].revoked


async def test_zendesk_revoke_deletes_the_current_token(
    admin: GraphQLClient, point_connector
) -> None:
    fake = ZendeskFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "ZENDESK", fake, server.url)
        connection_id, _ = await authorize(admin, "ZENDESK", {"subdomain": "acme"})
        access = credentials.tokens(await load(connection_id))["access_token"]
        assert "Zendesk revoked the token" in await revoke(admin, connection_id)
    assert fake.oauth.access_tokens[access].revoked


async def test_reauthorize_keeps_old_tokens_until_the_callback(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    connection_id, _ = await authorize(admin, "SFDC")
    old = credentials.tokens(await load(connection_id))["access_token"]
    data = await admin.data(REAUTHORIZE, id=connection_id, settings=None, allow=False)
    url = data["reauthorizeConnection"]["authorizationUrl"]
    connection = await load(connection_id)
    assert connection.status.value == "ACTIVE"
    assert await tokens.access_token(connection) == old
    assert salesforce.oauth.check_token(old)[1] == "ok"
    page = await callback(admin.http, await consent(url))
    assert page.status_code == 200, page.text
    connection = await load(connection_id)
    assert await tokens.access_token(connection) != old
    kinds = [(a.kind, a.status) for a in await activities_of(connection_id)]
    assert ("CONNECTION_REAUTHORIZED", "SUCCEEDED") in kinds


async def test_reauthorize_refuses_another_account_unless_allowed(
    admin: GraphQLClient, hubspot: HubSpotFake
) -> None:
    connection_id, _ = await authorize(admin, "HUBSPOT")
    old = credentials.tokens(await load(connection_id))["access_token"]
    hubspot.portal.hub_id = 99999  # the user logs in to another portal

    data = await admin.data(REAUTHORIZE, id=connection_id, settings=None, allow=False)
    page = await callback(
        admin.http, await consent(data["reauthorizeConnection"]["authorizationUrl"])
    )
    assert page.status_code == 400
    assert "another HubSpot account" in page.text and "allowAccountChange" in page.text
    connection = await load(connection_id)
    assert connection.source_account == "62515"
    assert credentials.tokens(connection)["access_token"] == old

    data = await admin.data(REAUTHORIZE, id=connection_id, settings=None, allow=True)
    page = await callback(
        admin.http, await consent(data["reauthorizeConnection"]["authorizationUrl"])
    )
    assert page.status_code == 200, page.text
    assert (await load(connection_id)).source_account == "99999"
