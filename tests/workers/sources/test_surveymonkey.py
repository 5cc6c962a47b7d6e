"""SurveyMonkey against its fake over real HTTP: surveys and their bulk responses by
links.next, incremental on date_modified, a 429 waited out by its minute-reset header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.server import FakeServer
from tests.fakes.surveymonkey import SurveyMonkeyFake
from tests.workers.sources.conftest import custom_job, default_job, drive, oauth_connection, records
from workers.sources import surveymonkey
from workers.sources.source import Access, api_base
from workers.sync import SourceFailed

T0 = datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture
def fake(point_connector: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[SurveyMonkeyFake]:
    monkeypatch.setattr(surveymonkey, "SURVEYS_PER_PAGE", 2)
    monkeypatch.setattr(surveymonkey, "RESPONSES_PER_PAGE", 2)
    sm = SurveyMonkeyFake(client_id="surveymonkey-client", client_secret="surveymonkey-secret")
    with FakeServer(sm.app) as server:
        point_connector("SURVEYMONKEY", api_url=server.url, token_url=server.url + "/oauth/token")
        yield sm


async def connect(admin: GraphQLClient, sm: SurveyMonkeyFake) -> Connection:
    values = {"access_token": sm.oauth.issue_tokens().access_token}
    extras = {"access_url": "https://api.eu.surveymonkey.com"}
    return await oauth_connection(admin, "SURVEYMONKEY", values, extras)


def seed(sm: SurveyMonkeyFake, surveys: int, answers: int, start: int = 0) -> list[str]:
    ids = []
    for n in range(surveys):
        survey = sm.add_survey(f"Survey {n}", date_modified=T0 + timedelta(days=n))
        sm.add_responses(
            survey["id"],
            [{"date_modified": T0 + timedelta(hours=start + i)} for i in range(answers)],
        )
        ids.append(survey["id"])
    return ids


async def test_default_job_reads_every_surveys_responses_through_a_429_without_duplicates(
    admin: GraphQLClient, fake: SurveyMonkeyFake
) -> None:
    seed(fake, surveys=3, answers=3)
    connection = await connect(admin, fake)
    job = await default_job(connection, "responses")
    fake.rate_limited(reset_in=1)

    first = await drive(job)
    second = await drive(job)

    loaded = await records(admin, "survey_response")
    assert len(loaded) == 9 and len({r["survey_id"] for r in loaded}) == 3
    assert first.outcome.records_read == second.outcome.records_read == 9
    second_pages = [r for r in fake.requests if parse_qs(r.query).get("page") == ["2"]]
    bulk = [r for r in second_pages if r.path.endswith("/responses/bulk")]
    assert len(bulk) == 6  # each survey's page 2, twice
    assert len([r for r in second_pages if r.path == "/v3/surveys"]) == 2


async def test_incremental_responses_start_at_the_saved_date_modified(
    admin: GraphQLClient, fake: SurveyMonkeyFake
) -> None:
    ids = seed(fake, surveys=2, answers=2)
    connection = await connect(admin, fake)
    job = await custom_job(
        admin,
        connection,
        "responses",
        "sm_response",
        [("id", "id", True), ("total_time", "seconds", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    assert saved_cursor(first.job) == "2024-04-01T01:00:00+00:00"
    fake.add_responses(ids[1], [{"date_modified": T0 + timedelta(days=2)}])
    second = await drive(job)

    assert first.outcome.records_read == 4
    assert second.outcome.records_read == 3  # the boundary response of each survey, the new one
    assert len(await records(admin, "sm_response")) == 5
    assert saved_cursor(second.job) == "2024-04-03T00:00:00+00:00"
    asked = [r for r in fake.requests if r.path.endswith("/responses/bulk")][-1]
    assert parse_qs(asked.query)["start_modified_at"] == ["2024-04-01T01:00:00"]


async def test_surveys_job_and_a_revoked_token(
    admin: GraphQLClient, fake: SurveyMonkeyFake
) -> None:
    seed(fake, surveys=3, answers=0)
    connection = await connect(admin, fake)
    run = await drive(await default_job(connection, "surveys"))
    assert sorted(r["title"] for r in await records(admin, "survey")) == [
        "Survey 0",
        "Survey 1",
        "Survey 2",
    ]
    assert run.outcome.records_read == 3
    fake.oauth.revoke_grant()
    with pytest.raises(SourceFailed, match="authorization token provided was invalid"):
        await drive(await default_job(connection, "surveys"))


async def test_api_host_is_the_accounts_data_centre(point_connector: Any) -> None:
    point_connector("SURVEYMONKEY", api_url=None)
    eu = Access("SURVEYMONKEY", "t", {}, extras={"access_url": "https://api.eu.surveymonkey.com"})
    assert api_base(surveymonkey.SOURCE, eu) == "https://api.eu.surveymonkey.com"
    assert api_base(surveymonkey.SOURCE, Access("SURVEYMONKEY", "t", {})) == (
        "https://api.surveymonkey.com"
    )
