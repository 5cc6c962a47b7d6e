"""5xx answers from sources whose own tests meet only 429s and 401s: one 5xx is retried with
backoff and the run goes on; a source that keeps failing ends the run with its own words.

Each vendor's 5xx body is its documented error shape (see each fake's docstring)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.gong import GongFake
from tests.fakes.intercom import IntercomFake
from tests.fakes.oauth import VendorFake
from tests.fakes.server import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.fakes.surveymonkey import SurveyMonkeyFake, sm_error_body
from tests.workers.sources.conftest import default_job, drive, oauth_connection
from workers.sync import SourceUnavailable

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    key: str
    fake: Callable[[], VendorFake]
    token_path: str
    extras: dict[str, str]
    settings: dict[str, str]
    seed: Callable[[Any], int]  # fills the fake; answers how many records the job reads
    source_object: str
    path: str  # where the 5xx is answered
    status: int
    body: Any
    says: str  # the source's own words, as the run's message must carry them


def _servicenow(fake: ServiceNowFake) -> int:
    fake.add_records("incident", [{"number": f"INC{i}", "sys_updated_on": T0} for i in range(3)])
    return 3


def _intercom(fake: IntercomFake) -> int:
    rows = [
        {"id": str(i), "title": f"Q{i}", "updated_at": T0 + timedelta(minutes=i)} for i in range(3)
    ]
    fake.add_conversations(rows)
    return 3


def _gong(fake: GongFake) -> int:
    fake.add_calls([{"title": f"Call {i}", "started": T0 + timedelta(hours=i)} for i in range(3)])
    return 3


def _surveymonkey(fake: SurveyMonkeyFake) -> int:
    for n in range(3):
        fake.add_survey(f"Survey {n}", date_modified=T0 + timedelta(days=n))
    return 3


CASES = [
    Case(
        "SERVICENOW",
        lambda: ServiceNowFake(client_id="servicenow-client", client_secret="servicenow-secret"),
        "/oauth_token.do",
        {},
        {"instance": "acme"},
        _servicenow,
        "incident",
        "/api/now/table/",
        500,
        {"error": {"message": "Transaction cancelled: maximum execution time exceeded"}},
        "Transaction cancelled: maximum execution time exceeded",
    ),
    Case(
        "INTERCOM",
        lambda: IntercomFake(client_id="intercom-client", client_secret="intercom-secret"),
        "/auth/eagle/token",
        {},
        {},
        _intercom,
        "conversations",
        "/conversations/search",
        503,
        {
            "type": "error.list",
            "request_id": "b3f1e0a2c4d5",
            "errors": [{"code": "service_unavailable", "message": "Sorry, the API is busy"}],
        },
        "Sorry, the API is busy",
    ),
    Case(
        "GONG_IO",
        lambda: GongFake(client_id="gong_io-client", client_secret="gong_io-secret"),
        "/oauth2/generate-customer-token",
        {"api_base_url_for_customer": "https://us-4321.api.gong.io"},
        {},
        _gong,
        "calls",
        "/v2/calls",
        500,
        {"requestId": "4a1b2c3d4e5f", "errors": ["Internal server error"]},
        "Internal server error",
    ),
    Case(
        "SURVEYMONKEY",
        lambda: SurveyMonkeyFake(
            client_id="surveymonkey-client", client_secret="surveymonkey-secret"
        ),
        "/oauth/token",
        {"access_url": "https://api.surveymonkey.com"},
        {},
        _surveymonkey,
        "surveys",
        "/v3/surveys",
        500,
        sm_error_body(500, "1050", "Internal Server Error", "Oh bananas! We couldn't process"),
        "Oh bananas! We couldn't process",
    ),
]


@pytest.fixture(params=CASES, ids=[c.key for c in CASES])
def case(request: pytest.FixtureRequest, point_connector: Any) -> Iterator[tuple[Case, Any]]:
    spec: Case = request.param
    fake = spec.fake()
    with FakeServer(fake.app) as server:
        point_connector(spec.key, api_url=server.url, token_url=server.url + spec.token_path)
        yield spec, fake


async def connect(admin: GraphQLClient, spec: Case, fake: Any) -> Connection:
    tokens = fake.oauth.issue_tokens()
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await oauth_connection(admin, spec.key, values, spec.extras, **spec.settings)


async def test_a_5xx_is_retried_and_the_run_goes_on(
    admin: GraphQLClient, case: tuple[Case, Any]
) -> None:
    spec, fake = case
    expected = spec.seed(fake)
    job = await default_job(await connect(admin, spec, fake), spec.source_object)
    fake.faults.add(spec.status, spec.body, path=spec.path)

    run = await drive(job)

    assert run.outcome.records_read == expected
    hits = [r for r in fake.requests if spec.path in r.path]
    assert len(hits) >= 2  # the failed request, then the same one again


async def test_a_source_that_keeps_failing_ends_with_its_own_message(
    admin: GraphQLClient, case: tuple[Case, Any]
) -> None:
    spec, fake = case
    spec.seed(fake)
    job = await default_job(await connect(admin, spec, fake), spec.source_object)
    fault = fake.faults.add(spec.status, spec.body, path=spec.path, times=50)

    with pytest.raises(SourceUnavailable) as failed:
        await drive(job)

    message = str(failed.value)
    assert f"failed ({spec.status}): {spec.says}" in message and "tried 3 times" in message
    assert fault.times == 50 - 3  # the test policy's three attempts, each after a backoff
    assert "request_id" not in message and "requestId" not in message
