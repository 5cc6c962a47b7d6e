"""The Intercom fake keeps Intercom's search paging, day-granular timestamps and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.intercom import IntercomFake, unix
from tests.fakes.server import FakeServer

DAY1 = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def ic() -> Iterator[tuple[IntercomFake, str]]:
    fake = IntercomFake()
    fake.add_conversations(
        [{"title": f"C{i}", "updated_at": DAY1 + timedelta(hours=10 * i)} for i in range(6)]
    )
    fake.add_contacts([{"email": f"p{i}@example.com", "updated_at": DAY1} for i in range(3)])
    fake.add_companies([{"name": f"Co{i}"} for i in range(20)])
    with FakeServer(fake.app) as server:
        yield fake, server.url


def _headers(fake: IntercomFake, version: str = "2.11") -> dict[str, str]:
    token = fake.oauth.issue_tokens().access_token
    return {"Authorization": f"Bearer {token}", "Intercom-Version": version}


async def test_search_pages_with_starting_after(ic) -> None:
    fake, base = ic
    body = {
        "query": {"field": "updated_at", "operator": ">", "value": 0},
        "pagination": {"per_page": 4},
        "sort": {"field": "updated_at", "order": "ascending"},
    }
    async with httpx.AsyncClient(base_url=base, headers=_headers(fake)) as http:
        first = (await http.post("/conversations/search", json=body)).json()
        after = first["pages"]["next"]["starting_after"]
        body["pagination"]["starting_after"] = after
        second = (await http.post("/conversations/search", json=body)).json()
    assert first["type"] == "conversation.list" and first["total_count"] == 6
    assert [c["title"] for c in first["conversations"]] == ["C0", "C1", "C2", "C3"]
    assert isinstance(first["conversations"][0]["updated_at"], int)
    assert [c["title"] for c in second["conversations"]] == ["C4", "C5"]
    assert "next" not in second["pages"]


async def test_timestamps_compare_by_day(ic) -> None:
    fake, base = ic
    # 15:00 on day 1 is floored to midnight: "> day 1" leaves out all of day 1.
    body = {"query": {"field": "updated_at", "operator": ">", "value": unix(DAY1) + 6 * 3600}}
    async with httpx.AsyncClient(base_url=base, headers=_headers(fake)) as http:
        found = (await http.post("/conversations/search", json=body)).json()
        contacts = (await http.post("/contacts/search", json=body)).json()
    assert [c["title"] for c in found["conversations"]] == ["C2", "C3", "C4", "C5"]
    assert contacts["type"] == "list" and contacts["data"] == []


async def test_scroll_companies_until_empty(ic) -> None:
    fake, base = ic
    names: list[str] = []
    async with httpx.AsyncClient(base_url=base, headers=_headers(fake)) as http:
        page = (await http.get("/companies/scroll")).json()
        while page["data"]:
            names += [c["name"] for c in page["data"]]
            page = (
                await http.get("/companies/scroll", params={"scroll_param": page["scroll_param"]})
            ).json()
    assert len(names) == 20


async def test_errors_rate_limit_headers_and_version(ic) -> None:
    fake, base = ic
    async with httpx.AsyncClient(base_url=base) as http:
        bad = await http.post("/contacts/search", json={}, headers={"Authorization": "Bearer x"})
        wrong_version = await http.post("/contacts/search", json={}, headers=_headers(fake, "9"))
        fake.rate_limited(reset_in=3)
        limited = await http.post("/contacts/search", json={}, headers=_headers(fake))
        ok = await http.post("/contacts/search", json={}, headers=_headers(fake))
    assert bad.status_code == 401
    assert bad.json()["type"] == "error.list"
    assert bad.json()["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    assert wrong_version.status_code == 400
    assert limited.status_code == 429 and "retry-after" not in limited.headers
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > datetime.now(UTC).timestamp()
    assert ok.status_code == 200 and "x-ratelimit-limit" in ok.headers
    assert "2.11" in fake.versions_seen


async def test_token_has_no_refresh_and_no_expiry(ic) -> None:
    fake, base = ic
    assert fake.oauth.issue_tokens().refresh_token is None
    async with httpx.AsyncClient(base_url=base) as http:
        me = await http.get("/me", headers=_headers(fake))
    assert me.json()["type"] == "admin"
