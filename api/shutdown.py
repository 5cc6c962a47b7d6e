"""Graceful shutdown of the API: open WebSockets (GraphQL subscriptions) are closed with a
clear reason before the process goes, so clients reconnect elsewhere instead of guessing.

Plain HTTP requests are drained by uvicorn (`connectors serve --graceful-timeout`).
"""

from __future__ import annotations

import asyncio
from socket import socket as Listener

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import logging as logs

GOING_AWAY = 1001  # RFC 6455: the server is going down
SHUTDOWN_REASON = "server shutting down"
# Time for clients to answer our close frames before uvicorn tears connections down.
CLOSE_HANDSHAKE_SECONDS = 0.5

logger = logs.get_logger("api.shutdown")


class _Socket:
    def __init__(self, send: Send) -> None:
        self._send = send
        self.closed = False

    async def send(self, message: Message) -> None:
        # After our close the peer is gone: the handler's late frames (a `complete`, its own
        # close) have nowhere to go, and the server would refuse them.
        if self.closed:
            return
        if message["type"] == "websocket.close":
            self.closed = True
        await self._send(message)

    async def close(self, code: int, reason: str) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason})


class OpenWebSockets:
    """The accepted WebSockets of one app; `close_all` ends them with a reason."""

    def __init__(self) -> None:
        self.sockets: set[_Socket] = set()
        self.shutting_down = False

    async def close_all(self, code: int = GOING_AWAY, reason: str = SHUTDOWN_REASON) -> None:
        self.shutting_down = True
        open_now = [socket for socket in self.sockets if not socket.closed]
        if open_now:
            logger.info("closing subscriptions", count=len(open_now), reason=reason)
        for socket in open_now:
            await socket.close(code, reason)


class TrackWebSockets:
    """Middleware: every WebSocket joins `sockets` while it lives; new ones are turned away
    once shutdown has begun."""

    def __init__(self, app: ASGIApp, sockets: OpenWebSockets) -> None:
        self.app = app
        self.open = sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        if self.open.shutting_down:
            await send({"type": "websocket.close", "code": GOING_AWAY, "reason": SHUTDOWN_REASON})
            return
        socket = _Socket(send)
        self.open.sockets.add(socket)
        try:
            await self.app(scope, receive, socket.send)
        finally:
            self.open.sockets.discard(socket)


class DrainingServer(uvicorn.Server):
    """uvicorn, but subscriptions hear "server shutting down" (1001) before uvicorn drops the
    remaining connections with its generic 1012, and before it drains the HTTP requests."""

    def __init__(self, config: uvicorn.Config, sockets: OpenWebSockets) -> None:
        super().__init__(config)
        self.open = sockets

    async def shutdown(self, sockets: list[Listener] | None = None) -> None:
        await self.open.close_all()
        await asyncio.sleep(CLOSE_HANDSHAKE_SECONDS)
        await super().shutdown(sockets)


def serve(app: Starlette, *, host: str, port: int, graceful_timeout: float) -> None:
    """Run the API until SIGTERM/SIGINT, then drain in-flight requests for up to
    `graceful_timeout` seconds (uvicorn's `timeout_graceful_shutdown`)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        timeout_graceful_shutdown=graceful_timeout,
        log_config=None,  # uvicorn's loggers propagate to ours (models.logging)
        access_log=False,  # api.observability writes the access log, with ids, no query
        proxy_headers=True,
    )
    DrainingServer(config, app.state.websockets).run()
