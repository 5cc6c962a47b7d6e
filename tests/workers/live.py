"""The app served by uvicorn on a loopback port, and a graphql-transport-ws client for it.

The app is the session's (its lifespan already runs), so the server starts with lifespan off
and shares the tests' database and Redis.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from models import events

PROTOCOL = "graphql-transport-ws"


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 (a free port); yields the WebSocket URL of /graphql."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task
        listener.close()


class Subscription:
    """One graphql-transport-ws connection carrying one subscription."""

    def __init__(self, socket_: ClientConnection) -> None:
        self.socket = socket_

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next `next` payload's data; fails on an error or a completed stream."""
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == "next", message
            assert not message["payload"].get("errors"), message["payload"]["errors"]
            return message["payload"]["data"]

    async def nothing_for(self, seconds: float) -> None:
        """Asserts that no update arrives for a while."""
        try:
            message = await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected no update, got {message}")

    async def raw(self, timeout: float = 10.0) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))


async def _listeners(tenant: str) -> int:
    counts = await events.bus().redis.pubsub_numsub(events.channel(tenant))
    return int(counts[0][1])


@asynccontextmanager
async def subscribe(
    url: str, token: str, tenant: str, query: str, **variables: Any
) -> AsyncIterator[Subscription]:
    """Connect, authenticate in connection_init, subscribe, and wait until the server listens
    on the tenant's channel (graphql-transport-ws itself has no "subscribed" message)."""
    before = await _listeners(tenant)
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        start = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": start}))
        await eventually(lambda: _more(tenant, before))
        yield Subscription(ws)


async def _more(tenant: str, before: int) -> bool:
    return await _listeners(tenant) > before


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, timeout: float = 15.0, every: float = 0.1
) -> Any:
    """Polls `probe` until it returns something truthy; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout} s: {probe}")
        await asyncio.sleep(every)
