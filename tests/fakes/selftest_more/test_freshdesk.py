"""The Freshdesk fake keeps Freshdesk's auth, Link-header paging, filters and rate headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.freshdesk import FreshdeskFake
from tests.fakes.server import FakeServer

OLD = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def fd() -> Iterator[tuple[FreshdeskFake, str]]:
    fake = FreshdeskFake()
    fake.add_tickets(
        [{"subject": f"old {i}", "updated_at": OLD + timedelta(hours=i)} for i in range(5)]
    )
    fake.add_tickets([{"subject": "recent"}])
    fake.add_contacts([{"name": "C", "email": "c@x.io", "updated_at": OLD}])
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_api_key_as_basic_user_and_the_30_day_window(fd) -> None:
    fake, base = fd
    async with httpx.AsyncClient(base_url=base) as http:
        denied = await http.get("/api/v2/tickets", auth=("wrong", "X"))
        recent = await http.get("/api/v2/tickets", auth=(fake.api_key, "X"))
        me = await http.get("/api/v2/agents/me", auth=(fake.api_key, "X"))
    assert denied.status_code == 401 and denied.json()["code"] == "invalid_credentials"
    assert [t["subject"] for t in recent.json()] == ["recent"]
    assert {"x-ratelimit-total", "x-ratelimit-remaining", "x-ratelimit-used-currentrequest"} <= set(
        recent.headers
    )
    assert me.json()["contact"]["email"] == "ada@acme.io"


async def test_updated_since_pages_with_the_link_header(fd) -> None:
    fake, base = fd
    params = {
        "updated_since": "2024-01-01T01:00:00Z",
        "order_by": "updated_at",
        "order_type": "asc",
        "per_page": "2",
    }
    async with httpx.AsyncClient(base_url=base, auth=(fake.api_key, "X")) as http:
        first = await http.get("/api/v2/tickets", params=params)
        second = await http.get(first.links["next"]["url"])
        last = await http.get(second.links["next"]["url"])
        too_big = await http.get("/api/v2/tickets", params={"per_page": "101"})
        unknown = await http.get("/api/v2/contacts", params={"updated_since": "2024-01-01"})
        contacts = await http.get(
            "/api/v2/contacts", params={"_updated_since": "2023-12-31T00:00:00Z"}
        )
    assert [t["subject"] for t in first.json()] == ["old 1", "old 2"]
    assert first.json()[0]["updated_at"] == "2024-01-01T01:00:00Z"
    assert [t["subject"] for t in last.json()] == ["recent"] and "next" not in last.links
    assert too_big.status_code == 400 and too_big.json()["errors"][0]["field"] == "per_page"
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "invalid_field"
    assert [c["name"] for c in contacts.json()] == ["C"]


async def test_rate_limited_answers_429_with_retry_after(fd) -> None:
    fake, base = fd
    fake.rate_limited(retry_after=7)
    async with httpx.AsyncClient(base_url=base, auth=(fake.api_key, "X")) as http:
        limited = await http.get("/api/v2/companies")
        after = await http.get("/api/v2/companies")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert after.status_code == 200
