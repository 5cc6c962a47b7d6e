"""Steps of the upgrade test that need a process of their own (Tortoise's state is global, and
the test session's app already holds it): `python -m tests.ops.migration_steps <step> ...`.

- `to <migration>`: bring the database of CONNECTORS_DATABASE_URL to that migration only.
- `read <tenant> <out.json>`: start the real app on that database and read every row back
  through GraphQL (and, for what GraphQL never shows, through the core), into out.json.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from tortoise.migrations.api import migrate

from api.app import create_app
from api.auth import mint_token
from models import credentials, db
from models import settings as config
from models.tables import Connection, ConnectionLimit, OAuthState

READ = """
query Everything($object: String!) {
  connections(first: 200) {
    nodes {
      id name status settings createdBy authorizedAt secretsSet connector { key }
      jobs(first: 200) {
        nodes { id name sourceObject destinationObject syncMode schedule enabled
                fieldMappings { source target key } }
      }
    }
  }
  activities(first: 200) {
    nodes { id kind status connectionName actor message recordsRead recordsWritten details
            connection { id } job { id } }
  }
  records(object: $object, first: 200) { nodes totalCount }
}
"""


async def to(migration: str) -> None:
    settings = config.current()
    try:
        await migrate(config=db.tortoise_config(settings), target=f"models.{migration}")
    finally:
        await db.close_db()


async def read(tenant: str, out: Path) -> None:
    settings = config.current()
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            token = mint_token(settings, tenant=tenant, roles=["admin"], sub="reader")
            response = await http.post(
                "/graphql",
                json={"query": READ, "variables": {"object": "tickets"}},
                headers={"Authorization": f"Bearer {token}"},
            )
        body: dict[str, Any] = response.json()
        body["core"] = await _core(tenant)
    out.write_text(json.dumps(body, default=str))


async def _core(tenant: str) -> dict[str, Any]:
    connections = await Connection.filter(tenant=tenant)
    return {
        "secrets": {str(c.id): credentials.open_all(c) for c in connections},
        "oauth_states": [
            {"id": s.id, "connection_id": str(s.connection_id), "user": s.user}
            for s in await OAuthState.filter(tenant=tenant)
        ],
        "limits": [
            {"connector_key": limit.connector_key, "max": limit.max_connections}
            for limit in await ConnectionLimit.filter(tenant=tenant)
        ],
    }


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    if step == "to":
        asyncio.run(to(args[0]))
    elif step == "read":
        asyncio.run(read(args[0], Path(args[1])))
    else:
        raise SystemExit(f"unknown step {step!r}: use `to` or `read`")
