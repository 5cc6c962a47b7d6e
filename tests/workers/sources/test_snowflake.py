"""Snowflake against its fake over real HTTP: key-pair JWT, partitions, incremental table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.snowflake import SnowflakeFake
from tests.workers.sources.conftest import create_connection, custom_job, drive, records

T0 = dt.datetime(2024, 3, 1)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()
COLUMNS = [("ID", "NUMBER(38,0)"), ("NAME", "VARCHAR(100)"), ("UPDATED_AT", "TIMESTAMP_NTZ")]


@pytest.fixture
def snowflake(point_connector: Any) -> Iterator[SnowflakeFake]:
    fake = SnowflakeFake(partition_rows=10)
    fake.add_user("LOADER", KEY.public_key())
    with FakeServer(fake.app) as server:
        point_connector("SNOWFLAKE", api_url=server.url)
        yield fake


def rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"ID": i, "NAME": f"Row {i}", "UPDATED_AT": T0 + dt.timedelta(minutes=i)}
        for i in range(start, start + count)
    ]


async def connect(admin: GraphQLClient) -> Connection:
    settings = {
        "account": "myorg-myaccount",
        "warehouse": "WH",
        "database": "ANALYTICS",
        "schema": "PUBLIC",
        "user": "loader",
        "private_key": PEM,
    }
    return await create_connection(admin, "SNOWFLAKE", settings)


async def test_partitions_load_through_faults_without_duplicates(
    admin: GraphQLClient, snowflake: SnowflakeFake
) -> None:
    snowflake.add_table("ANALYTICS", "PUBLIC", "ACCOUNTS", COLUMNS, rows(25))
    connection = await connect(admin)
    assert connection.source_account == "MYORG-MYACCOUNT"
    job = await custom_job(
        admin, connection, "ACCOUNTS", "sf_rows", [("ID", "id", True), ("NAME", "name", False)]
    )
    snowflake.faults.add(429, path="/api/v2/statements")
    snowflake.faults.add(503, {"code": "000000", "message": "Service unavailable"})
    snowflake.faults.add(401, {"code": "390144", "message": "JWT token is invalid."})

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "sf_rows")
    assert len(loaded) == 25 and {r["id"] for r in loaded} == set(range(25))
    assert first.outcome.records_read == second.outcome.records_read == 25
    partitions = [r for r in snowflake.requests if "partition=" in r.query]
    assert len(partitions) == 4  # partitions 1 and 2, twice


async def test_incremental_run_starts_at_the_saved_updated_at(
    admin: GraphQLClient, snowflake: SnowflakeFake
) -> None:
    table = snowflake.add_table("ANALYTICS", "PUBLIC", "EVENTS", COLUMNS, rows(5))
    connection = await connect(admin)
    job = await custom_job(
        admin, connection, "EVENTS", "sf_inc", [("ID", "id", True)], mode="INCREMENTAL"
    )
    first = await drive(job)
    table.rows += rows(2, start=100)
    second = await drive(job)

    assert saved_cursor(first.job) == "2024-03-01T00:04:00"
    assert second.outcome.records_read == 3  # the saved one again, two new
    assert len(await records(admin, "sf_inc")) == 7


async def test_tables_and_columns_come_from_snowflake(
    admin: GraphQLClient, snowflake: SnowflakeFake
) -> None:
    snowflake.add_table("ANALYTICS", "PUBLIC", "ACCOUNTS", COLUMNS, rows(1))
    connection = await connect(admin)
    data = await admin.data(
        """query ($id: ID!) { connection(id: $id) {
             sourceObjects sourceFields(object: "ACCOUNTS") { name type } } }""",
        id=str(connection.id),
    )
    assert data["connection"]["sourceObjects"] == ["ACCOUNTS"]
    assert data["connection"]["sourceFields"] == [
        {"name": "ID", "type": "integer"},
        {"name": "NAME", "type": "string"},
        {"name": "UPDATED_AT", "type": "datetime"},
    ]
