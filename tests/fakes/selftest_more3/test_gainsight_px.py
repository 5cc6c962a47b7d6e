"""The Gainsight PX fake keeps the documented key header, page size and scroll ids."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.gainsight_px import GainsightPXFake
from tests.fakes.server import FakeServer

KEY = {"X-APTRINSIC-API-KEY": "px-key-1"}


@pytest.fixture(scope="module")
def px() -> Iterator[tuple[GainsightPXFake, str]]:
    fake = GainsightPXFake()
    fake.add_accounts([{"id": f"A{i}", "lastModifiedDate": 1_000 + i} for i in range(60)])
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_default_page_is_25_and_scroll_id_comes_back_on_the_last_page(px) -> None:
    _, base = px
    async with httpx.AsyncClient(base_url=base, headers=KEY) as http:
        first = (await http.get("/v1/accounts")).json()
        second = (await http.get("/v1/accounts", params={"scrollId": first["scrollId"]})).json()
        third = (await http.get("/v1/accounts", params={"scrollId": first["scrollId"]})).json()
        after = (await http.get("/v1/accounts", params={"scrollId": first["scrollId"]})).json()
    assert len(first["accounts"]) == 25 and first["totalHits"] == 60
    assert len(second["accounts"]) == 25 and len(third["accounts"]) == 10
    assert third["scrollId"]  # not null on the last page: the documented quirk
    assert after["accounts"] == []


async def test_filter_and_sort(px) -> None:
    _, base = px
    params = {"filter": "lastModifiedDate>1049", "sort": "lastModifiedDate", "pageSize": 100}
    async with httpx.AsyncClient(base_url=base, headers=KEY) as http:
        body = (await http.get("/v1/accounts", params=params)).json()
    assert [a["id"] for a in body["accounts"]] == [f"A{i}" for i in range(50, 60)]


async def test_missing_or_wrong_key_is_401_and_unknown_scroll_400(px) -> None:
    _, base = px
    async with httpx.AsyncClient(base_url=base) as http:
        missing = await http.get("/v1/users")
        wrong = await http.get("/v1/users", headers={"X-APTRINSIC-API-KEY": "nope"})
        scroll = await http.get("/v1/users", headers=KEY, params={"scrollId": "gone"})
    assert missing.status_code == wrong.status_code == 401
    assert scroll.status_code == 400


async def test_rate_limit_is_scripted(px) -> None:
    fake, base = px
    fake.rate_limited(retry_after=2)
    async with httpx.AsyncClient(base_url=base, headers=KEY) as http:
        limited = await http.get("/v1/users")
        fine = await http.get("/v1/users")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert fine.status_code == 200
