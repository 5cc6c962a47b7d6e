"""The paging loop against a tiny inline source: a cursor that repeats stops the run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import FakeServer
from workers.sources.auth import NoAuth
from workers.sources.budget import Budget, SharedBudget
from workers.sources.errors import RepeatedCursor
from workers.sources.http import SourceHttp
from workers.sources.paging import Cursor, LinkHeader, NextUrl, Offset, walk
from workers.sources.paging import Request as Req


async def items(request: Request) -> JSONResponse:
    cursor = int(request.query_params.get("after", 0))
    # pages 0, 1, 2, then the source hands out cursor 1 again
    following = {0: 1, 1: 2, 2: 1}[cursor]
    headers = {"Link": '<http://elsewhere.example/items?after=2>; rel="next"'} if not cursor else {}
    return JSONResponse(
        {"items": [cursor], "next": {"after": following}, "url": f"/items?after={following}"},
        headers=headers,
    )


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    with FakeServer(Starlette(routes=[Route("/items", items)])) as server:
        yield server.url


async def pages(base: str, paging: Any, limit: int = 10) -> list[Any]:
    http = SourceHttp("Inline", base, NoAuth(), SharedBudget(Budget(100), uuid.uuid4().hex))
    seen = []
    try:
        async for body in walk(http, Req("GET", "/items"), paging):
            seen.append(body["items"])
            if len(seen) >= limit:
                break
    finally:
        await http.aclose()
    return seen


@pytest.mark.parametrize("paging", [Cursor("next.after", "after"), NextUrl("url")])
async def test_a_cursor_handed_out_twice_stops_the_walk(app: Any, source: str, paging: Any) -> None:
    with pytest.raises(RepeatedCursor, match="already given"):
        await pages(source, paging)


async def test_a_next_link_goes_to_the_configured_host_whatever_it_names(
    app: Any, source: str
) -> None:
    assert await pages(source, LinkHeader(), limit=2) == [[0], [2]]


async def test_offset_paging_stops_at_a_short_page(app: Any, source: str) -> None:
    assert await pages(source, Offset("after", 5, "items")) == [[0]]
