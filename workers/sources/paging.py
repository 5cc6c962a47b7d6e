"""How sources page, as declarations, and the one loop that walks them.

A paging declaration answers one question: given the request just sent and what came back,
what is the next request (and the token that names that page), or None at the end. `walk`
sends, yields each page's body, and stops the run with RepeatedCursor when a token comes
back a second time: a source that hands out the same cursor again would loop forever.

- NextUrl: the body names the next page's address (Salesforce `nextRecordsUrl`,
  Zendesk `after_url` / `next_page`).
- Cursor: the body names an opaque cursor the next request sends back (HubSpot
  `paging.next.after`, Jira `nextPageToken`, BigQuery `pageToken`).
- Offset: the next request starts where this one ended (Jira `startAt`).
- PageNumber: pages numbered from `start`.
- LinkHeader: RFC 8288 `Link: <...>; rel="next"`.
- Partitions: a query result split in numbered partitions fetched by index (Snowflake).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import httpx
import orjson

from workers.sources.errors import RepeatedCursor, SourceFailed
from workers.sources.http import SourceHttp


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def with_params(self, **params: Any) -> Request:
        return replace(self, params={**self.params, **params})

    def with_json(self, **values: Any) -> Request:
        return replace(self, json={**(self.json or {}), **values})

    def to(self, url: str) -> Request:
        """Follow a next-page address: it carries its own query."""
        return replace(self, url=url, params={})


def dig(body: Any, path: str) -> Any:
    """`dig(body, "paging.next.after")`; None where any step is missing. A key that itself
    holds dots (OData's `@odata.nextLink`) is taken whole first."""
    if isinstance(body, dict) and path in body:
        return body[path]
    value = body
    for step in path.split(".") if path else ():
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


Step = tuple[Request, str] | None


class Paging(Protocol):
    def next(
        self, request: Request, response: httpx.Response, body: Any, state: dict[str, Any]
    ) -> Step: ...


def _done(body: Any, path: str | None) -> bool:
    return bool(path) and bool(dig(body, path or ""))


@dataclass(frozen=True)
class NextUrl:
    path: str
    done: str | None = None  # a flag in the body that says this was the last page

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        url = dig(body, self.path)
        if not url or _done(body, self.done):
            return None
        return request.to(str(url)), str(url)


@dataclass(frozen=True)
class Cursor:
    path: str  # where the body names the next cursor
    param: str  # the query parameter (or JSON field) that sends it back
    in_body: bool = False
    done: str | None = None

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        cursor = dig(body, self.path)
        if cursor in (None, "") or _done(body, self.done):
            return None
        if self.in_body:
            return request.with_json(**{self.param: cursor}), str(cursor)
        return request.with_params(**{self.param: cursor}), str(cursor)


@dataclass(frozen=True)
class Offset:
    param: str
    size: int
    records: str  # where the page's records are, to count them
    last: str | None = None  # a flag in the body that says this was the last page

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        count = len(dig(body, self.records) or [])
        if count < self.size or _done(body, self.last):
            return None
        offset = int(request.params.get(self.param, 0)) + count
        return request.with_params(**{self.param: offset}), str(offset)


@dataclass(frozen=True)
class PageNumber:
    param: str
    records: str
    start: int = 1

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        if not dig(body, self.records):
            return None
        number = int(request.params.get(self.param, self.start)) + 1
        return request.with_params(**{self.param: number}), str(number)


@dataclass(frozen=True)
class LinkHeader:
    rel: str = "next"

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        url = response.links.get(self.rel, {}).get("url")
        return (request.to(url), url) if url else None


@dataclass(frozen=True)
class Partitions:
    """Numbered partitions of one result: the count comes with the first page only."""

    count: str  # where the first body lists the partitions
    url: str  # where the first body names the statement's address
    param: str = "partition"

    def next(self, request: Request, response: httpx.Response, body: Any, state: dict) -> Step:
        if "total" not in state:
            state["total"] = len(dig(body, self.count) or [])
            state["url"] = str(dig(body, self.url) or "").split("?")[0]
            state["index"] = 0
        state["index"] += 1
        if state["index"] >= state["total"] or not state["url"]:
            return None
        following = Request("GET", state["url"], params={self.param: state["index"]})
        return following, f"{state['url']}#{state['index']}"


async def walk(
    http: SourceHttp,
    first: Request,
    paging: Paging,
    parse: Callable[[SourceHttp, httpx.Response], Any] | None = None,
    answered: httpx.Response | None = None,
) -> AsyncIterator[Any]:
    """Send `first` and each next request; yield every page's body (JSON unless `parse`).

    `answered`: the answer to `first` when the caller had to send it itself (to wait for a
    query to finish, say); walking starts from it.
    """
    seen: set[str] = set()
    state: dict[str, Any] = {}
    request: Request | None = first
    while request is not None:
        response = answered or await http.send(
            request.method,
            http.resolve(request.url),
            params=request.params or None,
            json=request.json,
            headers=request.headers or None,
        )
        answered = None
        body = (parse or _json)(http, response)
        yield body
        step = paging.next(request, response, body, state)
        if step is None:
            return
        request, token = step
        if token in seen:
            raise RepeatedCursor(
                f"{http.name} handed back a page cursor it had already given ({token[:80]}); "
                "the run stopped instead of reading the same pages again."
            )
        seen.add(token)


def _json(http: SourceHttp, response: httpx.Response) -> Any:
    if response.status_code in (204, 304):  # no content, or nothing changed: no page body
        return None
    try:
        return orjson.loads(response.content)  # pages are the hot path: orjson, not json
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFailed(f"{http.name} answered a page that is not JSON.") from exc


def json_line(line: str, where: str, what: str) -> dict[str, Any]:
    """One object of a JSON-lines body; the errors read "<where> that is not JSON/<what>"."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceFailed(f"{where} that is not JSON.") from exc
    if not isinstance(value, dict):
        raise SourceFailed(f"{where} that is not {what}.")
    return value
