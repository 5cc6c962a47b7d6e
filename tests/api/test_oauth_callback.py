"""/oauth/callback under attack and failure: replay, forged or foreign state, expiry, denial
with script in it, a refused code, an unreachable source; none of them changes the connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from models.authorization import sign_state
from models.services.activities import now
from models.tables import OAuthState
from tests.conftest import GraphQLClient
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer
from tests.oauth_flow import REDIRECT, activities_of, callback, consent, create, load, point_at


@pytest.fixture
def salesforce(point_connector) -> Iterator[tuple[SalesforceFake, FakeServer]]:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "SFDC", fake, server.url)
        yield fake, server


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


async def failures(connection_id: str) -> list[str]:
    return [a.error or "" for a in await activities_of(connection_id) if a.status == "FAILED"]


def assert_page(page, status: int, *words: str) -> None:
    assert page.status_code == status, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "location" not in page.headers
    assert page.headers["cache-control"] == "no-store"
    for word in words:
        assert word in page.text, page.text


async def test_a_state_is_accepted_once(admin: GraphQLClient, salesforce) -> None:
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url)
    assert_page(await callback(admin.http, location), 200, "Connection authorized")
    replay = await callback(admin.http, location)
    assert_page(replay, 400, "already used")
    connection = await load(started.connection_id)
    assert connection.status.value == "ACTIVE"
    assert any("already used" in e for e in await failures(started.connection_id))


async def test_a_tampered_state_is_refused_and_nothing_changes(
    admin: GraphQLClient, salesforce
) -> None:
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url)
    state = state_of(location)
    tampered = location.replace(state, state[:-1] + ("0" if state[-1] != "0" else "1"))
    assert_page(await callback(admin.http, tampered), 400, "not valid")
    assert (await load(started.connection_id)).status.value == "PENDING_AUTHORIZATION"
    # The real state still works: a forged one did not burn it.
    assert_page(await callback(admin.http, location), 200)


async def test_another_tenants_state_is_refused(
    admin: GraphQLClient, other_tenant: GraphQLClient, salesforce
) -> None:
    mine = await create(admin, "SFDC")
    theirs = await create(other_tenant, "SFDC")
    their_state = state_of(theirs.authorization_url).split(".")[0]
    row = await OAuthState.get(id=their_state)
    # A signature made for my tenant and connection does not fit their state row.
    forged = f"{their_state}.{sign_state(their_state, admin.tenant, mine.connection_id, row.user)}"
    page = await admin.http.get("/oauth/callback?" + urlencode({"code": "x", "state": forged}))
    assert_page(page, 400, "not valid")
    assert (await load(theirs.connection_id)).status.value == "PENDING_AUTHORIZATION"
    assert (await load(mine.connection_id)).status.value == "PENDING_AUTHORIZATION"


async def test_an_expired_state_is_refused(admin: GraphQLClient, salesforce) -> None:
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url)
    state_id = state_of(location).split(".")[0]
    await OAuthState.filter(id=state_id).update(expires_at=now() - timedelta(seconds=1))
    assert_page(await callback(admin.http, location), 400, "expired")
    assert (await load(started.connection_id)).status.value == "PENDING_AUTHORIZATION"
    assert any("expired" in e for e in await failures(started.connection_id))


async def test_denied_with_script_in_the_description_is_escaped(
    admin: GraphQLClient, salesforce
) -> None:
    started = await create(admin, "SFDC")
    state = state_of(started.authorization_url)
    script = '<script>alert("x")</script>'
    query = urlencode({"error": "access_denied", "error_description": script, "state": state})
    page = await admin.http.get(f"/oauth/callback?{query}")
    assert_page(page, 400, "access was denied", "&lt;script&gt;")
    assert "<script>" not in page.text
    assert (await load(started.connection_id)).status.value == "PENDING_AUTHORIZATION"
    recorded = await failures(started.connection_id)
    assert recorded and "access was denied" in recorded[0]


async def test_deny_at_the_consent_page(admin: GraphQLClient, salesforce) -> None:
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url, allow=False)
    assert_page(await callback(admin.http, location), 400, "denied")
    assert (await load(started.connection_id)).status.value == "PENDING_AUTHORIZATION"


async def test_a_refused_code_is_reported(admin: GraphQLClient, salesforce) -> None:
    fake, _ = salesforce
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url)
    fake.oauth.expire_codes()
    assert_page(await callback(admin.http, location), 400, "refused the authorization code")
    assert (await load(started.connection_id)).status.value == "PENDING_AUTHORIZATION"
    assert any("invalid_grant" in e for e in await failures(started.connection_id))


async def test_an_unreachable_source_is_reported(admin: GraphQLClient, point_connector) -> None:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    server = FakeServer(fake.app).start()
    point_at(point_connector, "SFDC", fake, server.url)
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url)
    server.stop()
    assert_page(await callback(admin.http, location), 400, "could not be reached")
    assert (await load(started.connection_id)).status.value == "PENDING_AUTHORIZATION"


async def test_no_state_no_redirect(admin: GraphQLClient) -> None:
    query = urlencode({"code": "x", "redirect_uri": "https://evil.example/", "next": "//evil"})
    page = await admin.http.get(f"/oauth/callback?{query}")
    assert_page(page, 400)
    assert "evil" not in page.text
