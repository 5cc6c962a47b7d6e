"""The Zendesk fake keeps Zendesk's incremental export rules, auth forms and error bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake

START = datetime(2024, 1, 1, tzinfo=UTC)
API = ("agent@example.com/token", "api-token-1")


@pytest.fixture(scope="module")
def zd() -> Iterator[tuple[ZendeskFake, str]]:
    fake = ZendeskFake()
    fake.add_api_token("agent@example.com", "api-token-1")
    fake.add_tickets(
        [{"subject": f"T{i}", "updated_at": START + timedelta(minutes=i)} for i in range(5)]
    )
    fake.add_tickets([{"subject": "just now", "updated_at": datetime.now(UTC)}])
    fake.add_organizations(
        [{"name": f"O{i}", "updated_at": START + timedelta(minutes=i // 2)} for i in range(4)]
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_cursor_export_pages_and_leaves_out_the_last_minute(zd) -> None:
    _, base = zd
    start = int(START.timestamp())
    async with httpx.AsyncClient(base_url=base, auth=API) as http:
        first = (
            await http.get(
                "/api/v2/incremental/tickets/cursor.json",
                params={"start_time": start, "per_page": 3},
            )
        ).json()
        second = (await http.get(first["after_url"].replace(base, ""))).json()
    assert [t["subject"] for t in first["tickets"]] == ["T0", "T1", "T2"]
    assert first["end_of_stream"] is False and first["after_cursor"]
    assert [t["subject"] for t in second["tickets"]] == ["T3", "T4"]
    assert second["end_of_stream"] is True and second["after_cursor"]


async def test_too_recent_start_time_is_422(zd) -> None:
    _, base = zd
    async with httpx.AsyncClient(base_url=base, auth=API) as http:
        answer = await http.get(
            "/api/v2/incremental/users/cursor.json", params={"start_time": int(time.time()) - 5}
        )
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidValue"
    assert answer.json()["description"].startswith("Too recent start_time")


async def test_time_based_organizations_repeat_the_boundary_timestamp(zd) -> None:
    _, base = zd
    async with httpx.AsyncClient(base_url=base, auth=API) as http:
        first = (
            await http.get(
                "/api/v2/incremental/organizations.json",
                params={"start_time": int(START.timestamp()), "per_page": 1},
            )
        ).json()
        second = (await http.get(first["next_page"].replace(base, ""))).json()
    assert first["count"] == 2 and first["end_of_stream"] is False
    assert first["end_time"] == int(START.timestamp())
    assert [o["name"] for o in second["organizations"]][:2] == ["O0", "O1"]


async def test_oauth_bearer_refresh_and_revoke_current(zd) -> None:
    fake, base = zd
    tokens = fake.oauth.issue_tokens(scope="read")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": "zd-client-id",
        "client_secret": "zd-client-secret",
        "scope": "read",
    }
    async with httpx.AsyncClient(base_url=base) as http:
        refreshed = (await http.post("/oauth/tokens", json=form)).json()
        bearer = {"Authorization": f"Bearer {refreshed['access_token']}"}
        path = "/api/v2/incremental/organizations.json"
        params = {"start_time": 0}
        ok = await http.get(path, params=params, headers=bearer)
        gone = await http.delete("/api/v2/oauth/tokens/current.json", headers=bearer)
        after = await http.get(path, params=params, headers=bearer)
        no_auth = await http.get(path, params=params)
    assert {"refresh_token", "expires_in", "refresh_token_expires_in"} <= set(refreshed)
    assert ok.status_code == 200 and gone.status_code == 204
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"
    assert no_auth.json() == {"error": "Couldn't authenticate you"}


async def test_rate_limit_has_retry_after(zd) -> None:
    fake, base = zd
    fake.rate_limited(retry_after=2)
    async with httpx.AsyncClient(base_url=base, auth=API) as http:
        answer = await http.get("/api/v2/incremental/organizations.json", params={"start_time": 0})
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert answer.text == "Number of allowed API requests per minute exceeded"
