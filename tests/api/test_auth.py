"""Who may call: tokens, roles, and the errors for each."""

from __future__ import annotations

import time

import httpx
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.api.conftest import create
from tests.api.documents import CONNECTIONS, MIXPANEL_SETTINGS
from tests.conftest import JWT_SECRET, GraphQLClient


async def _post(http: httpx.AsyncClient, headers: dict[str, str]) -> dict:
    response = await http.post(
        "/graphql", json={"query": "{ connectors { key } }"}, headers=headers
    )
    return response.json()


async def test_no_token_is_unauthenticated(http: httpx.AsyncClient) -> None:
    body = await _post(http, {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] is None


async def test_a_bad_or_expired_token_is_unauthenticated(http: httpx.AsyncClient) -> None:
    wrong_key = jwt.encode(
        {"alg": "HS256"},
        {"sub": "u", "tenant": "t", "roles": ["admin"], "exp": int(time.time()) + 60},
        OctKey.import_key("another-secret-long-enough"),
    )
    expired = jwt.encode(
        {"alg": "HS256"},
        {"sub": "u", "tenant": "t", "roles": ["admin"], "exp": int(time.time()) - 60},
        OctKey.import_key(JWT_SECRET),
    )
    for token in ("garbage", wrong_key, expired):
        body = await _post(http, {"Authorization": f"Bearer {token}"})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", token
    body = await _post(http, {"Authorization": "Basic abc"})
    assert "Bearer" in body["errors"][0]["message"]


async def test_a_token_without_tenant_is_unauthenticated(http: httpx.AsyncClient) -> None:
    token = jwt.encode(
        {"alg": "HS256"},
        {"sub": "u", "roles": ["admin"], "exp": int(time.time()) + 60},
        OctKey.import_key(JWT_SECRET),
    )
    body = await _post(http, {"Authorization": f"Bearer {token}"})
    assert "tenant" in body["errors"][0]["message"]


async def test_viewer_reads_but_may_not_change(
    admin: GraphQLClient, viewer: GraphQLClient, mixpanel: object
) -> None:
    await create(admin, "MIXPANEL", "Analytics", MIXPANEL_SETTINGS)
    assert (await viewer.data(CONNECTIONS))["connections"]["totalCount"] == 1
    body = await viewer.execute(
        """mutation { createConnection(input: {connectorKey: "MIXPANEL", name: "x"}) {
             userErrors { code } } }"""
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await admin.data(CONNECTIONS))["connections"]["totalCount"] == 1


async def test_support_alone_may_not_read_or_change_a_tenant(support: GraphQLClient) -> None:
    body = await support.execute("""mutation { createConnection(input: {connectorKey: "S3",
                                   name: "x"}) { userErrors { code } } }""")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_graphiql_answers_a_browser(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
