"""ServiceNow against its fake over real HTTP: Table API pages by Link header, incremental on
sys_updated_on, 429 and 401, and the instance host check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.errors import InvalidInput
from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers import connection_tests
from workers.sources.servicenow import SOURCE
from workers.sources.source import Access, api_base

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def servicenow(point_connector: Any) -> Iterator[ServiceNowFake]:
    fake = ServiceNowFake(client_id="servicenow-client", client_secret="servicenow-secret")
    fake.max_limit = 2  # several pages of two
    with FakeServer(fake.app) as server:
        point_connector("SERVICENOW", api_url=server.url, token_url=server.url + "/oauth_token.do")
        yield fake


async def connect(admin: GraphQLClient, fake: ServiceNowFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="useraccount")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await oauth_connection(admin, "SERVICENOW", values, instance="acme")


def incidents(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "number": f"INC{i:07d}",
            "short_description": f"Printer {i} jammed",
            "state": "1",
            "sys_updated_on": T0 + timedelta(minutes=i),
        }
        for i in range(start, start + count)
    ]


async def test_default_job_loads_incidents_through_429_and_401_without_duplicates(
    admin: GraphQLClient, servicenow: ServiceNowFake
) -> None:
    servicenow.add_records("incident", incidents(5))
    connection = await connect(admin, servicenow)
    job = await default_job(connection, "incident")
    servicenow.rate_limited(retry_after=0)
    servicenow.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "ticket")
    assert sorted(r["subject"] for r in loaded) == [f"Printer {i} jammed" for i in range(5)]
    assert {r["status"] for r in loaded} == {"1"}
    assert first.outcome.records_read == second.outcome.records_read == 5
    assert len(loaded) == 5
    table = [r for r in servicenow.requests if r.path == "/api/now/table/incident"]
    assert len([r for r in table if "sysparm_offset" in r.query]) >= 4  # pages 2 and 3, twice
    assert len([r for r in servicenow.requests if r.path == "/oauth_token.do"]) == 1
    assert "ORDERBYsys_updated_on" in table[-1].query.replace("%5E", "^")


async def test_incremental_reads_from_the_saved_sys_updated_on(
    admin: GraphQLClient, servicenow: ServiceNowFake
) -> None:
    rows = servicenow.add_records("incident", incidents(3))
    user = servicenow.add_records("sys_user", [{"name": "Beth"}])[0]
    connection = await connect(admin, servicenow)
    job = await custom_job(
        admin,
        connection,
        "incident",
        "sn_incident",
        [("sys_id", "id", True), ("number", "number", False), ("caller_id", "caller", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-03-01 00:02:00"

    servicenow.add_records(
        "incident",
        [{**rows[0], "caller_id": user["sys_id"], "sys_updated_on": T0 + timedelta(hours=1)}],
    )
    servicenow.add_records("incident", incidents(1, start=70))
    second = await drive(job)

    loaded = {r["number"]: r for r in await records(admin, "sn_incident")}
    assert first.outcome.records_read == 3
    assert second.outcome.records_read == 3  # the boundary one again, the changed, the new
    assert sorted(loaded) == ["INC0000000", "INC0000001", "INC0000002", "INC0000070"]
    assert loaded["INC0000000"]["caller"] == user["sys_id"]  # a reference, as its sys_id
    assert saved_cursor(second.job) == "2024-03-01 01:10:00"
    query = [r for r in servicenow.requests if r.path == "/api/now/table/incident"][-1].query
    assert "sys_updated_on%3E%3D2024-03-01+01%3A10%3A00" not in query  # that is the next run
    assert "sys_updated_on%3E%3D2024-03-01+00%3A02%3A00" in query


async def test_instance_host_is_checked(settings: Any, point_connector: Any) -> None:
    point_connector("SERVICENOW", api_url=None)
    for typed in ("acme", "ACME.service-now.com", "https://acme.service-now.com/"):
        access = Access("SERVICENOW", "t", {"instance": typed})
        assert api_base(SOURCE, access) == "https://acme.service-now.com"
    for typed in ("evil.example.com#", "evil.example.com/x?", "a@evil.example.com:1"):
        with pytest.raises(InvalidInput, match="not an address of this system"):
            api_base(SOURCE, Access("SERVICENOW", "t", {"instance": typed}))


SOURCE_SCHEMA = """query ($id: ID!, $object: String!) { connection(id: $id) {
  sourceObjects sourceFields(object: $object) { name type label } } }"""


async def test_source_objects_and_fields_come_from_the_instances_dictionary(
    admin: GraphQLClient, servicenow: ServiceNowFake
) -> None:
    servicenow.define_table(
        "u_escalation", {"u_reason": "string", "u_opened": "date"}, extends="incident"
    )
    connection = await connect(admin, servicenow)

    data = await admin.data(SOURCE_SCHEMA, id=str(connection.id), object="u_escalation")
    assert {"incident", "task", "sys_user", "u_escalation"} <= set(
        data["connection"]["sourceObjects"]
    )
    fields = {f["name"]: f for f in data["connection"]["sourceFields"]}
    # Its own fields, incident's, task's, and the system fields of the base table.
    assert {"u_reason", "caller_id", "short_description", "sys_updated_on"} <= set(fields)
    assert fields["u_opened"]["type"] == "datetime" and fields["caller_id"]["type"] == "id"
    assert fields["sys_id"]["type"] == "id" and fields["number"]["label"] == "Number"
    assert "" not in fields  # the table's own collection entry is not a field
    dictionary = [r for r in servicenow.requests if r.path == "/api/now/table/sys_dictionary"]
    assert "nameINu_escalation,incident,task" in dictionary[-1].query.replace("%2C", ",")

    missing = await admin.execute(SOURCE_SCHEMA, id=str(connection.id), object="u_nope")
    (error,) = missing["errors"]
    assert "ServiceNow has no table 'u_nope'" in error["message"]


async def test_a_connection_test_asks_for_one_table_row(
    admin: GraphQLClient, servicenow: ServiceNowFake
) -> None:
    connection = await connect(admin, servicenow)
    seen = await connection_tests.probe(connection)
    tables = len(servicenow.rows["sys_db_object"])
    assert seen.message == f"ServiceNow answered: {tables} tables on the instance."
    (asked,) = [r for r in servicenow.requests if "sys_db_object" in r.path]
    assert "sysparm_limit=1" in asked.query
