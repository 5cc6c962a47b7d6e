"""Connection limits per tenant: one CRM, one of each support connector unless raised."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import create
from tests.api.documents import CONNECTIONS, SET_LIMIT
from tests.conftest import GraphQLClient


async def test_several_connections_to_the_one_crm_are_fine(admin: GraphQLClient) -> None:
    await create(admin, "SFDC", "Org A", None)
    payload = await create(admin, "SFDC", "Org B", {"environment": "sandbox"})
    assert payload["userErrors"] == []


async def test_a_second_crm_connector_is_refused_and_nothing_is_written(
    admin: GraphQLClient, salesforce_connection: dict[str, Any]
) -> None:
    payload = await create(admin, "HUBSPOT", "HubSpot", None)
    error = payload["userErrors"][0]
    assert error["code"] == "CONNECTION_LIMIT_REACHED"
    assert "Salesforce" in error["message"] and "one CRM" in error["message"]
    assert payload["connection"] is None
    names = [n["name"] for n in (await admin.data(CONNECTIONS))["connections"]["nodes"]]
    assert names == ["Salesforce prod"]


async def test_one_connection_per_support_connector_until_support_raises_it(
    admin: GraphQLClient, support: GraphQLClient
) -> None:
    assert (await create(admin, "ZENDESK", "Support", {"subdomain": "acme"}))["userErrors"] == []
    second = await create(admin, "ZENDESK", "Support EU", {"subdomain": "acme-eu"})
    assert second["userErrors"][0]["code"] == "CONNECTION_LIMIT_REACHED"
    assert "ask platform support" in second["userErrors"][0]["message"]

    raised = await support.data(SET_LIMIT, tenant=admin.tenant, key="ZENDESK", max=2)
    assert raised["setConnectionLimit"] == {
        "connectorKey": "ZENDESK",
        "maxConnections": 2,
        "userErrors": [],
    }
    third = await create(admin, "ZENDESK", "Support EU", {"subdomain": "acme-eu"})
    assert third["userErrors"] == []


async def test_only_support_may_change_limits(admin: GraphQLClient) -> None:
    body = await admin.execute(SET_LIMIT, tenant=admin.tenant, key="ZENDESK", max=5)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_limit_input_is_checked(support: GraphQLClient) -> None:
    data = await support.data(SET_LIMIT, tenant="t", key="ZENDESK", max=-1)
    assert data["setConnectionLimit"]["userErrors"][0]["code"] == "INVALID_INPUT"
    data = await support.data(SET_LIMIT, tenant="t", key="NOPE", max=1)
    assert data["setConnectionLimit"]["userErrors"][0]["field"] == ["connectorKey"]


async def test_concurrent_creates_cannot_break_a_limit(admin: GraphQLClient) -> None:
    payloads = await asyncio.gather(
        *(create(admin, "ZENDESK", f"Support {i}", {"subdomain": f"acme{i}"}) for i in range(5))
    )
    succeeded = [p for p in payloads if not p["userErrors"]]
    refused = [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]]
    assert len(succeeded) == 1
    assert refused == ["CONNECTION_LIMIT_REACHED"] * 4
    assert (await admin.data(CONNECTIONS))["connections"]["totalCount"] == 1
