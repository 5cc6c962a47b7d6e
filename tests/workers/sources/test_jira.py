"""Jira against its fake over real HTTP: JQL pages by nextPageToken, projects by startAt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

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
    assert "updated >= 1709251320000 ORDER BY updated ASC" in unquote_plus(last.query)


async def test_incremental_bound_holds_for_a_user_west_of_utc(
    admin: GraphQLClient, jira: JiraFake
) -> None:
    # JQL reads a quoted "yyyy-MM-dd HH:mm" in the user's zone: a UTC minute written there
    # would mean 16:02 UTC here and skip everything changed in between.
    jira.user_timezone = "America/Los_Angeles"
    jira.add_issues("OPS", issues(3))
    connection = await connect(admin, jira)
    job = await custom_job(
        admin, connection, "issues", "jira_west", [("id", "id", True)], mode="INCREMENTAL"
    )
    await drive(job)
    jira.add_issues("OPS", issues(2, start=30))  # half an hour after the saved cursor
    second = await drive(job)

    assert second.outcome.records_read == 3  # the cursor's own issue again, and the two new
    assert saved_cursor(second.job) == "2024-03-01T00:31:00.000+0000"
    assert len(await records(admin, "jira_west")) == 5


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


async def test_users_page_by_start_at(admin: GraphQLClient, jira: JiraFake) -> None:
    jira.add_users([{"displayName": f"Agent {i}", "emailAddress": f"a{i}@x.io"} for i in range(60)])
    jira.users[7]["active"] = False
    connection = await connect(admin, jira)
    job = await custom_job(
        admin,
        connection,
        "users",
        "jira_user",
        [("accountId", "id", True), ("displayName", "name", False), ("active", "active", False)],
    )
    run = await drive(job)

    loaded = {r["name"]: r for r in await records(admin, "jira_user")}
    assert run.outcome.records_read == 60 and len(loaded) == 60
    assert loaded["Agent 7"]["active"] is False and loaded["Agent 8"]["active"] is True
    asked = [r.query for r in jira.requests if r.path.endswith("/rest/api/3/users/search")]
    assert [a for a in asked if "startAt=50" in a] and len(asked) == 2
