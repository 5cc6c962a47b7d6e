"""BigQuery against its fake over real HTTP: JWT grant, jobs.query, getQueryResults pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.bigquery import BigQueryFake, error_body
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import create_connection, custom_job, drive, records

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
EMAIL = "loader@acme-analytics.iam.gserviceaccount.com"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()
FIELDS = [("id", "INTEGER"), ("name", "STRING"), ("updated_at", "TIMESTAMP")]


@pytest.fixture
def bigquery(point_connector: Any) -> Iterator[BigQueryFake]:
    fake = BigQueryFake(page_rows=10)
    fake.add_service_account(EMAIL, KEY.public_key())
    with FakeServer(fake.app) as server:
        point_connector("BIGQUERY", api_url=server.url, token_url=server.url + "/token")
        yield fake


def rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": f"Row {i}", "updated_at": T0 + dt.timedelta(minutes=i)}
        for i in range(start, start + count)
    ]


async def connect(admin: GraphQLClient, fake: BigQueryFake) -> Connection:
    key = {
        "type": "service_account",
        "project_id": fake.project_id,
        "client_email": EMAIL,
        "private_key": PEM,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    settings = {
        "project_id": fake.project_id,
        "dataset": "crm",
        "location": "US",
        "service_account_json": json.dumps(key),
    }
    return await create_connection(admin, "BIGQUERY", settings)


async def test_pages_load_through_faults_without_duplicates(
    admin: GraphQLClient, bigquery: BigQueryFake
) -> None:
    bigquery.add_table("crm", "accounts", FIELDS, rows(25))
    connection = await connect(admin, bigquery)
    assert connection.source_account == bigquery.project_id
    job = await custom_job(
        admin, connection, "accounts", "bq_rows", [("id", "id", True), ("name", "name", False)]
    )
    bigquery.pending_polls = 1
    bigquery.faults.add(
        429, error_body(429, "rateLimitExceeded", "Too many requests"), path="/bigquery/"
    )
    bigquery.faults.add(503, error_body(503, "backendError", "Backend error"), path="/queries/")
    bigquery.faults.add(401, error_body(401, "authError", "Invalid Credentials"), path="/queries")

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "bq_rows")
    assert len(loaded) == 25 and {r["id"] for r in loaded} == set(range(25))
    assert first.outcome.records_read == second.outcome.records_read == 25
    assert len([r for r in bigquery.requests if "pageToken=" in r.query]) == 4
    # the check on save, the first run, again after its 401, the second run
    assert len([r for r in bigquery.requests if r.path == "/token"]) == 4


async def test_incremental_query_starts_at_the_saved_updated_at(
    admin: GraphQLClient, bigquery: BigQueryFake
) -> None:
    table = bigquery.add_table("crm", "events", FIELDS, rows(5))
    connection = await connect(admin, bigquery)
    job = await custom_job(
        admin, connection, "events", "bq_inc", [("id", "id", True)], mode="INCREMENTAL"
    )
    first = await drive(job)
    table.rows += rows(2, start=100)
    second = await drive(job)

    assert saved_cursor(first.job) == "2024-03-01T00:04:00+00:00"
    assert second.outcome.records_read == 3
    assert len(await records(admin, "bq_inc")) == 7


async def test_tables_and_columns_come_from_bigquery(
    admin: GraphQLClient, bigquery: BigQueryFake
) -> None:
    bigquery.add_table("crm", "accounts", FIELDS, rows(1))
    connection = await connect(admin, bigquery)
    data = await admin.data(
        """query ($id: ID!) { connection(id: $id) {
             sourceObjects sourceFields(object: "accounts") { name type } } }""",
        id=str(connection.id),
    )
    assert data["connection"]["sourceObjects"] == ["accounts"]
    assert [f["type"] for f in data["connection"]["sourceFields"]] == [
        "integer",
        "string",
        "datetime",
    ]
