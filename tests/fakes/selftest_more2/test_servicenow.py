"""The ServiceNow fake keeps the Table API's paging, query, value and error shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.server import FakeServer
from tests.fakes.servicenow import ServiceNowFake

START = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sn() -> Iterator[tuple[ServiceNowFake, str]]:
    fake = ServiceNowFake()
    caller = fake.add_records("sys_user", [{"name": "Beth", "active": True}])[0]
    fake.add_records(
        "incident",
        [
            {
                "number": f"INC{i:07d}",
                "short_description": f"Printer {i}",
                "caller_id": caller["sys_id"],
                "sys_updated_on": START + timedelta(minutes=i),
            }
            for i in range(5)
        ],
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


def _auth(fake: ServiceNowFake) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}


async def test_link_header_pages_with_offset_and_total(sn) -> None:
    fake, base = sn
    query = "sys_updated_on>=2024-03-01 00:01:00^ORDERBYsys_updated_on"
    params = {"sysparm_query": query, "sysparm_limit": 2, "sysparm_fields": "number,sys_id"}
    async with httpx.AsyncClient(base_url=base, headers=_auth(fake)) as http:
        first = await http.get("/api/now/table/incident", params=params)
        second = await http.get(first.links["next"]["url"])
    assert first.headers["x-total-count"] == "4"
    assert [r["number"] for r in first.json()["result"]] == ["INC0000001", "INC0000002"]
    assert set(first.json()["result"][0]) == {"number", "sys_id"}
    assert first.links["next"]["url"].startswith(base + "/api/now/table/incident?")
    assert "prev" not in first.links and "first" in first.links and "last" in first.links
    assert "next" not in second.links
    assert [r["number"] for r in second.json()["result"]] == ["INC0000003", "INC0000004"]


async def test_values_are_strings_and_references_links(sn) -> None:
    fake, base = sn
    async with httpx.AsyncClient(base_url=base, headers=_auth(fake)) as http:
        plain = await http.get("/api/now/v2/table/incident", params={"sysparm_limit": 1})
        bare = await http.get(
            "/api/now/table/incident",
            params={"sysparm_limit": 1, "sysparm_exclude_reference_link": "true"},
        )
        users = await http.get("/api/now/table/sys_user")
    row = plain.json()["result"][0]
    assert row["sys_updated_on"] == "2024-03-01 00:00:00"
    assert set(row["caller_id"]) == {"link", "value"}
    assert isinstance(bare.json()["result"][0]["caller_id"], str)
    assert users.json()["result"][0]["active"] == "true"
    assert "link" not in users.headers  # one page: no Link header at all


async def test_errors_and_rate_limit(sn) -> None:
    fake, base = sn
    async with httpx.AsyncClient(base_url=base) as http:
        anonymous = await http.get("/api/now/table/incident")
        auth = _auth(fake)
        unknown = await http.get("/api/now/table/nope", headers=auth)
        fake.rate_limited(retry_after=7)
        limited = await http.get("/api/now/table/incident", headers=auth)
        after = await http.get("/api/now/table/incident", headers=auth)
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": {
            "message": "User Not Authenticated",
            "detail": "Required to provide Auth information",
        },
        "status": "failure",
    }
    assert unknown.status_code == 400 and unknown.json()["error"]["message"] == "Invalid table nope"
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert {"x-ratelimit-limit", "x-ratelimit-reset", "x-ratelimit-rule"} <= set(limited.headers)
    assert after.status_code == 200


async def test_token_endpoint_refresh(sn) -> None:
    fake, base = sn
    tokens = fake.oauth.issue_tokens()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": "sn-client-id",
        "client_secret": "sn-client-secret",
    }
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.post("/oauth_token.do", data=form)
    assert answer.status_code == 200
    assert answer.json()["expires_in"] == 1799 and answer.json()["access_token"]
