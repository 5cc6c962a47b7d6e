"""The Mixpanel fake answers as Mixpanel's export docs say it does (see tests/fakes/mixpanel.py)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.mixpanel import EXPORT_PATH, ME_PATH, RATE_LIMIT_BODY, MixpanelFake
from tests.fakes.selftest_data import AppSwitch
from tests.fakes.server import FakeServer

YESTERDAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
DAY = YESTERDAY.isoformat()


@pytest.fixture
def fake() -> MixpanelFake:
    fake = MixpanelFake(project_id=42, per_second=1000)
    fake.add_service_account("sa.user", "sa-secret")
    noon = dt.datetime.combine(YESTERDAY, dt.time(12), dt.UTC)
    fake.add_event("Signed up", "u1", noon, {"plan": "pro"}, insert_id="a1")
    fake.add_event("Viewed", "u2", noon + dt.timedelta(hours=1), {"plan": "free"})
    fake.add_event("Old", "u3", noon - dt.timedelta(days=5))
    return fake


@pytest.fixture(scope="module")
def switch() -> Iterator[tuple[AppSwitch, str]]:
    switch = AppSwitch()
    with FakeServer(switch) as server:
        yield switch, server.url


@pytest.fixture
def client(switch: tuple[AppSwitch, str], fake: MixpanelFake) -> Iterator[httpx.Client]:
    switch[0].app = fake.app
    with httpx.Client(base_url=switch[1]) as client:
        yield client


def _sa() -> httpx.BasicAuth:
    return httpx.BasicAuth("sa.user", "sa-secret")


def _lines(response: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line]


def test_service_account_export_returns_jsonl_of_the_window(client: httpx.Client) -> None:
    params = {"project_id": "42", "from_date": DAY, "to_date": DAY}
    response = client.get(EXPORT_PATH, params=params, auth=_sa())
    assert response.status_code == 200
    events = _lines(response)
    assert [e["event"] for e in events] == ["Signed up", "Viewed"]
    props = events[0]["properties"]
    assert props["distinct_id"] == "u1" and props["$insert_id"] == "a1"
    assert isinstance(props["time"], int) and props["mp_processing_time_ms"] > props["time"]


def test_service_account_needs_project_id(client: httpx.Client) -> None:
    response = client.get(EXPORT_PATH, params={"from_date": DAY, "to_date": DAY}, auth=_sa())
    assert response.status_code == 400
    assert "project_id" in response.json()["error"]


def test_legacy_project_secret_and_plain_text_basic(client: httpx.Client) -> None:
    params = {"from_date": DAY, "to_date": DAY}
    legacy = client.get(EXPORT_PATH, params=params, auth=("mp-project-secret", ""))
    assert legacy.status_code == 200
    plain = {"Authorization": "Basic sa.user:sa-secret"}
    sa_plain = client.get(EXPORT_PATH, params={**params, "project_id": "42"}, headers=plain)
    assert sa_plain.status_code == 200


def test_bad_credentials_are_401_with_request_and_error(client: httpx.Client) -> None:
    params = {"project_id": "42", "from_date": DAY, "to_date": DAY}
    response = client.get(EXPORT_PATH, params=params, auth=("sa.user", "wrong"))
    assert response.status_code == 401
    body = response.json()
    assert body["request"].startswith(EXPORT_PATH) and body["error"]


@pytest.mark.parametrize(
    "params",
    [
        {"to_date": DAY},
        {"from_date": "2024/01/01", "to_date": DAY},
        {"from_date": DAY, "to_date": "2020-01-01"},
        {"from_date": DAY, "to_date": "2999-01-01"},
        {"from_date": DAY, "to_date": DAY, "limit": "100001"},
        {"from_date": DAY, "to_date": DAY, "event": "Signed up"},
    ],
)
def test_bad_parameters_are_400(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get(EXPORT_PATH, params={**params, "project_id": "42"}, auth=_sa())
    assert response.status_code == 400
    assert set(response.json()) == {"request", "error"}


def test_event_where_limit_and_time_in_ms(client: httpx.Client) -> None:
    base = {"project_id": "42", "from_date": DAY, "to_date": DAY}
    only = client.get(EXPORT_PATH, params={**base, "event": '["Viewed"]'}, auth=_sa())
    assert [e["event"] for e in _lines(only)] == ["Viewed"]
    pro = {**base, "where": 'properties["plan"] == "pro"'}
    where = client.get(EXPORT_PATH, params=pro, auth=_sa())
    assert [e["event"] for e in _lines(where)] == ["Signed up"]
    limited = client.get(EXPORT_PATH, params={**base, "limit": "1"}, auth=_sa())
    assert len(_lines(limited)) == 1
    in_ms = client.get(EXPORT_PATH, params={**base, "time_in_ms": "true"}, auth=_sa())
    assert _lines(in_ms)[0]["properties"]["time"] > 10**12


def test_large_export_is_gzipped_when_asked(fake: MixpanelFake, client: httpx.Client) -> None:
    noon = dt.datetime.combine(YESTERDAY, dt.time(12), dt.UTC)
    for i in range(40):
        fake.add_event("Bulk", f"user-{i}", noon)
    params = {"project_id": "42", "from_date": DAY, "to_date": DAY}
    basic = "Basic " + base64.b64encode(b"sa.user:sa-secret").decode()
    headers = {"Accept-Encoding": "gzip", "Authorization": basic}
    with client.stream("GET", EXPORT_PATH, params=params, headers=headers) as response:
        wire = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    lines = gzip.decompress(wire).decode().splitlines()
    assert len(lines) == 42


def test_rate_limits_answer_429(client: httpx.Client, fake: MixpanelFake) -> None:
    fake.limits.per_second = 2
    params = {"project_id": "42", "from_date": DAY, "to_date": DAY}
    codes = [client.get(EXPORT_PATH, params=params, auth=_sa()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get(EXPORT_PATH, params=params, auth=_sa()).json() == RATE_LIMIT_BODY


def test_scripted_fault_with_retry_after(client: httpx.Client, fake: MixpanelFake) -> None:
    fake.faults.add(429, body=RATE_LIMIT_BODY, headers={"Retry-After": "1"}, path="/export")
    params = {"project_id": "42", "from_date": DAY, "to_date": DAY}
    first = client.get(EXPORT_PATH, params=params, auth=_sa())
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    assert client.get(EXPORT_PATH, params=params, auth=_sa()).status_code == 200


def test_legacy_project_reads_dates_and_times_in_project_zone() -> None:
    fake = MixpanelFake(timezone="America/Los_Angeles", legacy_project=True)
    at = dt.datetime(2024, 1, 2, 3, 0, tzinfo=dt.UTC)  # still 1 January in Los Angeles
    fake.add_event("Late", "u1", at)
    with FakeServer(fake.app) as server:
        params = {"from_date": "2024-01-01", "to_date": "2024-01-01"}
        secret = ("mp-project-secret", "")
        response = httpx.get(server.url + EXPORT_PATH, params=params, auth=secret)
    (event,) = _lines(response)
    assert event["properties"]["time"] == int(at.timestamp()) - 8 * 3600


def test_me_lists_the_service_accounts_projects(client: httpx.Client) -> None:
    response = client.get(ME_PATH, auth=_sa())
    assert response.status_code == 200
    assert "42" in response.json()["results"]["projects"]
    assert client.get(ME_PATH, auth=("sa.user", "nope")).status_code == 401
