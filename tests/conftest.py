"""Shared fixtures: the real app over ASGI, on SQLite + embedded Redis by default, or on the
PostgreSQL and Redis named by CONNECTORS_DATABASE_URL / CONNECTORS_REDIS_URL (as .ci/run does).

Every test works in a tenant of its own, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.app import create_app
from api.auth import mint_token
from models import settings as config
from models.settings import Settings

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256"
ENCRYPTION_KEYS = "test-key-newest,test-key-older"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp("connectors")
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "jwt_secret": JWT_SECRET,
        "encryption_keys": ENCRYPTION_KEYS,
        "public_url": "http://testserver",
        "allow_private_hosts": True,
        "connectors": {
            key: {"client_id": f"{key.lower()}-client", "client_secret": f"{key.lower()}-secret"}
            for key in (
                "SFDC",
                "HUBSPOT",
                "ZENDESK",
                "JIRA",
                "DYNAMICS",
                "ZOHO",
                "PIPEDRIVE",
                "SERVICENOW",
                "INTERCOM",
                "GONG_IO",
                "SURVEYMONKEY",
            )
        },
    }
    database_url = os.environ.get("CONNECTORS_DATABASE_URL")
    if database_url:
        values["database_url"] = database_url
    yield config.configure(**values)


async def _reset_postgres(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    if settings.database_url and settings.database_url.startswith("postgres"):
        await _reset_postgres(settings.database_url)
    from models import db

    await db.migrate(settings)
    application = create_app(settings)
    async with LifespanManager(application) as manager:
        yield manager.app


@pytest.fixture(scope="session")
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    token: str | None
    tenant: str

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        """Run a document; returns the whole response body (data and errors)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """Run a document that must succeed; returns its data."""
        body = await self.execute(query, **variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def as_role(self, *roles: str, tenant: str | None = None) -> GraphQLClient:
        tenant = tenant or self.tenant
        token = mint_token(config.current(), tenant=tenant, roles=list(roles), sub=f"{roles[0]}@x")
        return GraphQLClient(self.http, token, tenant)


@pytest.fixture
def tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def admin(http: httpx.AsyncClient, tenant: str) -> GraphQLClient:
    return GraphQLClient(http, None, tenant).as_role("admin")


@pytest.fixture
def viewer(admin: GraphQLClient) -> GraphQLClient:
    return admin.as_role("viewer")


@pytest.fixture
def other_tenant(admin: GraphQLClient) -> GraphQLClient:
    return admin.as_role("admin", tenant=f"other-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def support(admin: GraphQLClient) -> GraphQLClient:
    return admin.as_role("support", tenant="platform")


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def point_connector(settings: Settings) -> Iterator[Any]:
    """Point a connector's OAuth endpoints and API at a fake for one test, restored after.

    The session settings are shared, so tests never reconfigure them; they replace one
    connector's overrides: `point_connector("SFDC", api_url=fake.url, token_url=...)`.
    Unnamed values (client id and secret) stay as the session configured them.
    """
    from models.settings import ConnectorOverrides

    saved: dict[str, ConnectorOverrides | None] = {}

    def point(key: str, **overrides: str | None) -> ConnectorOverrides:
        key = key.upper()
        saved.setdefault(key, settings.connectors.get(key))
        values = {**settings.overrides(key).model_dump(), **overrides}
        settings.connectors[key] = ConnectorOverrides(**values)
        return settings.connectors[key]

    yield point
    for key, old in saved.items():
        if old is None:
            settings.connectors.pop(key, None)
        else:
            settings.connectors[key] = old
