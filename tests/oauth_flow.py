"""Driving an OAuth connector's Authorize button like a person does, against a served fake.

`served(fake)` runs a vendor fake on loopback; `point_at(point_connector, key, fake, url)`
points the connector's endpoints at it; `authorize(...)` creates the connection, follows the
authorizationUrl through the fake's consent page and brings the redirect back to
`/oauth/callback` on the app, like a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from models.tables import Activity, Connection
from tests.conftest import GraphQLClient
from tests.fakes.oauth import VendorFake, browser_consent

CREATE = """
mutation($input: CreateConnectionInput!) {
  createConnection(input: $input) {
    connection { id status }
    authorizationUrl
    userErrors { code message field }
  }
}"""
REAUTHORIZE = """
mutation($id: ID!, $settings: JSON, $allow: Boolean!) {
  reauthorizeConnection(id: $id, settings: $settings, allowAccountChange: $allow) {
    connection { id status }
    authorizationUrl
    userErrors { code message }
  }
}"""
AUTHORIZE = """
mutation($id: ID!) {
  authorizeConnection(id: $id) { authorizationUrl userErrors { code message } }
}"""
REVOKE = """
mutation($id: ID!) {
  revokeConnection(id: $id) { connection { id status } userErrors { code message } }
}"""
CONNECTION = """
query($id: ID!) {
  connection(id: $id) {
    id status authorizedAt hasRecentFailures settings secretsSet
    jobs { nodes { name builtIn } }
    activities { nodes { kind status actor message error } }
  }
}"""
REDIRECT = "http://testserver/oauth/callback"


def point_at(
    point_connector: Any, key: str, fake: VendorFake, url: str, **extra: str | None
) -> None:
    oauth = fake.oauth
    values: dict[str, str | None] = {
        "client_id": oauth.client_id,
        "client_secret": oauth.client_secret,
        "authorize_url": url + oauth.authorize_path,
        "token_url": url + oauth.token_path,
        "revoke_url": url + oauth.revoke_path if oauth.revoke_path else None,
        "api_url": url,
    }
    point_connector(key, **{**values, **extra})


@dataclass
class Started:
    connection_id: str
    authorization_url: str


async def create(
    admin: GraphQLClient, key: str, settings: dict[str, Any] | None = None, name: str = ""
) -> Started:
    data = await admin.data(
        CREATE,
        input={"connectorKey": key, "name": name or f"{key} test", "settings": settings or {}},
    )
    payload = data["createConnection"]
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["connection"]["status"] == "PENDING_AUTHORIZATION"
    return Started(payload["connection"]["id"], payload["authorizationUrl"])


async def consent(url: str, allow: bool = True, username: str | None = None) -> str:
    """Log in at the fake and press Allow (or Deny); returns where it sends the browser."""
    async with httpx.AsyncClient() as browser:
        answer = await browser_consent(browser, url, allow=allow, username=username)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return location


async def callback(http: httpx.AsyncClient, location: str) -> httpx.Response:
    return await http.get(location)


async def authorize(
    admin: GraphQLClient, key: str, settings: dict[str, Any] | None = None
) -> tuple[str, httpx.Response]:
    started = await create(admin, key, settings)
    page = await callback(admin.http, await consent(started.authorization_url))
    return started.connection_id, page


async def load(connection_id: str) -> Connection:
    return await Connection.get(id=connection_id)


async def activities_of(connection_id: str) -> list[Activity]:
    return await Activity.filter(connection_id=connection_id).order_by("created_at")
