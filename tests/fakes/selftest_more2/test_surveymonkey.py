"""The SurveyMonkey fake keeps SurveyMonkey's page links, caps, filters and error bodies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.oauth import browser_consent
from tests.fakes.server import FakeServer
from tests.fakes.surveymonkey import SurveyMonkeyFake

START = datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sm() -> Iterator[tuple[SurveyMonkeyFake, str, str]]:
    fake = SurveyMonkeyFake()
    survey = fake.add_survey("NPS", date_modified=START)
    fake.add_survey("Onboarding", date_modified=START + timedelta(days=1))
    fake.add_responses(
        survey["id"], [{"date_modified": START + timedelta(hours=i)} for i in range(5)]
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url, survey["id"]


def _auth(fake: SurveyMonkeyFake) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}


async def test_bulk_responses_follow_links_next(sm) -> None:
    fake, base, survey_id = sm
    params = {
        "per_page": 2,
        "sort_order": "ASC",
        "sort_by": "date_modified",
        "start_modified_at": "2024-04-01T01:00:00",
    }
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=base, headers=_auth(fake)) as http:
        page = (await http.get(f"/v3/surveys/{survey_id}/responses/bulk", params=params)).json()
        first = page
        seen += [r["date_modified"] for r in page["data"]]
        while "next" in page["links"]:
            page = (await http.get(page["links"]["next"])).json()
            seen += [r["date_modified"] for r in page["data"]]
    assert first["total"] == 4 and first["per_page"] == 2 and first["page"] == 1
    assert first["links"]["next"].startswith(base + f"/v3/surveys/{survey_id}/responses/bulk?")
    assert seen == [f"2024-04-01T0{h}:00:00+00:00" for h in range(1, 5)]


async def test_surveys_include_and_caps(sm) -> None:
    fake, base, _ = sm
    async with httpx.AsyncClient(base_url=base, headers=_auth(fake)) as http:
        plain = (await http.get("/v3/surveys")).json()
        detailed = (
            await http.get(
                "/v3/surveys",
                params={"include": "date_modified,response_count", "sort_order": "ASC"},
            )
        ).json()
    assert set(plain["data"][0]) == {"id", "title", "nickname", "href"}
    assert [s["response_count"] for s in detailed["data"]] == [5, 0]
    assert detailed["data"][0]["date_modified"] == "2024-04-01T00:00:00+00:00"


async def test_errors_and_rate_limit_headers(sm) -> None:
    fake, base, survey_id = sm
    async with httpx.AsyncClient(base_url=base) as http:
        missing = await http.get("/v3/surveys")
        invalid = await http.get("/v3/surveys", headers={"Authorization": "Bearer nope"})
        auth = _auth(fake)
        cap = await http.get(
            f"/v3/surveys/{survey_id}/responses/bulk", params={"per_page": 101}, headers=auth
        )
        fake.rate_limited(reset_in=4)
        limited = await http.get("/v3/surveys", headers=auth)
        ok = await http.get("/v3/users/me", headers=auth)
    assert missing.status_code == 401 and missing.json()["error"]["id"] == "1010"
    assert invalid.json()["error"]["id"] == "1011"
    assert cap.status_code == 400 and cap.json()["error"]["http_status_code"] == 400
    assert limited.status_code == 429 and limited.json()["error"]["id"] == "1040"
    assert limited.headers["x-ratelimit-app-global-minute-remaining"] == "0"
    assert limited.headers["x-ratelimit-app-global-minute-reset"] == "4"
    assert "retry-after" not in limited.headers
    assert ok.headers["x-ratelimit-app-global-day-limit"] == "500"


async def test_token_names_access_url(sm) -> None:
    fake, base, _ = sm
    url = fake.authorize_url(base)
    async with httpx.AsyncClient(base_url=base) as http:
        consent = await browser_consent(http, url)
        code = httpx.URL(consent.headers["location"]).params["code"]
        token = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "sm-client-id",
                "client_secret": "sm-client-secret",
                "redirect_uri": fake.oauth.redirect_uri,
            },
        )
    assert token.json()["access_url"] == base and "refresh_token" not in token.json()
