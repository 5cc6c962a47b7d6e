"""Freshdesk against its fake over real HTTP: the key checked at save, Link-header pages, the
30-day ticket window, updated_since increments, 429 with Retry-After, a replaced key on 401."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from models import credentials
from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.freshdesk import FreshdeskFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import (
    CREATE_CONNECTION,
    custom_job,
    default_job,
    drive,
    records,
)
from workers.sync import SourceFailed

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def freshdesk(point_connector: Any) -> Iterator[FreshdeskFake]:
    fake = FreshdeskFake(api_key="fd-key")
    fake.per_page_cap = 2  # several pages of two
    with FakeServer(fake.app) as server:
        point_connector("FRESHDESK", api_url=server.url)
        yield fake


async def save(admin: GraphQLClient, api_key: str, domain: str = "acme") -> dict[str, Any]:
    data = await admin.data(
        CREATE_CONNECTION,
        input={
            "connectorKey": "FRESHDESK",
            "name": "Helpdesk",
            "settings": {"domain": domain, "api_key": api_key},
        },
    )
    return data["createConnection"]


async def connect(admin: GraphQLClient) -> Connection:
    payload = await save(admin, "fd-key", domain="https://ACME.freshdesk.com/")
    assert not payload["userErrors"], payload["userErrors"]
    return await Connection.get(id=payload["connection"]["id"])


def tickets(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"subject": f"Ticket {i}", "status": 2, "updated_at": T0 + timedelta(minutes=i)}
        for i in range(start, start + count)
    ]


async def test_the_key_is_checked_when_the_connection_is_saved(
    admin: GraphQLClient, freshdesk: FreshdeskFake
) -> None:
    refused = await save(admin, "wrong-key")
    connection = await connect(admin)

    assert refused["connection"] is None
    assert refused["userErrors"][0]["code"] == "AUTHORIZATION_FAILED"
    assert "You have to be logged in" in refused["userErrors"][0]["message"]
    assert connection.status.value == "ACTIVE"
    assert connection.source_account == "acme.freshdesk.com"
    built_in = {j.source_object for j in await connection.jobs.all()}  # type: ignore[attr-defined]
    assert built_in == {"tickets", "contacts", "companies"}


async def test_default_job_reads_old_tickets_through_pages_and_a_429_without_duplicates(
    admin: GraphQLClient, freshdesk: FreshdeskFake
) -> None:
    freshdesk.add_tickets(tickets(5))  # older than 30 days: only updated_since reaches them
    connection = await connect(admin)
    job = await default_job(connection, "tickets")
    freshdesk.rate_limited(retry_after=0)

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "ticket")
    assert sorted(r["subject"] for r in loaded) == [f"Ticket {i}" for i in range(5)]
    assert (first.outcome.records_read, first.outcome.records_written) == (5, 5)
    assert second.outcome.records_read == 5 and len(loaded) == 5
    pages = [unquote(r.query) for r in freshdesk.requests if r.path == "/api/v2/tickets"]
    assert sum("&page=" in q for q in pages) == 4  # pages 2 and 3 of both runs, by Link header
    assert all("updated_since=1970-01-01T00:00:00Z" in q for q in pages)
    assert all(r.headers["authorization"].startswith("Basic ") for r in freshdesk.requests)


async def test_incremental_contacts_use_underscore_updated_since(
    admin: GraphQLClient, freshdesk: FreshdeskFake
) -> None:
    freshdesk.add_contacts(
        [
            {"name": f"C{i}", "email": f"c{i}@x.io", "updated_at": T0 + timedelta(minutes=i)}
            for i in range(3)
        ]
    )
    connection = await connect(admin)
    job = await custom_job(
        admin,
        connection,
        "contacts",
        "fd_contact",
        [("id", "id", True), ("email", "email", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    freshdesk.add_contacts(
        [{"name": "New", "email": "new@x.io", "updated_at": T0 + timedelta(hours=1)}]
    )
    second = await drive(job)

    assert saved_cursor(first.job) == "2024-03-01T00:02:00Z"
    assert second.outcome.records_read == 2  # the boundary contact again, and the new one
    assert saved_cursor(second.job) == "2024-03-01T01:00:00Z"
    assert len(await records(admin, "fd_contact")) == 4
    last = unquote([r.query for r in freshdesk.requests if r.path == "/api/v2/contacts"][-1])
    assert "_updated_since=2024-03-01T00:02:00Z" in last


async def test_a_replaced_key_is_read_again_after_a_401_and_a_dead_key_fails(
    admin: GraphQLClient, freshdesk: FreshdeskFake
) -> None:
    freshdesk.add_companies([{"name": "Acme"}])
    connection = await connect(admin)
    job = await default_job(connection, "companies")
    freshdesk.api_key = "rotated-key"
    # An admin saved the new key while the run was about to start.
    connection.secrets = {
        **connection.secrets,
        **credentials.seal_all(connection, {"api_key": "rotated-key"}),
    }
    await connection.save(update_fields=["secrets"])
    run = await drive(job)
    freshdesk.api_key = "another-key"

    assert run.outcome.records_read == 1
    with pytest.raises(SourceFailed, match="You have to be logged in"):
        await drive(job)
