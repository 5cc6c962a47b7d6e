"""Pipedrive against its fake over real HTTP: v2 cursor pages, v1 start/limit pages for notes,
update_time increments, a 429 that names its wait in x-ratelimit-reset, 401 -> one refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.pipedrive import PipedriveFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def pipedrive(point_connector: Any) -> Iterator[PipedriveFake]:
    fake = PipedriveFake()
    fake.max_limit = 2  # several pages of two
    with FakeServer(fake.app) as server:
        point_connector("PIPEDRIVE", api_url=server.url, token_url=server.url + "/oauth/token")
        yield fake


async def connect(admin: GraphQLClient, fake: PipedriveFake) -> Connection:
    tokens = fake.oauth.issue_tokens()
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    extras = {"api_domain": "https://acme.pipedrive.com"}  # the api_url override stands in
    return await oauth_connection(admin, "PIPEDRIVE", values, extras)


def persons(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Person {i}",
            "emails": [
                {"value": f"p{i}@home.io", "primary": False, "label": "home"},
                {"value": f"p{i}@work.io", "primary": True, "label": "work"},
            ],
            "update_time": T0 + timedelta(minutes=i),
        }
        for i in range(start, start + count)
    ]


async def test_default_job_pages_by_cursor_through_429_and_401(
    admin: GraphQLClient, pipedrive: PipedriveFake
) -> None:
    pipedrive.add_records("persons", persons(5))
    connection = await connect(admin, pipedrive)
    job = await default_job(connection, "persons")
    pipedrive.over_limit(reset=0)
    pipedrive.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = sorted(await records(admin, "person"), key=lambda r: r["name"])
    assert [r["name"] for r in loaded] == [f"Person {i}" for i in range(5)]
    assert loaded[0]["email"] == "p0@work.io"  # the primary one of the list
    assert (first.outcome.records_read, first.outcome.records_written) == (5, 5)
    assert second.outcome.records_read == 5 and len(loaded) == 5
    refreshes = [r for r in pipedrive.oauth.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1
    pages = [r for r in pipedrive.requests if r.path == "/api/v2/persons"]
    assert sum("cursor=" in r.query for r in pages) == 4  # pages 2 and 3 of both runs
    assert all("limit=500" in r.query for r in pages)


async def test_incremental_v2_run_asks_for_updated_since(
    admin: GraphQLClient, pipedrive: PipedriveFake
) -> None:
    pipedrive.add_records(
        "deals",
        [
            {"title": f"Deal {i}", "value": 100 * i, "update_time": T0 + timedelta(minutes=i)}
            for i in range(3)
        ],
    )
    connection = await connect(admin, pipedrive)
    job = await custom_job(
        admin,
        connection,
        "deals",
        "pd_deal",
        [("id", "id", True), ("title", "title", False), ("value", "value", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    pipedrive.entities["deals"][0].update(title="Deal zero", update_time=T0 + timedelta(hours=1))
    second = await drive(job)

    assert saved_cursor(first.job) == "2024-03-01T00:02:00Z"
    assert second.outcome.records_read == 2  # the boundary deal again, and the changed one
    assert saved_cursor(second.job) == "2024-03-01T01:00:00Z"
    assert {r["title"] for r in await records(admin, "pd_deal")} == {
        "Deal zero",
        "Deal 1",
        "Deal 2",
    }
    last = [r for r in pipedrive.requests if r.path == "/api/v2/deals"][-1]
    assert "updated_since=2024-03-01T00%3A02%3A00Z" in last.query
    assert "sort_by=update_time" in last.query and "sort_direction=asc" in last.query


async def test_notes_page_by_start_and_limit_on_v1(
    admin: GraphQLClient, pipedrive: PipedriveFake
) -> None:
    pipedrive.add_records(
        "notes",
        [{"content": f"Note {i}", "update_time": T0 + timedelta(minutes=i)} for i in range(5)],
    )
    connection = await connect(admin, pipedrive)
    job = await custom_job(
        admin,
        connection,
        "notes",
        "pd_note",
        [("id", "id", True), ("content", "content", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    pipedrive.add_records(
        "notes", [{"content": "Note new", "update_time": T0 + timedelta(hours=2)}]
    )
    second = await drive(job)

    assert first.outcome.records_read == 5
    assert saved_cursor(first.job) == "2024-03-01 00:04:00"  # v1 writes times its own way
    assert second.outcome.records_read == 2
    assert saved_cursor(second.job) == "2024-03-01 02:00:00"
    assert len(await records(admin, "pd_note")) == 6
    starts = [r.query for r in pipedrive.requests if r.path == "/api/v1/notes"]
    assert sum("start=2" in q or "start=4" in q for q in starts) == 2
    assert "updated_since=2024-03-01T00%3A04%3A00Z" in starts[-1]
