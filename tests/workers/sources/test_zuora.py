"""Zuora against its fake over real HTTP: token grant, ZOQL pages, incremental, 429, 401."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import credentials
from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.zuora import ZuoraFake
from tests.workers.sources.conftest import (
    create_connection,
    custom_job,
    default_job,
    drive,
    records,
)

T0 = datetime(2024, 6, 1, tzinfo=UTC)
SETTINGS = {
    "environment": "EU Sandbox",
    "client_id": "zuora-client",
    "client_secret": "zuora-secret",
}
SAVE = """
mutation ($input: CreateConnectionInput!) {
  createConnection(input: $input) { userErrors { code message } }
}"""
REAUTHORIZE = """
mutation ($id: ID!, $settings: JSON) {
  reauthorizeConnection(id: $id, settings: $settings) { userErrors { code message } }
}"""


@pytest.fixture
def zuora(point_connector: Any) -> Iterator[ZuoraFake]:
    fake = ZuoraFake(client_id="zuora-client", client_secret="zuora-secret")
    with FakeServer(fake.app) as server:
        point_connector("ZUORA", api_url=server.url)
        yield fake


def accounts(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"Name": f"Acme {i}", "Balance": i, "UpdatedDate": T0 + timedelta(seconds=(i * 7) % 5000)}
        for i in range(start, start + count)
    ]


def token_requests(fake: ZuoraFake) -> int:
    return len([r for r in fake.requests if r.path == "/oauth/token"])


async def test_accounts_page_through_query_more_a_429_and_a_401_without_duplicates(
    admin: GraphQLClient, zuora: ZuoraFake
) -> None:
    zuora.add_records("Account", accounts(4500))
    connection = await create_connection(admin, "ZUORA", SETTINGS)
    job = await default_job(connection, "Account")
    zuora.rate_limited(retry_after=1)

    first = await drive(job)
    zuora.oauth.expire_access_token()  # the stored token dies: a 401, one new token, go on
    second = await drive(job)

    assert first.outcome.records_read == second.outcome.records_read == 4500
    companies = await records(admin, "company")
    assert len(companies) == 4500
    assert {"zuora_id", "name", "balance"} == set(companies[0])
    queries = [r for r in zuora.requests if r.path.startswith("/v1/action/")]
    assert len([r for r in queries if r.path.endswith("queryMore")]) == 4  # 2 more, twice
    assert all(r.headers["authorization"].startswith("Bearer ") for r in queries)
    # One token for the check at save (not stored), one stored for the first run, one after 401.
    assert token_requests(zuora) == 3
    row = await Connection.get(id=connection.id)
    assert credentials.tokens(row)["access_token"] in zuora.oauth.access_tokens
    assert row.token_expires_at is None  # not the refresh sweep's business


async def test_incremental_reads_from_the_greatest_updated_date_once_the_result_is_read(
    admin: GraphQLClient, zuora: ZuoraFake
) -> None:
    zuora.add_records(
        "Invoice",
        [
            {
                "InvoiceNumber": f"INV-{i}",
                "Amount": 10.5,
                "UpdatedDate": T0 + timedelta(minutes=(7 - i)),
            }
            for i in range(8)
        ],
    )
    connection = await create_connection(admin, "ZUORA", SETTINGS)
    job = await custom_job(
        admin,
        connection,
        "Invoice",
        "zuora_invoice",
        [("Id", "id", True), ("InvoiceNumber", "number", False), ("Amount", "amount", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    zuora.add_records(
        "Invoice", [{"InvoiceNumber": "INV-new", "UpdatedDate": T0 + timedelta(hours=1)}]
    )
    second = await drive(job)

    assert first.outcome.records_read == 8
    assert saved_cursor(first.job) == "2024-05-31T16:07:00.000-08:00"  # T0+7min, tenant time
    assert second.outcome.records_read == 2  # the newest again (>=), and the new one
    assert saved_cursor(second.job) == "2024-05-31T17:00:00.000-08:00"
    zoql = [r for r in zuora.requests if r.path == "/v1/action/query"][-1].body.decode()
    assert "UpdatedDate >= '2024-05-31T16:07:00-08:00'" in zoql and "select " in zoql
    assert len(await records(admin, "zuora_invoice")) == 9


async def test_bad_client_credentials_are_refused_at_save_and_keep_old_ones(
    admin: GraphQLClient, zuora: ZuoraFake
) -> None:
    body = await admin.data(
        SAVE,
        input={
            "connectorKey": "ZUORA",
            "name": "Billing",
            "settings": {**SETTINGS, "client_secret": "nope"},
        },
    )
    errors = body["createConnection"]["userErrors"]
    assert errors[0]["code"] == "AUTHORIZATION_FAILED" and "nope" not in errors[0]["message"]

    connection = await create_connection(admin, "ZUORA", SETTINGS)
    refused = await admin.data(
        REAUTHORIZE, id=str(connection.id), settings={**SETTINGS, "client_secret": "wrong"}
    )
    assert refused["reauthorizeConnection"]["userErrors"][0]["code"] == "AUTHORIZATION_FAILED"
    row = await Connection.get(id=connection.id)
    assert credentials.secret_settings(row)["client_secret"] == "zuora-secret"
