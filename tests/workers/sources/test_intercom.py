"""Intercom against its fake over real HTTP: search pages with starting_after, incremental by
day, companies by scroll, a 429 waited out until X-RateLimit-Reset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.intercom import IntercomFake, unix
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers.sources import intercom
from workers.sync import SourceFailed

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def fake(point_connector: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[IntercomFake]:
    monkeypatch.setattr(intercom, "PER_PAGE", 3)  # several pages from a few records
    ic = IntercomFake(client_id="intercom-client", client_secret="intercom-secret")
    with FakeServer(ic.app) as server:
        point_connector("INTERCOM", api_url=server.url, token_url=server.url + "/auth/eagle/token")
        yield ic


async def connect(admin: GraphQLClient, ic: IntercomFake) -> Connection:
    return await oauth_connection(
        admin, "INTERCOM", {"access_token": ic.oauth.issue_tokens().access_token}
    )


def conversations(count: int, start: int = 0, day: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": str(1000 + i),
            "title": f"Question {i}",
            "state": "open",
            "updated_at": T0 + timedelta(days=day, minutes=i),
        }
        for i in range(start, start + count)
    ]


async def test_default_job_pages_search_through_a_429_without_duplicates(
    admin: GraphQLClient, fake: IntercomFake
) -> None:
    fake.add_conversations(conversations(7))
    connection = await connect(admin, fake)
    job = await default_job(connection, "conversations")
    fake.rate_limited(reset_in=1)

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "conversation")
    assert sorted(r["title"] for r in loaded) == [f"Question {i}" for i in range(7)]
    assert first.outcome.records_read == second.outcome.records_read == 7
    searches = [r for r in fake.requests if r.path == "/conversations/search"]
    assert len([r for r in searches if b"starting_after" in r.body]) == 4  # pages 2, 3; twice
    assert {r.headers.get("intercom-version") for r in searches} == {"2.11"}


async def test_incremental_contacts_start_at_the_saved_day(
    admin: GraphQLClient, fake: IntercomFake
) -> None:
    fake.add_contacts(
        [
            {"email": f"p{i}@example.com", "name": f"P{i}", "updated_at": T0 + timedelta(hours=i)}
            for i in range(4)
        ]
    )
    connection = await connect(admin, fake)
    job = await custom_job(
        admin,
        connection,
        "contacts",
        "ic_person",
        [("id", "id", True), ("email", "email", False), ("name", "name", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == unix(T0 + timedelta(hours=3))

    fake.add_contacts([{"email": "late@example.com", "updated_at": T0 + timedelta(days=3)}])
    second = await drive(job)

    assert first.outcome.records_read == 4
    # The whole saved day again (the search cannot ask for less), and the new one.
    assert second.outcome.records_read == 5
    assert len(await records(admin, "ic_person")) == 5
    assert saved_cursor(second.job) == unix(T0 + timedelta(days=3))
    nothing_new = await drive(job)
    assert nothing_new.outcome.records_read == 1  # the saved day holds only the late one


async def test_companies_scroll_until_an_empty_page(
    admin: GraphQLClient, fake: IntercomFake
) -> None:
    fake.add_companies([{"name": f"Co {i}", "website": f"co{i}.io"} for i in range(32)])
    connection = await connect(admin, fake)
    job = await default_job(connection, "companies")
    run = await drive(job)
    assert run.outcome.records_read == 32
    assert len(await records(admin, "company")) == 32
    assert len([r for r in fake.requests if r.path == "/companies/scroll"]) == 4


async def test_a_revoked_token_asks_for_reauthorization(
    admin: GraphQLClient, fake: IntercomFake
) -> None:
    fake.add_conversations(conversations(1))
    connection = await connect(admin, fake)
    job = await default_job(connection, "conversations")
    fake.oauth.revoke_grant()
    with pytest.raises(SourceFailed, match=r"Access Token Invalid.*Reauthorize"):
        await drive(job)
