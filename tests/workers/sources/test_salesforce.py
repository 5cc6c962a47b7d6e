"""Salesforce against its fake over real HTTP: SOQL pages, SystemModstamp increments, faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection, Job
from tests.conftest import GraphQLClient
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import (
    custom_job,
    default_job,
    drive,
    oauth_connection,
    records,
)
from workers.sync import SourceFailed, SourceUnavailable

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def salesforce(point_connector: Any) -> Iterator[SalesforceFake]:
    fake = SalesforceFake(client_id="sfdc-client", client_secret="sfdc-secret")
    # Account's standard fields the default job maps (the fake starts with fewer).
    standard = [("Name", "Account Name", "string"), ("Industry", "Industry", "picklist")]
    fake.define_object("Account", [*standard, ("Website", "Website", "url")], key_prefix="001")
    with FakeServer(fake.app) as server:
        point_connector("SFDC", api_url=server.url, token_url=server.url + "/services/oauth2/token")
        yield fake


async def connect(admin: GraphQLClient, fake: SalesforceFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="api refresh_token")
    return await oauth_connection(
        admin,
        "SFDC",
        {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""},
    )


def accounts(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"Name": f"Account {i}", "Industry": "Tech", "SystemModstamp": T0 + timedelta(minutes=i)}
        for i in range(start, start + count)
    ]


async def test_default_jobs_load_accounts_through_429_5xx_and_401_without_duplicates(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    salesforce.add_records("Account", accounts(5))
    salesforce.batch_size = 2
    connection = await connect(admin, salesforce)
    job = await default_job(connection, "Account")
    salesforce.faults.add(
        429, [{"message": "slow down", "errorCode": "X"}], headers={"Retry-After": "0"}
    )
    salesforce.faults.add(503, "Service Unavailable", path="/query/")
    salesforce.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "company")
    assert sorted(r["name"] for r in loaded) == [f"Account {i}" for i in range(5)]
    assert {r["industry"] for r in loaded} == {"Tech"}
    assert (first.outcome.records_read, first.outcome.records_written) == (5, 5)
    assert second.outcome.records_read == 5 and len(loaded) == 5
    assert first.activity.records_read == 5 and first.activity.records_written == 5
    refreshes = [r for r in salesforce.requests if r.path == "/services/oauth2/token"]
    assert len(refreshes) == 1
    assert len([r for r in salesforce.requests if "/query/" in r.path]) >= 3  # several pages


async def test_incremental_run_reads_from_the_saved_systemmodstamp(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    salesforce.add_records("Account", accounts(4))
    salesforce.batch_size = 2
    connection = await connect(admin, salesforce)
    job = await custom_job(
        admin,
        connection,
        "Account",
        "sf_account",
        [("Id", "id", True), ("Name", "name", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-03-01T00:03:00.000+0000"

    changed = salesforce.objects["Account"].records[1]
    changed["Name"], changed["SystemModstamp"] = "Renamed", T0 + timedelta(minutes=10)
    salesforce.add_records("Account", accounts(2, start=20))
    second = await drive(job)

    loaded = {r["name"] for r in await records(admin, "sf_account")}
    assert first.outcome.records_read == 4
    # The boundary record (same second as the cursor) is read again, the rest are new.
    assert second.outcome.records_read == 4
    assert loaded == {"Account 0", "Renamed", "Account 2", "Account 3", "Account 20", "Account 21"}
    assert saved_cursor(second.job) == "2024-03-01T00:21:00.000+0000"
    query = [r for r in salesforce.requests if r.path.endswith("/query")][-1]
    assert "SystemModstamp+%3E%3D+2024-03-01T00%3A03%3A00Z" in query.query


async def test_a_source_that_keeps_failing_keeps_loaded_pages_and_their_cursor(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    salesforce.add_records("Account", accounts(6))
    salesforce.batch_size = 2
    connection = await connect(admin, salesforce)
    job = await custom_job(
        admin, connection, "Account", "sf_failing", [("Id", "id", True)], mode="INCREMENTAL"
    )
    body = [{"message": "Server busy", "errorCode": "SERVER_UNAVAILABLE"}]
    salesforce.faults.add(503, body, path="/query/", times=50)

    with pytest.raises(SourceUnavailable, match="Server busy"):
        await drive(job)

    assert len(await records(admin, "sf_failing")) == 2
    assert saved_cursor(await Job.get(id=job.id)) == "2024-03-01T00:01:00.000+0000"


async def test_unmappable_records_are_counted_and_described(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    salesforce.add_records(
        "Contact",
        [{"LastName": "One", "Email": "one@x.io"}, {"LastName": "Two"}, {"LastName": "Three"}],
    )
    connection = await connect(admin, salesforce)
    job = await custom_job(
        admin,
        connection,
        "Contact",
        "sf_people",
        [("Email", "email", True), ("LastName", "n", False)],
    )
    run = await drive(job)

    assert (run.outcome.records_read, run.outcome.records_written) == (3, 1)
    assert run.outcome.records_failed == 2
    assert run.outcome.failures[0] == "record 2: the key field 'Email' is missing"
    assert "could not be loaded" in run.outcome.message
    assert [r["email"] for r in await records(admin, "sf_people")] == ["one@x.io"]


async def test_a_bad_field_is_the_sources_own_message(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    connection = await connect(admin, salesforce)
    job = await custom_job(admin, connection, "Account", "sf_bad", [("Nope", "x", True)])
    with pytest.raises(SourceFailed, match="No such column 'Nope'"):
        await drive(job)


async def test_source_objects_and_fields_come_from_describe(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    salesforce.define_object("Invoice__c", [("Total__c", "Total", "currency")])
    connection = await connect(admin, salesforce)
    data = await admin.data(
        """query ($id: ID!) { connection(id: $id) {
             sourceObjects sourceFields(object: "Invoice__c") { name label type } } }""",
        id=str(connection.id),
    )
    assert "Invoice__c" in data["connection"]["sourceObjects"]
    fields = {f["name"]: f for f in data["connection"]["sourceFields"]}
    assert fields["Total__c"] == {"name": "Total__c", "label": "Total", "type": "number"}
    assert fields["SystemModstamp"]["type"] == "datetime"
