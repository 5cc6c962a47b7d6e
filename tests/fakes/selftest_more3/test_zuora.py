"""The Zuora fake keeps the documented token grant, ZOQL rules and query locators."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.server import FakeServer
from tests.fakes.zuora import ZuoraFake

START = datetime(2024, 1, 1, tzinfo=UTC)
CLIENT = {"client_id": "zuora-client", "client_secret": "zuora-secret"}


@pytest.fixture(scope="module")
def zuora() -> Iterator[tuple[ZuoraFake, str]]:
    fake = ZuoraFake()
    fake.add_records(
        "Account",
        [{"Name": f"Acme {i}", "UpdatedDate": START + timedelta(hours=i)} for i in range(5)],
    )
    fake.add_records("Account", [{"Name": None, "UpdatedDate": START}])
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def _token(http: httpx.AsyncClient) -> str:
    answer = await http.post("/oauth/token", data={**CLIENT, "grant_type": "client_credentials"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["expires_in"] == 3599 and body["token_type"] == "bearer" and body["jti"]
    return body["access_token"]


async def test_query_and_query_more_page_with_locators(zuora) -> None:
    _, base = zuora
    async with httpx.AsyncClient(base_url=base) as http:
        auth = {"Authorization": f"Bearer {await _token(http)}"}
        zoql = "select Id, Name, UpdatedDate from Account"
        query = {"queryString": zoql, "conf": {"batchSize": 4}}
        first = (await http.post("/v1/action/query", json=query, headers=auth)).json()
        more = {"queryLocator": first["queryLocator"]}
        second = (await http.post("/v1/action/queryMore", json=more, headers=auth)).json()
    assert first["size"] == 4 and first["done"] is False
    assert second["size"] == 2 and second["done"] is True and "queryLocator" not in second
    assert "Name" not in second["records"][-1]  # null fields are left out
    assert first["records"][0]["UpdatedDate"] == "2023-12-31T16:00:00.000-08:00"


async def test_filter_on_updated_date_with_offset(zuora) -> None:
    _, base = zuora
    zoql = "select Id, Name from Account where UpdatedDate >= '2024-01-01T03:00:00Z'"
    async with httpx.AsyncClient(base_url=base) as http:
        auth = {"Authorization": f"Bearer {await _token(http)}"}
        answer = await http.post("/v1/action/query", json={"queryString": zoql}, headers=auth)
        body = answer.json()
    assert [r["Name"] for r in body["records"]] == ["Acme 3", "Acme 4"]


async def test_upper_case_keywords_bad_token_and_bad_client_are_refused(zuora) -> None:
    _, base = zuora
    async with httpx.AsyncClient(base_url=base) as http:
        auth = {"Authorization": f"Bearer {await _token(http)}"}
        upper = await http.post(
            "/v1/action/query", json={"queryString": "SELECT Id FROM Account"}, headers=auth
        )
        bad_token = await http.post(
            "/v1/action/query",
            json={"queryString": "select Id from Account"},
            headers={"Authorization": "Bearer nope"},
        )
        bad_client = await http.post(
            "/oauth/token",
            data={**CLIENT, "client_secret": "wrong", "grant_type": "client_credentials"},
        )
    assert upper.status_code == 400 and upper.json()["faultcode"] == "fns:MALFORMED_QUERY"
    assert bad_token.status_code == 401
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"


async def test_rate_limit_headers(zuora) -> None:
    fake, base = zuora
    fake.rate_limited()
    async with httpx.AsyncClient(base_url=base) as http:
        auth = {"Authorization": f"Bearer {await _token(http)}"}
        limited = await http.post(
            "/v1/action/query", json={"queryString": "select Id from Account"}, headers=auth
        )
    assert limited.status_code == 429 and limited.headers["ratelimit-remaining"] == "0"
