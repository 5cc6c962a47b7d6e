"""The Jira fake keeps Atlassian's 3LO, gateway, enhanced JQL search and error shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.jira import JiraFake
from tests.fakes.oauth import browser_consent
from tests.fakes.server import FakeServer

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BASIC = ("me@example.com", "atl-api-token")


@pytest.fixture(scope="module")
def jira() -> Iterator[tuple[JiraFake, str]]:
    fake = JiraFake()
    fake.add_api_token(*BASIC)
    fake.add_issues(
        "ENG", [{"summary": f"S{i}", "updated": START + timedelta(minutes=i)} for i in range(5)]
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_3lo_rotating_refresh_and_accessible_resources(jira) -> None:
    fake, base = jira
    url = fake.authorize_url(base, scope="read:jira-work offline_access", state="x")
    async with httpx.AsyncClient(base_url=base) as http:
        missing_audience = await http.get(url.replace("audience=api.atlassian.com&", ""))
        consent = await browser_consent(http, url)
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        creds = {"client_id": "atl-client-id", "client_secret": "atl-client-secret"}
        token = (
            await http.post(
                "/oauth/token",
                json={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": fake.oauth.redirect_uri,
                    **creds,
                },
            )
        ).json()
        refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], **creds}
        rotated = (await http.post("/oauth/token", json=refresh)).json()
        reused = await http.post("/oauth/token", json=refresh)
        bearer = {"Authorization": f"Bearer {rotated['access_token']}"}
        sites = (await http.get("/oauth/token/accessible-resources", headers=bearer)).json()
    assert missing_audience.status_code == 400
    assert token["expires_in"] == 3600 and rotated["refresh_token"] != token["refresh_token"]
    assert reused.status_code == 403
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token.",
    }
    assert sites[0]["id"] == fake.cloud_id and sites[0]["url"] == fake.site_url
    assert "read:jira-work" in sites[0]["scopes"]


async def test_search_jql_pages_with_next_page_token(jira) -> None:
    fake, base = jira
    bearer = {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}
    path = f"/ex/jira/{fake.cloud_id}/rest/api/3/search/jql"
    jql = 'updated >= "2024-03-01 12:01" ORDER BY updated ASC'
    async with httpx.AsyncClient(base_url=base, headers=bearer) as http:
        first = (
            await http.post(
                path, json={"jql": jql, "maxResults": 3, "fields": ["summary", "updated"]}
            )
        ).json()
        second = (
            await http.get(
                path,
                params={
                    "jql": jql,
                    "maxResults": 3,
                    "fields": "summary",
                    "nextPageToken": first["nextPageToken"],
                },
            )
        ).json()
        ids_only = (await http.get(path, params={"jql": jql})).json()
        unbounded = await http.get(path, params={"jql": "ORDER BY updated ASC"})
    assert [i["fields"]["summary"] for i in first["issues"]] == ["S1", "S2", "S3"]
    assert first["isLast"] is False and first["issues"][0]["key"] == "ENG-2"
    assert first["issues"][0]["fields"]["updated"] == "2024-03-01T12:01:00.000+0000"
    assert [i["fields"]["summary"] for i in second["issues"]] == ["S4"] and second["isLast"] is True
    assert ids_only["issues"][0] == {"id": "10001"}
    assert unbounded.status_code == 400 and unbounded.json()["errors"] == {}


async def test_jql_time_is_in_the_users_time_zone(jira) -> None:
    fake, base = jira
    fake.user_timezone = "Europe/Berlin"  # UTC+1 in March
    try:
        async with httpx.AsyncClient(base_url=base, auth=BASIC) as http:
            found = (
                await http.get(
                    "/rest/api/3/search/jql", params={"jql": 'updated >= "2024-03-01 13:03"'}
                )
            ).json()
    finally:
        fake.user_timezone = "UTC"
    assert len(found["issues"]) == 2


async def test_site_basic_auth_fields_projects_and_errors(jira) -> None:
    fake, base = jira
    async with httpx.AsyncClient(base_url=base, auth=BASIC) as http:
        fields = (await http.get("/rest/api/3/field")).json()
        projects = (await http.get("/rest/api/3/project/search")).json()
        removed = await http.get("/rest/api/3/search", params={"jql": "project = ENG"})
        fake.rate_limited(retry_after=3)
        limited = await http.get("/rest/api/3/field")
        wrong = await http.get("/rest/api/3/field", auth=("me@example.com", "nope"))
    gateway = httpx.get(f"{base}/ex/jira/{fake.cloud_id}/rest/api/3/field")
    assert "summary" in [f["id"] for f in fields]
    assert projects["values"][0]["key"] == "ENG" and projects["total"] == 1
    assert removed.status_code == 410 and "search/jql" in removed.json()["errorMessages"][0]
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert wrong.status_code == 401 and wrong.json()["errorMessages"]
    assert gateway.status_code == 401
