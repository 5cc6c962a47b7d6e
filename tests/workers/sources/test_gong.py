"""Gong against its fake over real HTTP: calls by date range with cursors, incremental on the
start time, an empty range, users, a 429 and a 401 that refreshes once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.gong import GongFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers.sync import SourceFailed

T0 = datetime(2024, 2, 1, tzinfo=UTC)


@pytest.fixture
def gong(point_connector: Any) -> Iterator[GongFake]:
    fake = GongFake(client_id="gong_io-client", client_secret="gong_io-secret")
    fake.page_size = 2
    with FakeServer(fake.app) as server:
        point_connector(
            "GONG_IO", api_url=server.url, token_url=server.url + "/oauth2/generate-customer-token"
        )
        yield fake


async def connect(admin: GraphQLClient, fake: GongFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="api:calls:read:basic api:users:read")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    extras = {"api_base_url_for_customer": "https://us-4321.api.gong.io"}
    return await oauth_connection(admin, "GONG_IO", values, extras)


def calls(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": str(7000 + i), "title": f"Discovery {i}", "started": T0 + timedelta(hours=i)}
        for i in range(start, start + count)
    ]


async def test_default_job_pages_calls_through_429_and_401_without_duplicates(
    admin: GraphQLClient, gong: GongFake
) -> None:
    gong.add_calls(calls(5))
    connection = await connect(admin, gong)
    job = await default_job(connection, "calls")
    gong.rate_limited(retry_after=0)
    gong.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "call")
    assert sorted(r["title"] for r in loaded) == [f"Discovery {i}" for i in range(5)]
    assert loaded[0]["started_at"].endswith("Z")
    assert first.outcome.records_read == second.outcome.records_read == 5
    assert len(loaded) == 5
    pages = [r for r in gong.requests if r.path == "/v2/calls" and "cursor=" in r.query]
    assert len(pages) == 4  # pages 2 and 3, twice
    refreshes = [r for r in gong.requests if r.path == "/oauth2/generate-customer-token"]
    assert len(refreshes) == 1


async def test_incremental_calls_start_at_the_saved_start_time(
    admin: GraphQLClient, gong: GongFake
) -> None:
    gong.add_calls(calls(3))
    connection = await connect(admin, gong)
    job = await custom_job(
        admin,
        connection,
        "calls",
        "gong_call",
        [("id", "id", True), ("title", "title", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-02-01T02:00:00Z"
    gong.add_calls(calls(2, start=10))
    second = await drive(job)

    assert first.outcome.records_read == 3
    assert second.outcome.records_read == 3  # the boundary call again, and two new ones
    assert len(await records(admin, "gong_call")) == 5
    assert saved_cursor(second.job) == "2024-02-01T11:00:00Z"
    asked = [r for r in gong.requests if r.path == "/v2/calls" and "fromDateTime" in r.query]
    assert parse_qs(asked[-1].query)["fromDateTime"] == ["2024-02-01T02:00:00Z"]

    nothing = await custom_job(
        admin, connection, "calls", "gong_none", [("id", "id", True)], mode="INCREMENTAL"
    )
    gong.calls.clear()  # Gong answers an empty range with 404 "No calls found"
    empty = await drive(nothing)
    assert empty.outcome.records_read == 0 and saved_cursor(empty.job) is None


async def test_users_page_with_cursor(admin: GraphQLClient, gong: GongFake) -> None:
    gong.add_users(
        [{"emailAddress": f"rep{i}@example.com", "firstName": f"Rep {i}"} for i in range(5)]
    )
    connection = await connect(admin, gong)
    job = await custom_job(
        admin,
        connection,
        "users",
        "gong_user",
        [("id", "id", True), ("emailAddress", "email", False)],
    )
    run = await drive(job)
    assert run.outcome.records_read == 5
    assert len(await records(admin, "gong_user")) == 5


async def test_a_404_without_gongs_shape_is_a_failure_not_an_empty_range(
    admin: GraphQLClient, gong: GongFake
) -> None:
    gong.add_calls(calls(2))
    connection = await connect(admin, gong)
    job = await default_job(connection, "calls")
    # A proxy's (or a wrong base address's) 404 says nothing about calls: the run must fail
    # instead of loading nothing and looking fine.
    gong.faults.add(404, "<html>Not Found</html>", path="/v2/calls")
    with pytest.raises(SourceFailed, match=r"refused the request \(404\)"):
        await drive(job)
    gong.faults.add(404, {"errors": ["No calls found corresponding to the provided filters"]})
    with pytest.raises(SourceFailed, match="No calls found"):  # no requestId: not Gong's
        await drive(job)
