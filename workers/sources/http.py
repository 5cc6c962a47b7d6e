"""The one HTTP client every source uses: timeouts, retries, rate limits, 401 renewal.

- Every request takes a unit of the connection's shared budget (budget.py) first.
- 5xx answers, timeouts and dropped connections are retried with exponential backoff and
  jitter, up to `RetryPolicy.attempts`; then the run is SourceUnavailable with the last word
  the source said.
- A rate-limit answer (429, or what the source declares as one) waits out Retry-After, or a
  backoff when there is none, and pauses every job of the connection meanwhile.
- A 401 renews the credentials once (an OAuth refresh, a new JWT) and retries; a second 401
  is SourceFailed: an admin must reauthorize.
- Any other 4xx is SourceFailed with the source's own message.
- An absolute URL the source hands back (a next page) keeps its path but goes to the
  configured base address (`resolve`, applied by paging.walk): through the operator's proxy,
  never to a host of the source's choosing.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib.util
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from models.errors import DomainError
from models.tokens import TokenUnavailable
from workers.sources.auth import Auth
from workers.sources.budget import SharedBudget
from workers.sources.errors import CredentialsRefused, SourceFailed, SourceUnavailable

USER_AGENT = "connections-hub/0.1"
TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=30.0)
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)
HTTP2 = importlib.util.find_spec("h2") is not None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries of one request through 5xx answers and timeouts
    base_delay: float = 0.5
    max_delay: float = 30.0
    rate_limit_waits: int = 10  # rate-limit answers waited out for one request
    max_retry_after: float = 300.0  # a longer Retry-After ends the run: retry it later

    def backoff(self, failures: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
        return delay * random.uniform(0.5, 1.0)


POLICY = [RetryPolicy()]  # one slot, so tests can install a faster policy


def policy() -> RetryPolicy:
    return POLICY[0]


def is_429(response: httpx.Response) -> bool:
    return response.status_code == 429


def never(response: httpx.Response) -> bool:
    return False


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait, from Retry-After as seconds or as an HTTP date."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return None
    if raw.replace(".", "", 1).isdigit():
        return float(raw)
    parsed = email.utils.parsedate_to_datetime(raw) if raw else None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def is_401(response: httpx.Response) -> bool:
    return response.status_code == 401


def error_message(response: httpx.Response) -> str:
    """The source's own words from an error answer: the usual JSON shapes, else the text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _short(response.text) or response.reason_phrase
    return _short(_message_in(body)) or response.reason_phrase


def _message_in(body: Any) -> str:
    if isinstance(body, list) and body:
        return "; ".join(_message_in(item) for item in body[:3])
    if not isinstance(body, dict):
        return str(body)
    for key in ("message", "error_description", "errorMessage", "description"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key]
    if isinstance(body.get("errorMessages"), list) and body["errorMessages"]:
        return "; ".join(map(str, body["errorMessages"]))
    # Intercom's error.list ([{"code", "message"}]) and Gong's ["..."] beside a request id.
    if isinstance(body.get("errors"), list) and body["errors"]:
        return _message_in(body["errors"])
    error = body.get("error")
    if isinstance(error, dict | list):
        return _message_in(error)
    return str(error) if error else json.dumps(body)[:300]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:497] + "..."


@dataclass(frozen=True)
class Dialect:
    """How a source tells what went wrong; the defaults fit most JSON APIs."""

    message: Callable[[httpx.Response], str] = error_message
    rate_limited: Callable[[httpx.Response], bool] = is_429
    unauthorized: Callable[[httpx.Response], bool] = is_401
    retry_after: Callable[[httpx.Response], float | None] = retry_after
    # An error status that only means "nothing here" (Gong's 404 for a range without calls):
    # handed back like a success, for the reader to find no records in.
    no_data: Callable[[httpx.Response], bool] = never


