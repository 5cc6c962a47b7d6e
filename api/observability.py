"""Per-request observability: a request id, the log context, HTTP metrics and an access log.

A pure ASGI middleware (not `BaseHTTPMiddleware`), so the ids bound here stay visible to the
whole request, WebSocket included, and nothing of the response body is buffered.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import logging as logs
from models import metrics

REQUEST_ID_HEADER = "x-request-id"
# A caller's (or the load balancer's) id is kept when it is short and plain; else a new one.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Probes and scrapes hit these every few seconds: their access lines are debug, not info.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"

logger = logs.get_logger("api.access")


def request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _VALID_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template: bounded, unlike the path itself."""
    route = scope.get("route")
    return getattr(route, "path", UNMATCHED) if route is not None else UNMATCHED


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        with logs.isolated():
            logs.bind(request_id=rid)
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, rid)

    async def _http(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        status = 500  # what the client gets when the app fails before it answers
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finished(scope, status, time.perf_counter() - started)

    @staticmethod
    def _finished(scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        metrics.http_request_finished(scope["method"], route, status, seconds)
        log = logger.debug if route in QUIET_ROUTES else logger.info
        log(
            "request",
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
        )
