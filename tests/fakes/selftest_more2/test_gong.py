"""The Gong fake keeps Gong's cursor paging, date range rules, token response and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.gong import GongFake
from tests.fakes.server import FakeServer

START = datetime(2024, 2, 1, tzinfo=UTC)
RANGE = {"fromDateTime": "2024-01-01T00:00:00Z", "toDateTime": "2025-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def gong() -> Iterator[tuple[GongFake, str]]:
    fake = GongFake()
    fake.page_size = 3
    fake.add_calls(
        [{"title": f"Call {i}", "started": START + timedelta(hours=i)} for i in range(7)]
    )
    fake.add_users([{"emailAddress": f"rep{i}@example.com"} for i in range(2)])
    fake.add_api_key("key", "secret")
    with FakeServer(fake.app) as server:
        yield fake, server.url


def _auth(fake: GongFake) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}


async def test_calls_page_with_cursor(gong) -> None:
    fake, base = gong
    titles: list[str] = []
    pages = []
    async with httpx.AsyncClient(base_url=base, headers=_auth(fake)) as http:
        body = (await http.get("/v2/calls", params=RANGE)).json()
        pages.append(body["records"])
        titles += [c["title"] for c in body["calls"]]
        while "cursor" in body["records"]:
            body = (
                await http.get("/v2/calls", params={"cursor": body["records"]["cursor"]})
            ).json()
            pages.append(body["records"])
            titles += [c["title"] for c in body["calls"]]
    assert titles == [f"Call {i}" for i in range(7)]
    assert [p["currentPageNumber"] for p in pages] == [0, 1, 2]
    assert pages[0]["totalRecords"] == 7 and pages[0]["currentPageSize"] == 3


async def test_date_range_rules(gong) -> None:
    fake, base = gong
    async with httpx.AsyncClient(base_url=base, headers=_auth(fake)) as http:
        missing = await http.get("/v2/calls", params={"fromDateTime": RANGE["fromDateTime"]})
        empty = await http.get(
            "/v2/calls",
            params={"fromDateTime": "2030-01-01T00:00:00Z", "toDateTime": "2031-01-01T00:00:00Z"},
        )
        late = await http.get(
            "/v2/calls",
            params={
                "fromDateTime": "2024-02-01T05:00:00+00:00",
                **{"toDateTime": "2025-01-01T00:00:00Z"},
            },
        )
    assert missing.status_code == 400
    assert empty.status_code == 404
    assert empty.json()["errors"] == ["No calls found corresponding to the provided filters"]
    assert [c["title"] for c in late.json()["calls"]] == ["Call 5", "Call 6"]


async def test_users_api_key_errors_and_rate_limit(gong) -> None:
    fake, base = gong
    async with httpx.AsyncClient(base_url=base) as http:
        users = await http.get("/v2/users", auth=("key", "secret"))
        denied = await http.get("/v2/users", headers={"Authorization": "Bearer nope"})
        fake.rate_limited(retry_after=2)
        limited = await http.get("/v2/users", auth=("key", "secret"))
    assert [u["emailAddress"] for u in users.json()["users"]][:2] == [
        "rep0@example.com",
        "rep1@example.com",
    ]
    assert denied.status_code == 401 and "requestId" in denied.json()
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"


async def test_token_names_customer_api_base_and_rotates_refresh(gong) -> None:
    fake, base = gong
    tokens = fake.oauth.issue_tokens()
    params = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    async with httpx.AsyncClient(base_url=base) as http:
        fresh = await http.post(
            "/oauth2/generate-customer-token",
            params=params,
            auth=("gong-client-id", "gong-client-secret"),
        )
        reused = await http.post(
            "/oauth2/generate-customer-token",
            params=params,
            auth=("gong-client-id", "gong-client-secret"),
        )
    assert fresh.json()["api_base_url_for_customer"] == base
    assert fresh.json()["refresh_token"] != tokens.refresh_token
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
