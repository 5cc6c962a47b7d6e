"""The Dataverse fake keeps OData paging, $filter/$orderby, errors and the 401 challenge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from models.oauth_quirks.dynamics import claims
from tests.fakes.dynamics import DynamicsFake
from tests.fakes.server import FakeServer

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def dv() -> Iterator[tuple[DynamicsFake, str]]:
    fake = DynamicsFake()
    fake.add_records(
        "accounts", [{"name": f"A{i}", "modifiedon": T0 + timedelta(minutes=i)} for i in range(5)]
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_next_link_pages_honour_maxpagesize_and_filter(dv) -> None:
    fake, base = dv
    token = fake.oauth.issue_tokens().access_token
    headers = {"Authorization": f"Bearer {token}", "Prefer": "odata.maxpagesize=2"}
    params = {
        "$select": "name,modifiedon",
        "$filter": "modifiedon ge 2024-03-01T00:01:00Z",
        "$orderby": "modifiedon asc",
    }
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        first = await http.get("/api/data/v9.2/accounts", params=params)
        second = await http.get(first.json()["@odata.nextLink"])
        bad = await http.get("/api/data/v9.2/accounts", params={"$select": "nope"})
        skip = await http.get("/api/data/v9.2/accounts", params={"$skip": "2"})
    body = first.json()
    assert first.headers["preference-applied"] == "odata.maxpagesize=2"
    assert [r["name"] for r in body["value"]] == ["A1", "A2"]
    assert body["value"][0]["modifiedon"] == "2024-03-01T00:01:00Z"
    assert {"@odata.etag", "accountid"} <= set(body["value"][0])
    assert body["@odata.nextLink"].startswith(base + "/api/data/v9.2/accounts?")
    assert "$skiptoken=" in body["@odata.nextLink"]
    assert [r["name"] for r in second.json()["value"]] == ["A3", "A4"]
    assert "@odata.nextLink" not in second.json()
    assert bad.status_code == 400 and "Could not find a property" in bad.json()["error"]["message"]
    assert skip.status_code == 400


async def test_expired_token_is_a_401_challenge_and_429_has_retry_after(dv) -> None:
    fake, base = dv
    tokens = fake.oauth.issue_tokens()
    assert claims(tokens.access_token)["tid"] == fake.oauth.tenant_id
    fake.oauth.expire_access_token(tokens.access_token)
    async with httpx.AsyncClient(base_url=base) as http:
        expired = await http.get(
            "/api/data/v9.2/accounts", headers={"Authorization": f"Bearer {tokens.access_token}"}
        )
        fresh = fake.oauth.issue_tokens().access_token
        fake.service_protection_limit(retry_after=3)
        limited = await http.get(
            "/api/data/v9.2/WhoAmI", headers={"Authorization": f"Bearer {fresh}"}
        )
    assert expired.status_code == 401 and expired.content == b""
    assert expired.headers["www-authenticate"].startswith("Bearer authorization_uri=")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert limited.json()["error"]["code"] == "0x80072322"
