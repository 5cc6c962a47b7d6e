"""The HubSpot fake keeps HubSpot's OAuth v1, CRM v3 paging, search cap and error shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.hubspot import HubSpotFake
from tests.fakes.server import FakeServer

START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def hs() -> Iterator[tuple[HubSpotFake, str]]:
    fake = HubSpotFake()
    fake.add_records(
        "companies",
        [
            {
                "properties": {"name": f"C{i}", "domain": f"c{i}.com"},
                "updatedAt": START + timedelta(hours=i),
            }
            for i in range(150)
        ],
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_token_refresh_keeps_refresh_token_and_errors_are_hubspot_shaped(hs) -> None:
    fake, base = hs
    tokens = fake.oauth.issue_tokens(scope="crm.objects.companies.read")
    form = {
        "grant_type": "refresh_token",
        "client_id": "hs-client-id",
        "client_secret": "hs-client-secret",
        "refresh_token": tokens.refresh_token,
    }
    async with httpx.AsyncClient(base_url=base) as http:
        refreshed = (await http.post("/oauth/v1/token", data=form)).json()
        info = (await http.get(f"/oauth/v1/access-tokens/{refreshed['access_token']}")).json()
        deleted = await http.delete(f"/oauth/v1/refresh-tokens/{tokens.refresh_token}")
        again = await http.post("/oauth/v1/token", data=form)
        as_json = await http.post("/oauth/v1/token", json=form)
    assert refreshed["refresh_token"] == tokens.refresh_token
    assert refreshed["expires_in"] == 1800 and refreshed["token_type"] == "bearer"
    assert info["hub_id"] == 62515 and info["user"] and info["token_type"] == "access"
    assert deleted.status_code == 204
    assert again.status_code == 400 and again.json()["status"] == "BAD_REFRESH_TOKEN"
    assert as_json.status_code == 400
    # Deleting the refresh token leaves the access tokens working, as documented.
    assert fake.oauth.check_token(refreshed["access_token"])[1] == "ok"


async def test_list_paging_and_limit_cap(hs) -> None:
    fake, base = hs
    auth = {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}
    async with httpx.AsyncClient(base_url=base, headers=auth) as http:
        first = (await http.get("/crm/v3/objects/companies", params={"limit": 500})).json()
        after = first["paging"]["next"]["after"]
        rest = await http.get(
            "/crm/v3/objects/companies", params={"after": after, "limit": 100, "properties": "name"}
        )
    assert len(first["results"]) == 100
    last = rest.json()
    assert len(last["results"]) == 50 and "paging" not in last
    assert set(last["results"][0]["properties"]) >= {"name", "hs_object_id"}


async def test_search_on_last_modified_and_the_10000_cap(hs) -> None:
    fake, base = hs
    auth = {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}
    since = int((START + timedelta(hours=140)).timestamp() * 1000)
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since)}
                ]
            }
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["name"],
        "limit": 5,
    }
    async with httpx.AsyncClient(base_url=base, headers=auth) as http:
        page = (await http.post("/crm/v3/objects/companies/search", json=body)).json()
        capped = await http.post(
            "/crm/v3/objects/companies/search", json={**body, "after": "10000"}
        )
        props = (await http.get("/crm/v3/properties/companies")).json()
    assert page["total"] == 10 and page["results"][0]["properties"]["name"] == "C140"
    assert page["paging"]["next"]["after"] == "5"
    assert capped.status_code == 400 and capped.json()["category"] == "VALIDATION_ERROR"
    assert {"name", "label", "type"} <= set(props["results"][0])


async def test_auth_errors_and_rate_limit(hs) -> None:
    fake, base = hs
    token = fake.oauth.issue_tokens().access_token
    async with httpx.AsyncClient(base_url=base) as http:
        missing = await http.get("/crm/v3/objects/companies")
        fake.oauth.expire_access_token(token)
        expired = await http.get(
            "/crm/v3/objects/companies", headers={"Authorization": f"Bearer {token}"}
        )
        fake.rate_limited("SECONDLY")
        limited = await http.get("/crm/v3/objects/companies")
    assert missing.status_code == 401 and missing.json()["category"] == "INVALID_AUTHENTICATION"
    assert {"status", "message", "correlationId", "category"} <= set(missing.json())
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert limited.status_code == 429 and limited.json()["policyName"] == "SECONDLY"
    assert limited.headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"
