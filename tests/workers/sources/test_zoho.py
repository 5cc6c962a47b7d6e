"""Zoho CRM against its fake over real HTTP: the API host from the token's api_domain,
page_token pages, If-Modified-Since increments (304 when nothing changed), 429, 401 -> refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import save_cursor, saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.zoho import ZohoFake
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def zoho(point_connector: Any) -> Iterator[tuple[ZohoFake, str]]:
    fake = ZohoFake()
    fake.max_per_page = 2  # several pages of two
    with FakeServer(fake.app) as server:
        # No api_url override: the API host is the one the token response named.
        point_connector("ZOHO", api_url=None, token_url=server.url + "/oauth/v2/token")
        yield fake, server.url


async def connect(admin: GraphQLClient, fake: ZohoFake, api_domain: str) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="ZohoCRM.modules.READ")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    extras = {"api_domain": api_domain}
    return await oauth_connection(admin, "ZOHO", values, extras, data_centre="eu")


def accounts(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "Account_Name": f"Account {i}",
            "Website": f"a{i}.example",
            "Modified_Time": T0 + timedelta(minutes=i),
        }
        for i in range(start, start + count)
    ]


async def test_default_job_pages_by_page_token_through_429_and_401(
    admin: GraphQLClient, zoho: tuple[ZohoFake, str]
) -> None:
    fake, base = zoho
    fake.add_records("Accounts", accounts(5))
    connection = await connect(admin, fake, base)
    job = await default_job(connection, "Accounts")
    fake.too_many_requests()
    fake.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "company")
    assert sorted(r["name"] for r in loaded) == [f"Account {i}" for i in range(5)]
    assert (first.outcome.records_read, first.outcome.records_written) == (5, 5)
    assert second.outcome.records_read == 5 and len(loaded) == 5
    assert len([r for r in fake.oauth.token_requests if r["grant_type"] == "refresh_token"]) == 1
    pages = [r for r in fake.requests if r.path == "/crm/v8/Accounts"]
    assert all(r.headers["authorization"].startswith("Zoho-oauthtoken ") for r in pages)
    assert sum("page_token=" in r.query for r in pages) >= 4  # pages 2 and 3 of both runs
    assert "fields=Account_Name%2CWebsite%2CModified_Time" in pages[-1].query


async def test_incremental_run_sends_if_modified_since_and_compares_offsets(
    admin: GraphQLClient, zoho: tuple[ZohoFake, str]
) -> None:
    fake, base = zoho
    fake.add_records(
        "Contacts",
        [
            {
                "Email": f"c{i}@x.io",
                "Last_Name": f"C{i}",
                "Modified_Time": T0 + timedelta(minutes=i),
            }
            for i in range(3)
        ],
    )
    connection = await connect(admin, fake, base)
    job = await custom_job(
        admin,
        connection,
        "Contacts",
        "zoho_contact",
        [("id", "id", True), ("Email", "email", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-03-01T05:32:00+05:30"  # the org's own offset

    nothing = await drive(job)  # nothing newer: 304 apart from the boundary second
    fake.add_records(
        "Contacts",
        [{"Email": "new@x.io", "Last_Name": "N", "Modified_Time": T0 + timedelta(hours=1)}],
    )
    third = await drive(job)

    assert first.outcome.records_read == 3
    assert nothing.outcome.records_read == 1  # only the boundary record, read again
    assert third.outcome.records_read == 2
    assert saved_cursor(third.job) == "2024-03-01T06:30:00+05:30"
    sent = [
        r.headers.get("if-modified-since") for r in fake.requests if r.path == "/crm/v8/Contacts"
    ]
    assert sent[0] is None and sent[-1] == "2024-03-01T05:31:59+05:30"
    assert len({r["email"] for r in await records(admin, "zoho_contact")}) == 4


async def test_an_empty_module_is_an_empty_run_and_metadata_lists_fields(
    admin: GraphQLClient, zoho: tuple[ZohoFake, str]
) -> None:
    fake, base = zoho
    connection = await connect(admin, fake, base)
    job = await default_job(connection, "Contacts")
    run = await drive(job)  # 204 No Content
    fake.add_records("Leads", [{"Email": "l@x.io", "Modified_Time": T0}])
    leads = await custom_job(
        admin, connection, "Leads", "zoho_lead", [("id", "id", True)], mode="INCREMENTAL"
    )
    await save_cursor(leads, "2024-06-01T00:00:00+05:30")
    unchanged = await drive(leads)  # 304 Not Modified
    data = await admin.data(
        """query ($id: ID!) { connection(id: $id) {
             sourceObjects sourceFields(object: "Deals") { name label type } } }""",
        id=str(connection.id),
    )
    assert run.outcome.records_read == 0 and unchanged.outcome.records_read == 0
    assert saved_cursor(unchanged.job) == "2024-06-01T00:00:00+05:30"
    leads_sent = [r.headers.get("if-modified-since") for r in fake.requests if "Leads" in r.path]
    assert leads_sent == ["2024-05-31T23:59:59+05:30"]  # answered 304: read as an empty page
    assert set(data["connection"]["sourceObjects"]) >= {"Accounts", "Contacts", "Deals", "Leads"}
    fields = {f["name"]: f for f in data["connection"]["sourceFields"]}
    assert fields["Amount"] == {"name": "Amount", "label": "Amount", "type": "number"}
    assert fields["Modified_Time"]["type"] == "datetime"
