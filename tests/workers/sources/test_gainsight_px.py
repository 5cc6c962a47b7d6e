"""Gainsight PX against its fake over real HTTP: scroll-id pages, incremental, 429, keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.services.loading import saved_cursor
from tests.conftest import GraphQLClient
from tests.fakes.gainsight_px import GainsightPXFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import (
    create_connection,
    custom_job,
    default_job,
    drive,
    records,
)

T0 = 1_714_000_000_000  # epoch milliseconds, as PX writes dates
SAVE = """
mutation ($input: CreateConnectionInput!) {
  createConnection(input: $input) { userErrors { code message } }
}"""


@pytest.fixture
def px(point_connector: Any) -> Iterator[GainsightPXFake]:
    fake = GainsightPXFake(api_key="px-key-1")
    with FakeServer(fake.app) as server:
        point_connector("GAINSIGHT_PX", api_url=server.url)
        yield fake


def users(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "aptrinsicId": f"u-{i}",
            "email": f"user{i}@example.com",
            "accountId": f"a-{i % 7}",
            "lastModifiedDate": T0 + i * 1000,
        }
        for i in range(start, start + count)
    ]


async def test_users_scroll_through_pages_and_a_429_and_rerun_without_duplicates(
    admin: GraphQLClient, px: GainsightPXFake
) -> None:
    px.add_users(users(2100))
    connection = await create_connection(admin, "GAINSIGHT_PX", {"api_key": "px-key-1"})
    job = await default_job(connection, "users")
    px.rate_limited(retry_after=1)

    first = await drive(job)
    second = await drive(job)

    assert first.outcome.records_failed == 0
    assert first.outcome.records_read == second.outcome.records_read == 2100
    people = await records(admin, "person")
    assert len(people) == 2100
    assert {
        "external_id": "u-5",
        "email": "user5@example.com",
        "company_external_id": "a-5",
    } in people
    listing = [r for r in px.requests if r.path == "/v1/users"]
    assert all(r.headers["x-aptrinsic-api-key"] == "px-key-1" for r in listing)
    assert len([r for r in listing if "scrollId=" in r.query]) == 4  # 2 more pages, twice


async def test_incremental_accounts_resume_from_the_last_modified_date(
    admin: GraphQLClient, px: GainsightPXFake
) -> None:
    px.add_accounts(
        [{"id": f"A{i}", "name": f"Acme {i}", "lastModifiedDate": T0 + i} for i in range(30)]
    )
    connection = await create_connection(
        admin, "GAINSIGHT_PX", {"api_key": "px-key-1", "region": "EU"}
    )
    job = await custom_job(
        admin,
        connection,
        "accounts",
        "px_account",
        [("id", "id", True), ("name", "name", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    px.add_accounts([{"id": "A5", "name": "Acme renamed", "lastModifiedDate": T0 + 100}])
    second = await drive(job)

    assert first.outcome.records_read == 30 and saved_cursor(first.job) == T0 + 29
    assert second.outcome.records_read == 2  # the last one again (>=) and the change
    assert saved_cursor(second.job) == T0 + 100
    last = [r for r in px.requests if r.path == "/v1/accounts"][-1]
    assert (
        f"lastModifiedDate%3E%3D{T0 + 29}" in last.query and "sort=lastModifiedDate" in last.query
    )
    accounts = {r["id"]: r["name"] for r in await records(admin, "px_account")}
    assert len(accounts) == 30 and accounts["A5"] == "Acme renamed"


async def test_saving_checks_the_key_at_gainsight_px(
    admin: GraphQLClient, px: GainsightPXFake
) -> None:
    body = await admin.data(
        SAVE,
        input={"connectorKey": "GAINSIGHT_PX", "name": "PX", "settings": {"api_key": "wrong"}},
    )
    errors = body["createConnection"]["userErrors"]
    assert errors and errors[0]["code"] == "AUTHORIZATION_FAILED"
    assert "wrong" not in errors[0]["message"]
    assert px.requests[-1].headers["x-aptrinsic-api-key"] == "wrong"