class SourceHttp:
    def __init__(
        self,
        name: str,
        base_url: str,
        auth: Auth,
        budget: SharedBudget,
        dialect: Dialect | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.budget = budget
        self.dialect = dialect or Dialect()
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=TIMEOUT,
            limits=LIMITS,
            http2=HTTP2,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def resolve(self, url: str) -> str:
        """A URL the source gave back, sent to our base address with its own path and query."""
        parts = urlsplit(url)
        if not parts.scheme:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.send(method, url, **kwargs)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceFailed(f"{self.name} answered with something that is not JSON.") from exc

    @asynccontextmanager
    async def stream(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        response = await self.send(method, url, stream=True, **kwargs)
        try:
            yield response
        finally:
            await response.aclose()

    async def send(
        self, method: str, url: str, *, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        attempt = _Attempt()
        while True:
            await self.budget.take()
            response = await self._try(method, url, stream, attempt, kwargs)
            if response is not None and self._usable(response):
                return response
            if response is not None:
                await self._judge(response, attempt)

    def _usable(self, response: httpx.Response) -> bool:
        # 304 answers a conditional request the source client made (If-Modified-Since).
        return response.is_success or response.status_code == 304 or self.dialect.no_data(response)

    async def _try(
        self, method: str, url: str, stream: bool, attempt: _Attempt, kwargs: dict[str, Any]
    ) -> httpx.Response | None:
        request = self.client.build_request(method, url, **kwargs)
        await self._authorize(request)
        try:
            return await self.client.send(request, stream=stream)
        except httpx.TimeoutException:
            await self._fail_transient(attempt, f"{self.name} did not answer in time")
        except httpx.TransportError as exc:
            await self._fail_transient(attempt, f"{self.name} could not be reached ({exc})")
        return None

    async def _judge(self, response: httpx.Response, attempt: _Attempt) -> None:
        """Decide about an error answer: return to retry, raise to stop."""
        await response.aread()
        await response.aclose()
        message = self.dialect.message(response)
        unauthorized = self.dialect.unauthorized(response)
        if unauthorized and not attempt.renewed:
            attempt.renewed = True
            if await self._renew():
                return
        if unauthorized:
            raise CredentialsRefused(
                f"{self.name} refused the credentials: {message} Reauthorize the connection."
            )
        if self.dialect.rate_limited(response):
            await self._wait_rate_limit(response, attempt, message)
            return
        if response.status_code >= 500 or response.status_code == 408:
            await self._fail_transient(
                attempt, f"{self.name} failed ({response.status_code}): {message}"
            )
            return
        raise SourceFailed(f"{self.name} refused the request ({response.status_code}): {message}")

    async def _authorize(self, request: httpx.Request) -> None:
        try:
            await self.auth.apply(request)
        except TokenUnavailable as exc:
            raise SourceUnavailable(f"{self.name}'s token endpoint failed: {exc}") from exc
        except DomainError as exc:
            raise SourceFailed(exc.message) from exc

    async def _renew(self) -> bool:
        try:
            return await self.auth.renew()
        except TokenUnavailable as exc:
            raise SourceUnavailable(f"{self.name}'s token endpoint failed: {exc}") from exc
        except DomainError as exc:
            raise SourceFailed(exc.message) from exc

    async def _wait_rate_limit(
        self, response: httpx.Response, attempt: _Attempt, message: str
    ) -> None:
        attempt.rate_limited += 1
        rules = policy()
        delay = self.dialect.retry_after(response)
        if delay is None:
            delay = rules.backoff(attempt.rate_limited)
        if attempt.rate_limited > rules.rate_limit_waits or delay > rules.max_retry_after:
            raise SourceUnavailable(f"{self.name} is rate limiting this connection: {message}")
        await self.budget.pause(delay)

    async def _fail_transient(self, attempt: _Attempt, message: str) -> None:
        attempt.failures += 1
        rules = policy()
        if attempt.failures >= rules.attempts:
            raise SourceUnavailable(f"{message} (tried {attempt.failures} times).")
        await asyncio.sleep(rules.backoff(attempt.failures))


@dataclass
class _Attempt:
    failures: int = 0
    rate_limited: int = 0
    renewed: bool = False
