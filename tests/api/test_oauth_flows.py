"""Each OAuth connector's Authorize flow against its fake, over real HTTP, driven like a browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from models import credentials, tokens
from models.services.activities import now
from tests.conftest import GraphQLClient
from tests.fakes.hubspot import HubSpotFake
from tests.fakes.jira import JiraFake
from tests.fakes.oauth import VendorFake, pkce_challenge
from tests.fakes.oauth_vendors import vendor_fake
from tests.fakes.salesforce import ORG_ID, SalesforceFake
from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake
from tests.oauth_flow import (
    CONNECTION,
    REDIRECT,
    authorize,
    callback,
    consent,
    create,
    load,
    point_at,
)


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[FakeServer] = []

    def start(fake: VendorFake) -> str:
        servers.append(FakeServer(fake.app).start())
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize(
    ("environment", "host"),
    [("production", "login.salesforce.com"), ("sandbox", "test.salesforce.com")],
)
async def test_salesforce_login_host_follows_the_environment(
    admin: GraphQLClient, environment: str, host: str
) -> None:
    started = await create(admin, "SFDC", {"environment": environment})
    parts = urlsplit(started.authorization_url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", host, "/services/oauth2/authorize")
    params = query(started.authorization_url)
    assert params["redirect_uri"] == REDIRECT
    assert params["client_id"] == "sfdc-client"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["scope"] == "api refresh_token"
    assert "." in params["state"]


async def test_salesforce_flow_stores_instance_url_org_and_no_expiry(
    admin: GraphQLClient, point_connector, serve
) -> None:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    url = serve(fake)
    point_at(point_connector, "SFDC", fake, url)
    started = await create(admin, "SFDC", {"environment": "sandbox"})
    challenge = query(started.authorization_url)["code_challenge"]
    page = await callback(admin.http, await consent(started.authorization_url))

    assert page.status_code == 200, page.text
    assert "Connection authorized" in page.text
    exchange = fake.oauth.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert pkce_challenge(exchange["code_verifier"]) == challenge  # the fake checked it too
    connection = await load(started.connection_id)
    held = credentials.tokens(connection)
    assert held["access_token"] not in page.text and exchange["code"] not in page.text
    assert connection.status.value == "ACTIVE"
    assert connection.source_account == ORG_ID
    assert connection.token_expires_at is None  # Salesforce sends no expires_in
    assert tokens.token_extras(connection) == {"instance_url": url}
    assert tokens.api_base_url(connection) == url
    assert await tokens.access_token(connection) == held["access_token"]
    data = await admin.data(CONNECTION, id=started.connection_id)
    shown = data["connection"]
    assert shown["authorizedAt"] and shown["secretsSet"] == []
    assert {j["name"] for j in shown["jobs"]["nodes"]} == {
        "Salesforce accounts",
        "Salesforce contacts",
    }
    kinds = [(a["kind"], a["status"]) for a in shown["activities"]["nodes"]]
    assert ("CONNECTION_AUTHORIZED", "SUCCEEDED") in kinds


async def test_hubspot_flow_reads_the_portal_from_token_metadata(
    admin: GraphQLClient, point_connector, serve
) -> None:
    fake = HubSpotFake(client_id="hs-app", client_secret="hs-secret", redirect_uri=REDIRECT)
    point_at(point_connector, "HUBSPOT", fake, serve(fake))
    connection_id, page = await authorize(admin, "HUBSPOT")
    assert page.status_code == 200, page.text
    connection = await load(connection_id)
    assert connection.source_account == "62515"
    assert tokens.token_extras(connection) == {"hub_domain": "demo.hubspot.com"}
    left = connection.token_expires_at - now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    assert any(r.path.startswith("/oauth/v1/access-tokens/") for r in fake.requests)


async def test_zendesk_flow_uses_the_subdomain(admin: GraphQLClient, point_connector) -> None:
    started = await create(admin, "ZENDESK", {"subdomain": "acme"})
    assert started.authorization_url.startswith(
        "https://acme.zendesk.com/oauth/authorizations/new?"
    )


async def test_zendesk_flow_against_the_fake(admin: GraphQLClient, point_connector, serve) -> None:
    fake = ZendeskFake(redirect_uri=REDIRECT)
    point_at(point_connector, "ZENDESK", fake, serve(fake))
    connection_id, page = await authorize(admin, "ZENDESK", {"subdomain": "acme"})
    assert page.status_code == 200, page.text
    connection = await load(connection_id)
    assert connection.source_account == "acme"
    assert credentials.tokens(connection)["refresh_token"]
    assert connection.token_expires_at > now() + timedelta(hours=47)


async def test_jira_flow_finds_the_cloud_id(admin: GraphQLClient, point_connector, serve) -> None:
    fake = JiraFake(redirect_uri=REDIRECT)
    url = serve(fake)
    point_at(point_connector, "JIRA", fake, url)
    connection_id, page = await authorize(admin, "JIRA", {"site_url": fake.site_url})
    assert page.status_code == 200, page.text
    connection = await load(connection_id)
    assert connection.source_account == fake.cloud_id
    assert tokens.token_extras(connection)["cloud_id"] == fake.cloud_id
    assert credentials.tokens(connection)["refresh_token"]  # offline_access was asked for
    assert any(r.path == "/oauth/token/accessible-resources" for r in fake.requests)


async def test_jira_flow_refuses_a_site_the_login_does_not_reach(
    admin: GraphQLClient, point_connector, serve
) -> None:
    fake = JiraFake(redirect_uri=REDIRECT)
    point_at(point_connector, "JIRA", fake, serve(fake))
    connection_id, page = await authorize(
        admin, "JIRA", {"site_url": "https://other.atlassian.net"}
    )
    assert page.status_code == 400
    assert "other.atlassian.net" in page.text
    assert (await load(connection_id)).status.value == "PENDING_AUTHORIZATION"


OTHERS = [
    (
        "DYNAMICS",
        {"environment_url": "https://contoso.crm.dynamics.com"},
        lambda fake: {"azure_tenant_id": fake.oauth.tenant_id},
        lambda fake: fake.oauth.tenant_id,
    ),
    (
        "ZOHO",
        {"data_centre": "eu"},
        lambda fake: {"api_domain": "https://www.zohoapis.eu"},
        lambda fake: fake.oauth.account_id,
    ),
    (
        "PIPEDRIVE",
        {},
        lambda fake: {"api_domain": "https://acme.pipedrive.com"},
        lambda fake: "acme.pipedrive.com",
    ),
    ("INTERCOM", {}, lambda fake: {}, lambda fake: fake.oauth.account_id),
    (
        "GONG_IO",
        {},
        lambda fake: {"api_base_url_for_customer": "https://us-4321.api.gong.io"},
        lambda fake: "us-4321.api.gong.io",
    ),
    (
        "SURVEYMONKEY",
        {},
        lambda fake: {"access_url": "https://api.eu.surveymonkey.com"},
        lambda fake: fake.oauth.account_id,
    ),
    ("SERVICENOW", {"instance": "acme"}, lambda fake: {}, lambda fake: "acme"),
]


@pytest.mark.parametrize(("key", "form", "extras", "account"), OTHERS, ids=[o[0] for o in OTHERS])
async def test_other_oauth_connectors(
    admin: GraphQLClient, point_connector, serve, key, form, extras, account
) -> None:
    fake = vendor_fake(key, f"{key.lower()}-app", f"{key.lower()}-app-secret")
    point_at(point_connector, key, fake, serve(fake))
    connection_id, page = await authorize(admin, key, form)
    assert page.status_code == 200, page.text
    connection = await load(connection_id)
    assert connection.status.value == "ACTIVE"
    assert tokens.token_extras(connection) == extras(fake)
    assert connection.source_account == account(fake)
    held = credentials.tokens(connection)
    assert bool(held.get("refresh_token")) == fake.oauth.issue_refresh
    assert await tokens.access_token(connection) == held["access_token"]
    if fake.oauth.issue_refresh:
        old = held["access_token"]
        refreshed = await tokens.refresh(connection, force=True)
        assert credentials.tokens(refreshed)["access_token"] != old
        assert fake.oauth.token_requests[-1]["grant_type"] == "refresh_token"
