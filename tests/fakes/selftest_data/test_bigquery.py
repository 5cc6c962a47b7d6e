"""The BigQuery fake answers as Google's docs say (see tests/fakes/bigquery.py)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.fakes.bigquery import JWT_GRANT, BigQueryFake, error_body
from tests.fakes.selftest_data import AppSwitch
from tests.fakes.server import FakeServer

EMAIL = "loader@acme-analytics.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/bigquery.readonly"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
QUERIES = "/bigquery/v2/projects/acme-analytics/queries"


def assertion(aud: str, key: rsa.RSAPrivateKey = KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": EMAIL, "scope": SCOPE, "aud": aud, "iat": now, "exp": now + 3600}
    header = {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
    return jwt.encode(header, {**claims, **overrides}, RSAKey.import_key(key))


@pytest.fixture(scope="module")
def switch() -> Iterator[tuple[AppSwitch, str]]:
    switch = AppSwitch()
    with FakeServer(switch) as server:
        yield switch, server.url


@pytest.fixture
def fake() -> BigQueryFake:
    fake = BigQueryFake("acme-analytics", page_rows=2)
    fake.add_service_account(EMAIL, KEY.public_key())
    rows = [
        {"id": i, "name": f"acct {i}", "updated_at": T0 + dt.timedelta(days=i)} for i in range(1, 6)
    ]
    fields = [("id", "INT64"), ("name", "STRING"), ("updated_at", "TIMESTAMP")]
    fake.add_table("crm", "accounts", fields, rows)
    fake.add_dataset("tokyo", "asia-northeast1")
    fake.add_table("tokyo", "events", [("id", "INTEGER")], [{"id": 1}])
    return fake


@pytest.fixture
def client(switch: tuple[AppSwitch, str], fake: BigQueryFake) -> Iterator[httpx.Client]:
    switch[0].app = fake.app
    with httpx.Client(base_url=switch[1]) as client:
        token = client.post(
            "/token", data={"grant_type": JWT_GRANT, "assertion": assertion(switch[1] + "/token")}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def query(client: httpx.Client, sql: str, **body: Any) -> httpx.Response:
    return client.post(QUERIES, json={"query": sql, "useLegacySql": False, **body})


def test_token_endpoint_answers_as_google(
    switch: tuple[AppSwitch, str], fake: BigQueryFake
) -> None:
    switch[0].app = fake.app
    form = {"grant_type": JWT_GRANT, "assertion": assertion("https://oauth2.googleapis.com/token")}
    answer = httpx.post(switch[1] + "/token", data=form).json()
    assert answer["expires_in"] == 3599 and answer["token_type"] == "Bearer"
    assert answer["access_token"].startswith("ya29.")


@pytest.mark.parametrize(
    ("make", "error", "description"),
    [
        (lambda aud: assertion(aud, OTHER), "invalid_grant", "Invalid JWT Signature."),
        (lambda aud: assertion(aud, exp=int(time.time()) + 7200), "invalid_grant", "short-lived"),
        (lambda aud: assertion("https://elsewhere/token"), "invalid_grant", "audience"),
        (lambda aud: assertion(aud, iss="who@x.iam"), "invalid_grant", "account not found"),
        (lambda aud: assertion(aud, scope=""), "invalid_scope", "scope"),
    ],
)
def test_token_refusals(
    switch: tuple[AppSwitch, str], fake: BigQueryFake, make: Any, error: str, description: str
) -> None:
    switch[0].app = fake.app
    form = {"grant_type": JWT_GRANT, "assertion": make(switch[1] + "/token")}
    response = httpx.post(switch[1] + "/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error and description in response.json()["error_description"]


def test_query_pages_through_get_query_results(client: httpx.Client) -> None:
    first = query(client, "SELECT id, updated_at FROM crm.accounts ORDER BY id").json()
    assert first["kind"] == "bigquery#queryResponse" and first["jobComplete"] is True
    assert first["totalRows"] == "5" and first["pageToken"] == "2"
    assert first["schema"]["fields"][0] == {"name": "id", "type": "INTEGER", "mode": "NULLABLE"}
    assert first["rows"][0] == {"f": [{"v": "1"}, {"v": "1.7093808E9"}]}
    job = first["jobReference"]
    url = f"{QUERIES}/{job['jobId']}"
    second = client.get(url, params={"pageToken": first["pageToken"], "location": "US"}).json()
    assert second["kind"] == "bigquery#getQueryResultsResponse"
    assert [r["f"][0]["v"] for r in second["rows"]] == ["3", "4"]


def test_where_backticks_and_int64_timestamps(client: httpx.Client) -> None:
    sql = (
        "SELECT id, updated_at FROM `acme-analytics.crm.accounts` "
        "WHERE updated_at > '2024-03-04T00:00:00Z' ORDER BY id DESC"
    )
    body = query(client, sql, formatOptions={"useInt64Timestamp": True}, maxResults=10).json()
    assert [r["f"][0]["v"] for r in body["rows"]] == ["5", "4"]
    assert body["rows"][0]["f"][1]["v"] == str(int((T0 + dt.timedelta(days=5)).timestamp()) * 10**6)
    assert body["totalRows"] == "3" and body["pageToken"] == "2"  # page_rows caps the page


def test_legacy_sql_is_the_default(client: httpx.Client) -> None:
    response = client.post(QUERIES, json={"query": "SELECT id FROM crm.accounts"})
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == "invalidQuery"


@pytest.mark.parametrize(
    ("sql", "code", "reason"),
    [
        ("SELECT id FROM crm.nope", 404, "notFound"),
        ("SELECT id FROM nope.accounts", 404, "notFound"),
        ("SELECT nope FROM crm.accounts", 400, "invalidQuery"),
        ("DELETE FROM crm.accounts", 400, "invalidQuery"),
    ],
)
def test_query_errors_use_google_error_shape(
    client: httpx.Client, sql: str, code: int, reason: str
) -> None:
    response = query(client, sql)
    assert response.status_code == code
    error = response.json()["error"]
    assert error["code"] == code and error["errors"][0]["reason"] == reason and error["status"]


def test_job_complete_false_then_rows(client: httpx.Client, fake: BigQueryFake) -> None:
    fake.pending_polls = 1
    first = query(client, "SELECT id FROM crm.accounts").json()
    assert first["jobComplete"] is False and "rows" not in first and "totalRows" not in first
    done = client.get(f"{QUERIES}/{first['jobReference']['jobId']}").json()
    assert done["jobComplete"] is True and done["totalRows"] == "5"


def test_job_outside_multi_region_needs_location(client: httpx.Client) -> None:
    job = query(client, "SELECT id FROM tokyo.events").json()["jobReference"]
    assert job["location"] == "asia-northeast1"
    url = f"{QUERIES}/{job['jobId']}"
    assert client.get(url).status_code == 404
    assert client.get(url, params={"location": "asia-northeast1"}).status_code == 200


def test_datasets_tables_and_schema(client: httpx.Client) -> None:
    base = "/bigquery/v2/projects/acme-analytics/datasets"
    datasets = client.get(base).json()
    assert [d["datasetReference"]["datasetId"] for d in datasets["datasets"]] == ["crm", "tokyo"]
    tables = client.get(f"{base}/crm/tables").json()
    assert tables["kind"] == "bigquery#tableList" and tables["totalItems"] == 1
    assert tables["tables"][0]["tableReference"]["tableId"] == "accounts"
    table = client.get(f"{base}/crm/tables/accounts").json()
    assert [f["name"] for f in table["schema"]["fields"]] == ["id", "name", "updated_at"]
    assert table["numRows"] == "5"
    assert client.get(f"{base}/nope/tables").status_code == 404


def test_bad_or_expired_token_is_401_auth_error(client: httpx.Client, fake: BigQueryFake) -> None:
    fake.expire_tokens()
    response = query(client, "SELECT id FROM crm.accounts")
    assert response.status_code == 401
    assert response.json()["error"]["errors"][0]["reason"] == "authError"
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_scripted_rate_limit_and_backend_error(client: httpx.Client, fake: BigQueryFake) -> None:
    fake.faults.add(403, body=error_body(403, "rateLimitExceeded", "Exceeded rate limits"))
    fake.faults.add(503, body=error_body(503, "backendError", "Backend error"))
    limited = query(client, "SELECT id FROM crm.accounts")
    assert limited.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert query(client, "SELECT id FROM crm.accounts").json()["error"]["status"] == "UNAVAILABLE"
    assert query(client, "SELECT id FROM crm.accounts").status_code == 200
