"""Zendesk against its fake over real HTTP: cursor and time-based incremental exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.zendesk import ZendeskFake
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers.sources.errors import RepeatedCursor

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def zendesk(point_connector: Any) -> Iterator[ZendeskFake]:
    fake = ZendeskFake(client_id="zendesk-client", client_secret="zendesk-secret")
    with FakeServer(fake.app) as server:
        point_connector("ZENDESK", api_url=server.url, token_url=server.url + "/oauth/tokens")
        yield fake


async def connect(admin: GraphQLClient, fake: ZendeskFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="read")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await oauth_connection(admin, "ZENDESK", values, subdomain="acme")


def items(count: int, start: int = 0, **fields: Any) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "subject": f"Ticket {i}", "status": "open", "name": f"Item {i}", **fields}
        | {"updated_at": fields.get("updated_at", T0 + timedelta(seconds=i))}
        for i in range(start, start + count)
    ]


async def test_ticket_export_pages_through_faults_and_reruns_without_duplicates(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    zendesk.add_tickets(items(2500))
    connection = await connect(admin, zendesk)
    job = await default_job(connection, "tickets")
    zendesk.rate_limited(retry_after=1)
    zendesk.faults.add(503, "Service Unavailable", path="/api/v2/incremental/")
    zendesk.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    tickets = await admin.data('query { records(object: "ticket", first: 1) { totalCount } }')
    assert tickets["records"]["totalCount"] == 2500
    assert first.outcome.records_read == second.outcome.records_read == 2500
    exports = [r for r in zendesk.requests if "/incremental/tickets/" in r.path]
    assert len([r for r in exports if "cursor=" in r.query]) == 4  # two more pages, twice
    assert len([r for r in zendesk.requests if r.path == "/oauth/tokens"]) == 1


async def test_incremental_users_resume_from_the_saved_export_cursor(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    zendesk.add_users(items(3))
    connection = await connect(admin, zendesk)
    job = await custom_job(
        admin,
        connection,
        "users",
        "zd_user",
        [("id", "id", True), ("name", "name", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    zendesk.add_users(items(2, start=100))
    second = await drive(job)

    assert first.outcome.records_read == 3 and second.outcome.records_read == 2
    assert saved_cursor(second.job) != saved_cursor(first.job)
    assert len(await records(admin, "zd_user")) == 5
    resumed = [r for r in zendesk.requests if "/incremental/users/" in r.path][-1]
    assert "cursor=" in resumed.query and "start_time" not in resumed.query


async def test_incremental_organizations_resume_from_end_time(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    zendesk.add_organizations(items(3))
    connection = await connect(admin, zendesk)
    job = await custom_job(
        admin,
        connection,
        "organizations",
        "zd_org",
        [("id", "id", True), ("name", "n", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    zendesk.add_organizations(items(1, start=50))
    second = await drive(job)

    assert saved_cursor(first.job) == int((T0 + timedelta(seconds=2)).timestamp())
    assert second.outcome.records_read == 2  # the one at the saved end_time, and the new one
    assert len(await records(admin, "zd_org")) == 4


async def test_a_time_export_that_cannot_move_on_stops_instead_of_looping(
    admin: GraphQLClient, zendesk: ZendeskFake
) -> None:
    zendesk.add_organizations(items(1001, updated_at=T0))  # more than a page, one timestamp
    connection = await connect(admin, zendesk)
    job = await custom_job(admin, connection, "organizations", "zd_org_loop", [("id", "id", True)])
    with pytest.raises(RepeatedCursor, match="same pages again"):
        await drive(job)
    assert len(await records(admin, "zd_org_loop")) == 1001
