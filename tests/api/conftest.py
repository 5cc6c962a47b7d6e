from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.settings import ConnectorOverrides, Settings
from tests.api.documents import CREATE_CONNECTION, MIXPANEL_SETTINGS
from tests.conftest import GraphQLClient
from tests.fakes.mixpanel import MixpanelFake
from tests.fakes.server import FakeServer


@pytest.fixture(scope="session")
def mixpanel(settings: Settings) -> Iterator[MixpanelFake]:
    """A Mixpanel that knows the service account the tests save, so "Save" checks pass."""
    fake = MixpanelFake(project_id=MIXPANEL_SETTINGS["project_id"], per_second=1000, per_hour=10**6)
    fake.add_service_account(
        MIXPANEL_SETTINGS["service_account_username"], MIXPANEL_SETTINGS["service_account_secret"]
    )
    with FakeServer(fake.app) as server:
        settings.connectors["MIXPANEL"] = ConnectorOverrides(api_url=server.url)
        yield fake
        settings.connectors.pop("MIXPANEL", None)


async def create(client: GraphQLClient, key: str, name: str, settings: Any = None) -> Any:
    data = await client.data(
        CREATE_CONNECTION, input={"connectorKey": key, "name": name, "settings": settings}
    )
    return data["createConnection"]


@pytest.fixture
async def mixpanel_connection(admin: GraphQLClient, mixpanel: MixpanelFake) -> dict[str, Any]:
    payload = await create(admin, "MIXPANEL", "Product analytics", MIXPANEL_SETTINGS)
    assert payload["userErrors"] == []
    return payload["connection"]


@pytest.fixture
async def salesforce_connection(admin: GraphQLClient) -> dict[str, Any]:
    payload = await create(admin, "SFDC", "Salesforce prod", {"environment": "production"})
    assert payload["userErrors"] == []
    return payload["connection"]
