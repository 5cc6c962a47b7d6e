"""Jira against its fake over real HTTP: JQL pages by nextPageToken, projects by startAt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.jira import JiraFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def jira(point_connector: Any) -> Iterator[JiraFake]:
    fake = JiraFake(client_id="jira-client", client_secret="jira-secret")
    with FakeServer(fake.app) as server:
        point_connector("JIRA", api_url=server.url, token_url=server.url + "/oauth/token")
        yield fake


async def connect(admin: GraphQLClient, fake: JiraFake) -> Connection:
    tokens = fake.oauth.issue_tokens(scope="read:jira-work read:jira-user offline_access")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await oauth_connection(
        admin, "JIRA", values, {"cloud_id": fake.cloud_id}, site_url=fake.site_url
    )


def issues(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"summary": f"Issue {i}", "status": "Done", "updated": T0 + timedelta(minutes=i)}
        for i in range(start, start + count)
    ]


async def test_default_job_pages_issues_through_faults_without_duplicates(
    admin: GraphQLClient, jira: JiraFake
) -> None:
    jira.add_issues("OPS", issues(250))
    connection = await connect(admin, jira)
    job = await default_job(connection, "issues")
    jira.rate_limited(retry_after=1)
    jira.faults.add(500, {"errorMessages": ["Internal server error"], "errors": {}})
    jira.oauth.expire_access_token()

    first = await drive(job)
    second = await drive(job)

    tickets = await records(admin, "ticket")
    assert len(tickets) == 250 and first.outcome.records_read == second.outcome.records_read
    assert {t["status"] for t in tickets} == {"Done"}
    searches = [r for r in jira.requests if r.path.endswith("/search/jql")]
    assert all(r.path.startswith(f"/ex/jira/{jira.cloud_id}/") for r in searches)
    assert len([r for r in searches if "nextPageToken" in r.query]) == 4
    assert len([r for r in jira.requests if r.path == "/oauth/token"]) == 1


async def test_incremental_search_starts_at_the_saved_minute(
    admin: GraphQLClient, jira: JiraFake
) -> None:
    jira.add_issues("OPS", issues(3))
    connection = await connect(admin, jira)
    job = await custom_job(
        admin,
        connection,
        "issues",
        "jira_issue",
        [("id", "id", True), ("summary", "summary", False), ("project", "project", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    jira.issues[0].fields["summary"] = "Changed"
    jira.issues[0].updated = T0 + timedelta(hours=1)
    jira.add_issues("OPS", issues(1, start=90))
    second = await drive(job)

    assert saved_cursor(first.job) == "2024-03-01T00:02:00.000+0000"
    assert second.outcome.records_read == 3  # the saved minute, the changed, the new
    loaded = {r["summary"]: r for r in await records(admin, "jira_issue")}
    assert set(loaded) == {"Changed", "Issue 1", "Issue 2", "Issue 90"}
    assert loaded["Changed"]["project"] == "OPS"
    last = [r for r in jira.requests if r.path.endswith("/search/jql")][-1]
    assert "%222024-03-01+00%3A02%22" in last.query


async def test_projects_page_by_start_at(admin: GraphQLClient, jira: JiraFake) -> None:
    for number in range(55):
        jira.add_project(f"P{number}")
    connection = await connect(admin, jira)
    job = await custom_job(
        admin, connection, "projects", "jira_project", [("id", "id", True), ("key", "key", False)]
    )
    run = await drive(job)
    assert run.outcome.records_read == 55
    assert len(await records(admin, "jira_project")) == 55
