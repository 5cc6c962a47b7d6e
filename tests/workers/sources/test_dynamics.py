"""Dynamics 365 against its Dataverse fake over real HTTP: OData nextLink pages, modifiedon
increments, service protection 429, and 401 -> one refresh at the Microsoft token endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.dynamics import DynamicsFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers import connection_tests
from workers.sync import SourceFailed

T0 = datetime(2024, 3, 1, tzinfo=UTC)
TOKEN_PATH = "/organizations/oauth2/v2.0/token"


@pytest.fixture
def dynamics(point_connector: Any) -> Iterator[DynamicsFake]:
    fake = DynamicsFake()
    fake.page_size = 2  # several pages of two
    with FakeServer(fake.app) as server:
        point_connector("DYNAMICS", api_url=server.url, token_url=server.url + TOKEN_PATH)
        yield fake


async def connect(admin: GraphQLClient, fake: DynamicsFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="https://contoso.crm.dynamics.com/user_impersonation")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await oauth_connection(
        admin, "DYNAMICS", values, environment_url="https://contoso.crm.dynamics.com"
    )


def accounts(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Account {i}",
            "websiteurl": f"https://a{i}.example",
            "modifiedon": T0 + timedelta(minutes=i),
        }
        for i in range(start, start + count)
    ]


def queries(fake: DynamicsFake, entity_set: str) -> list[str]:
    return [unquote_plus(r.query) for r in fake.requests if r.path.endswith("/" + entity_set)]


async def test_default_job_pages_through_429_and_401_without_duplicates(
    admin: GraphQLClient, dynamics: DynamicsFake
) -> None:
    dynamics.add_records("accounts", accounts(5))
    connection = await connect(admin, dynamics)
    job = await default_job(connection, "accounts")
    dynamics.service_protection_limit(retry_after=0)
    dynamics.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "company")
    assert sorted(r["name"] for r in loaded) == [f"Account {i}" for i in range(5)]
    assert loaded[0]["website"].startswith("https://a")
    assert (first.outcome.records_read, first.outcome.records_written) == (5, 5)
    assert second.outcome.records_read == 5 and len(loaded) == 5
    assert (
        len([r for r in dynamics.oauth.token_requests if r["grant_type"] == "refresh_token"]) == 1
    )
    pages = [r for r in dynamics.requests if r.path.endswith("/accounts")]
    assert len(pages) >= 2 * 3 + 2  # three pages a run, the 429 and the 401 on the way
    assert {r.headers.get("prefer") for r in pages} == {"odata.maxpagesize=5000"}
    assert "$skiptoken=" in pages[-1].query


async def test_incremental_run_filters_on_modifiedon(
    admin: GraphQLClient, dynamics: DynamicsFake
) -> None:
    dynamics.add_records(
        "contacts",
        [
            {
                "firstname": f"C{i}",
                "emailaddress1": f"c{i}@x.io",
                "modifiedon": T0 + timedelta(minutes=i),
            }
            for i in range(4)
        ],
    )
    connection = await connect(admin, dynamics)
    job = await custom_job(
        admin,
        connection,
        "contacts",
        "dyn_contact",
        [("contactid", "id", True), ("emailaddress1", "email", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-03-01T00:03:00Z"

    changed = dynamics.sets["contacts"].rows[1]
    changed["emailaddress1"], changed["modifiedon"] = "renamed@x.io", T0 + timedelta(minutes=9)
    second = await drive(job)

    assert first.outcome.records_read == 4
    assert second.outcome.records_read == 2  # the boundary row again, and the changed one
    assert saved_cursor(second.job) == "2024-03-01T00:09:00Z"
    emails = {r["email"] for r in await records(admin, "dyn_contact")}
    assert emails == {"c0@x.io", "renamed@x.io", "c2@x.io", "c3@x.io"}
    last = queries(dynamics, "contacts")[-1]  # the second run: one page
    assert "$filter=modifiedon ge 2024-03-01T00:03:00Z" in last
    assert (
        "$orderby=modifiedon asc" in last and "$select=contactid,emailaddress1,modifiedon" in last
    )


async def test_an_unknown_column_is_dataverses_own_message(
    admin: GraphQLClient, dynamics: DynamicsFake
) -> None:
    connection = await connect(admin, dynamics)
    job = await custom_job(admin, connection, "accounts", "dyn_bad", [("nope", "x", True)])
    with pytest.raises(SourceFailed, match="Could not find a property named 'nope'"):
        await drive(job)


SOURCE_SCHEMA = """query ($id: ID!, $object: String!) { connection(id: $id) {
  sourceObjects sourceFields(object: $object) { name type label } } }"""


async def test_source_objects_and_fields_are_dataverses_table_definitions(
    admin: GraphQLClient, dynamics: DynamicsFake
) -> None:
    dynamics.define_table(
        "new_projects", "new_project", {"new_name": "String", "new_budget": "Money"}
    )
    connection = await connect(admin, dynamics)

    data = await admin.data(SOURCE_SCHEMA, id=str(connection.id), object="contacts")
    objects = data["connection"]["sourceObjects"]
    assert {"accounts", "contacts", "new_projects"} <= set(objects)
    assert "accountleadscollection" not in objects  # private: not readable as rows
    fields = {f["name"]: f for f in data["connection"]["sourceFields"]}
    assert fields["contactid"]["type"] == "id" and fields["modifiedon"]["type"] == "datetime"
    assert fields["_parentcustomerid_value"]["type"] == "id"  # a lookup, named as it is read
    assert fields["emailaddress1"] == {
        "name": "emailaddress1",
        "type": "string",
        "label": "Emailaddress1",
    }

    custom = await admin.data(SOURCE_SCHEMA, id=str(connection.id), object="new_projects")
    types = {f["name"]: f["type"] for f in custom["connection"]["sourceFields"]}
    assert types["new_budget"] == "number" and types["new_projectid"] == "id"
    asked = [r.path for r in dynamics.requests if "EntityDefinitions" in r.path]
    assert "/api/data/v9.2/EntityDefinitions(LogicalName='new_project')/Attributes" in asked


async def test_describing_a_table_dataverse_does_not_have_is_a_clear_error(
    admin: GraphQLClient, dynamics: DynamicsFake
) -> None:
    connection = await connect(admin, dynamics)
    answer = await admin.execute(SOURCE_SCHEMA, id=str(connection.id), object="nopes")
    (error,) = answer["errors"]
    assert (
        "Dynamics 365 said: Dataverse has no table with the entity set 'nopes'" in error["message"]
    )


async def test_a_connection_test_is_one_who_am_i(
    admin: GraphQLClient, dynamics: DynamicsFake
) -> None:
    connection = await connect(admin, dynamics)
    seen = await connection_tests.probe(connection)
    assert "organization f7c1b2a0-52f5-4d1f-9a1e-0a7b2c1d3e4f" in seen.message
    assert [r.path for r in dynamics.requests] == ["/api/data/v9.2/WhoAmI"]
