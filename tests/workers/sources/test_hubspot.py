"""HubSpot against its fake over real HTTP: list pages, incremental search, rate limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes import hubspot as fake_hubspot
from tests.fakes.hubspot import HubSpotFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers.sources import hubspot as hubspot_source
from workers.sync import SourceFailed

T0 = datetime(2024, 3, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp()) * 1000


@pytest.fixture
def hubspot(point_connector: Any) -> Iterator[HubSpotFake]:
    fake = HubSpotFake(client_id="hubspot-client", client_secret="hubspot-secret")
    with FakeServer(fake.app) as server:
        point_connector("HUBSPOT", api_url=server.url, token_url=server.url + "/oauth/v1/token")
        yield fake


async def connect(admin: GraphQLClient, fake: HubSpotFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="oauth crm.objects.companies.read")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await oauth_connection(admin, "HUBSPOT", values)


def companies(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "properties": {"name": f"Company {i}", "domain": f"c{i}.example"},
            "updatedAt": T0 + timedelta(seconds=i),
        }
        for i in range(start, start + count)
    ]


async def test_default_job_lists_every_page_through_faults_without_duplicates(
    admin: GraphQLClient, hubspot: HubSpotFake
) -> None:
    hubspot.add_records("companies", companies(250))
    connection = await connect(admin, hubspot)
    job = await default_job(connection, "companies")
    hubspot.rate_limited("SECONDLY")
    hubspot.faults.add(502, "Bad Gateway", path="/crm/")
    hubspot.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    loaded = await admin.data('query { records(object: "company", first: 1) { totalCount nodes } }')
    assert loaded["records"]["totalCount"] == 250
    assert set(loaded["records"]["nodes"][0]) == {"external_id", "name", "website"}
    assert first.outcome.records_read == second.outcome.records_read == 250
    listed = [r for r in hubspot.requests if r.path == "/crm/v3/objects/companies"]
    assert len([r for r in listed if "after=" in r.query]) >= 2  # three pages, twice
    assert len([r for r in hubspot.requests if r.path == "/oauth/v1/token"]) == 1


async def test_incremental_search_resumes_at_the_last_modified_time(
    admin: GraphQLClient, hubspot: HubSpotFake
) -> None:
    hubspot.add_records("companies", companies(250))
    connection = await connect(admin, hubspot)
    job = await custom_job(
        admin,
        connection,
        "companies",
        "hs_company",
        [("id", "id", True), ("name", "name", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-03-01T00:04:09.000Z"

    renamed = hubspot.records["companies"][3]
    renamed.properties["name"] = "Renamed"
    renamed.properties["hs_lastmodifieddate"] = "2024-03-02T00:00:00.000Z"
    hubspot.add_records("companies", companies(2, start=1000))
    second = await drive(job)

    names = {r["name"] for r in await records(admin, "hs_company")}
    assert first.outcome.records_read == 250
    assert second.outcome.records_read == 4  # the boundary record, the renamed, two new
    assert "Renamed" in names and "Company 3" not in names and len(names) == 252
    assert saved_cursor(second.job) == "2024-03-02T00:00:00.000Z"


@pytest.fixture
def low_cap(hubspot: HubSpotFake, monkeypatch: pytest.MonkeyPatch) -> int:
    """HubSpot's 10,000-result search cap, lowered on both sides so a test reaches it with a
    thousand records (at the 5 searches a second budget, 10,000 would take ten seconds)."""
    assert hubspot_source.SEARCH_CAP == fake_hubspot.SEARCH_CAP == 10_000  # as documented
    cap = 1_000
    hubspot.search_cap = cap
    monkeypatch.setattr(hubspot_source, "SEARCH_CAP", cap)
    return cap


async def test_incremental_search_restarts_at_the_result_cap(
    admin: GraphQLClient, hubspot: HubSpotFake, low_cap: int
) -> None:
    hubspot.add_records("companies", companies(low_cap + 150))
    connection = await connect(admin, hubspot)
    job = await custom_job(
        admin, connection, "companies", "hs_capped", [("id", "id", True)], mode="INCREMENTAL"
    )
    run = await drive(job)

    assert len(await records(admin, "hs_capped")) == low_cap + 150
    assert run.outcome.records_read == low_cap + 151  # the restart re-reads its boundary record
    assert saved_cursor(run.job) == "2024-03-01T00:19:09.000Z"  # second 1149
    bodies = [json.loads(r.body) for r in hubspot.requests if r.path.endswith("/search")]
    starts = [b for b in bodies if "after" not in b]
    assert len(starts) == 2 and "filterGroups" not in starts[0]  # the first run reads all
    restart = starts[1]["filterGroups"][0]["filters"][0]
    assert restart["operator"] == "GTE" and restart["value"] == str(T0_MS + 999_000)
    assert max(int(b.get("after", 0)) for b in bodies) < low_cap  # never a 400 at the cap


async def test_more_records_than_the_cap_sharing_one_time_fail_clearly(
    admin: GraphQLClient, hubspot: HubSpotFake, low_cap: int
) -> None:
    same = [{**c, "updatedAt": T0} for c in companies(low_cap + 10)]
    hubspot.add_records("companies", same)
    connection = await connect(admin, hubspot)
    job = await custom_job(
        admin, connection, "companies", "hs_same", [("id", "id", True)], mode="INCREMENTAL"
    )
    with pytest.raises(SourceFailed, match=r"share the modified time .* Run the job as FULL"):
        await drive(job)


async def test_the_daily_limit_ends_the_run_with_hubspots_message(
    admin: GraphQLClient, hubspot: HubSpotFake
) -> None:
    hubspot.add_records("companies", companies(3))
    connection = await connect(admin, hubspot)
    job = await default_job(connection, "companies")
    hubspot.rate_limited("DAILY")
    with pytest.raises(SourceFailed, match="daily limit"):
        await drive(job)


async def test_source_fields_are_hubspots_properties(
    admin: GraphQLClient, hubspot: HubSpotFake
) -> None:
    hubspot.define_property("companies", "tier", "Customer tier")
    connection = await connect(admin, hubspot)
    data = await admin.data(
        """query ($id: ID!) { connection(id: $id) {
             sourceObjects sourceFields(object: "companies") { name type } } }""",
        id=str(connection.id),
    )
    fields = {f["name"]: f["type"] for f in data["connection"]["sourceFields"]}
    assert fields["tier"] == "string" and fields["hs_lastmodifieddate"] == "datetime"
    assert "companies" in data["connection"]["sourceObjects"]
