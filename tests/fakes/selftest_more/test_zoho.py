"""The Zoho fake keeps page_token paging, If-Modified-Since, 204/304 and Zoho's errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.server import FakeServer
from tests.fakes.zoho import ZohoFake

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def zoho() -> Iterator[tuple[ZohoFake, str]]:
    fake = ZohoFake()
    fake.add_records(
        "Accounts",
        [{"Account_Name": f"A{i}", "Modified_Time": T0 + timedelta(minutes=i)} for i in range(5)],
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_token_response_names_the_api_domain(zoho) -> None:
    fake, base = zoho
    tokens = fake.oauth.issue_tokens()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": "zoho-client",
        "client_secret": "zoho-secret",
    }
    async with httpx.AsyncClient(base_url=base) as http:
        refreshed = (await http.post("/oauth/v2/token", data=form)).json()
    assert refreshed["api_domain"] == base and "refresh_token" not in refreshed


async def test_page_token_paging_and_if_modified_since(zoho) -> None:
    fake, base = zoho
    headers = {"Authorization": f"Zoho-oauthtoken {fake.oauth.issue_tokens().access_token}"}
    params = {
        "fields": "Account_Name,Modified_Time",
        "per_page": "2",
        "sort_by": "Modified_Time",
        "sort_order": "asc",
    }
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        first = (await http.get("/crm/v8/Accounts", params=params)).json()
        token = first["info"]["next_page_token"]
        second = (await http.get("/crm/v8/Accounts", params={**params, "page_token": token})).json()
        since = {**headers, "If-Modified-Since": "2024-03-01T05:32:00+05:30"}
        newer = (await http.get("/crm/v8/Accounts", params=params, headers=since)).json()
        none = await http.get(
            "/crm/v8/Accounts",
            params=params,
            headers={**headers, "If-Modified-Since": "2025-01-01T00:00:00Z"},
        )
        empty = await http.get("/crm/v8/Leads", params={"fields": "Email"})
        no_fields = await http.get("/crm/v8/Accounts")
        too_far = await http.get("/crm/v8/Accounts", params={**params, "page": "1001"})
    assert [r["Account_Name"] for r in first["data"]] == ["A0", "A1"]
    assert first["info"]["more_records"] is True
    assert first["data"][0]["Modified_Time"] == "2024-03-01T05:30:00+05:30"
    assert [r["Account_Name"] for r in second["data"]] == ["A2", "A3"]
    assert [r["Account_Name"] for r in newer["data"]] == ["A3", "A4"]
    assert none.status_code == 304 and empty.status_code == 204
    assert no_fields.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert too_far.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"


async def test_bearer_is_not_zohos_header_and_429(zoho) -> None:
    fake, base = zoho
    token = fake.oauth.issue_tokens().access_token
    async with httpx.AsyncClient(base_url=base) as http:
        bearer = await http.get(
            "/crm/v8/settings/modules", headers={"Authorization": f"Bearer {token}"}
        )
        fake.too_many_requests()
        limited = await http.get(
            "/crm/v8/settings/modules", headers={"Authorization": f"Zoho-oauthtoken {token}"}
        )
        fake.oauth.expire_access_token(token)
        expired = await http.get(
            "/crm/v8/settings/modules", headers={"Authorization": f"Zoho-oauthtoken {token}"}
        )
    assert bearer.status_code == 401
    assert limited.status_code == 429 and limited.json()["code"] == "TOO_MANY_REQUESTS"
    assert expired.status_code == 401 and expired.json()["code"] == "INVALID_TOKEN"
