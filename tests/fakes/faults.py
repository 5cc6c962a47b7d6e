"""What every fake source shares: a log of the requests it received, and scripted faults.

A test says what should go wrong before it runs a job, e.g.
`fake.faults.add(429, headers={"Retry-After": "1"}, path="/query")`, and the next matching
request gets that answer instead of the real one. The body of a fault is the vendor's own
error shape, which each fake passes in, so the client meets exactly what the real system sends.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class Fault:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None  # substring of the request path; None matches every path
    times: int = 1
    delay: float = 0.0  # seconds to stall before answering (timeouts)

    def matches(self, path: str) -> bool:
        return self.path is None or self.path in path


@dataclass
class SeenRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []

    def add(self, status: int, body: Any = None, **kwargs: Any) -> Fault:
        fault = Fault(status, body, **kwargs)
        self._queue.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        for fault in self._queue:
            if fault.matches(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._queue.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._queue.clear()


class RecordingMiddleware:
    """Logs each request into `requests` and answers with a scripted fault when one matches."""

    def __init__(self, app: ASGIApp, requests: list[SeenRequest], faults: Faults) -> None:
        self.app = app
        self.requests = requests
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        self.requests.append(
            SeenRequest(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                headers=dict(request.headers),
                body=body,
            )
        )
        fault = self.faults.take(request.url.path)
        if fault is None:
            await self.app(scope, _replay(body), send)
            return
        if fault.delay:
            await asyncio.sleep(fault.delay)
        await _fault_response(fault)(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _fault_response(fault: Fault) -> Response:
    if fault.body is None or isinstance(fault.body, str | bytes):
        return Response(fault.body or b"", status_code=fault.status, headers=fault.headers)
    headers = {"content-type": "application/json", **fault.headers}
    return Response(json.dumps(fault.body), status_code=fault.status, headers=headers)
