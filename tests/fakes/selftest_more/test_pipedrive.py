"""The Pipedrive fake keeps v2 cursors, v1 start/limit, its errors and rate-limit headers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.pipedrive import PipedriveFake
from tests.fakes.server import FakeServer

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def pd() -> Iterator[tuple[PipedriveFake, str]]:
    fake = PipedriveFake()
    fake.add_records(
        "persons", [{"name": f"P{i}", "update_time": T0 + timedelta(minutes=i)} for i in range(5)]
    )
    fake.add_records(
        "notes", [{"content": f"N{i}", "update_time": T0 + timedelta(minutes=i)} for i in range(3)]
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_token_endpoint_wants_basic_and_names_api_domain(pd) -> None:
    fake, base = pd
    tokens = fake.oauth.issue_tokens()
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    basic = base64.b64encode(b"pipedrive-client:pipedrive-secret").decode()
    async with httpx.AsyncClient(base_url=base) as http:
        refreshed = await http.post(
            "/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"}
        )
        posted = await http.post(
            "/oauth/token",
            data={**form, "client_id": "pipedrive-client", "client_secret": "pipedrive-secret"},
        )
    assert refreshed.json()["api_domain"] == base
    assert posted.status_code == 401


async def test_v2_cursor_and_v1_start_limit(pd) -> None:
    fake, base = pd
    headers = {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        params = {
            "limit": "2",
            "sort_by": "update_time",
            "sort_direction": "asc",
            "updated_since": "2024-03-01T00:01:00Z",
        }
        first = (await http.get("/api/v2/persons", params=params)).json()
        cursor = first["additional_data"]["next_cursor"]
        second = (await http.get("/api/v2/persons", params={**params, "cursor": cursor})).json()
        notes = (
            await http.get(
                "/api/v1/notes", params={"start": "0", "limit": "2", "sort": "update_time ASC"}
            )
        ).json()
        rest = (await http.get("/api/v1/notes", params={"start": "2", "limit": "2"})).json()
        too_many = await http.get("/api/v2/persons", params={"limit": "501"})
    assert [p["name"] for p in first["data"]] == ["P1", "P2"]
    assert first["data"][0]["update_time"] == "2024-03-01T00:01:00Z"
    assert [p["name"] for p in second["data"]] == ["P3", "P4"]
    assert second["additional_data"]["next_cursor"] is None
    assert notes["data"][0]["update_time"] == "2024-03-01 00:00:00"
    assert notes["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    assert rest["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert too_many.status_code == 400 and too_many.json()["success"] is False


async def test_unauthorized_and_over_limit(pd) -> None:
    fake, base = pd
    token = fake.oauth.issue_tokens().access_token
    async with httpx.AsyncClient(base_url=base) as http:
        fake.over_limit(reset=2)
        limited = await http.get("/api/v2/deals", headers={"Authorization": f"Bearer {token}"})
        fake.oauth.expire_access_token(token)
        expired = await http.get("/api/v2/deals", headers={"Authorization": f"Bearer {token}"})
    assert limited.status_code == 429 and limited.headers["x-ratelimit-reset"] == "2"
    assert "retry-after" not in limited.headers
    assert expired.status_code == 401 and expired.json()["error"] == "unauthorized access"
