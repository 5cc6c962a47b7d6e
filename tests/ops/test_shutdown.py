"""Graceful shutdown: subscriptions are closed with 1001 "server shutting down", HTTP drains.

The SIGTERM test runs the real `connectors serve` (uvicorn) in a process of its own, on a
fresh SQLite database and the Redis of the environment (or an embedded one).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from api.auth import mint_token
from api.shutdown import GOING_AWAY, SHUTDOWN_REASON, OpenWebSockets, TrackWebSockets
from models.settings import Settings
from tests.conftest import ENCRYPTION_KEYS, JWT_SECRET, ROOT

START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    env = {
        **os.environ,
        "CONNECTORS_DATABASE_URL": f"sqlite://{tmp_path / 'api.sqlite3'}",
        "CONNECTORS_DATA_DIR": str(tmp_path / "data"),
        "CONNECTORS_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
        "CONNECTORS_JWT_SECRET": JWT_SECRET,
        "CONNECTORS_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors_cli", "serve", "--port", str(port),
         "--graceful-timeout", "5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


async def wait_until_up(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        while asyncio.get_running_loop().time() < deadline:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.1)
    raise AssertionError("connectors serve did not come up")


async def subscribers(port: int) -> float:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        text = (await http.get("/metrics")).text
    [line] = [line for line in text.splitlines() if line.startswith("connectors_subscribers ")]
    return float(line.split()[1])


async def test_sigterm_closes_open_subscriptions_with_a_reason(
    server: tuple[subprocess.Popen[str], int], settings: Settings
) -> None:
    process, port = server
    await wait_until_up(port)
    token = mint_token(settings, tenant="shutdown", roles=["viewer"], sub="watcher")
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription Live { activityUpdates { id } }"},
                }
            )
        )
        for _ in range(50):  # the subscription is live once the gauge counts it
            if await subscribers(port) == 1:
                break
            await asyncio.sleep(0.1)
        assert await subscribers(port) == 1

        process.send_signal(signal.SIGTERM)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (GOING_AWAY, SHUTDOWN_REASON)
    # uvicorn re-raises the signal once it has shut down cleanly, hence -SIGTERM.
    assert await asyncio.to_thread(process.wait, 15) in (0, -signal.SIGTERM)
    assert process.stdout is not None
    log = process.stdout.read()
    assert '"event": "closing subscriptions"' in log
    assert '"event": "Application shutdown complete."' in log
    assert token not in log


def tiny_app(sockets: OpenWebSockets) -> Starlette:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            await websocket.send_text(await websocket.receive_text())

    app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    app.add_middleware(TrackWebSockets, sockets=sockets)
    return app


async def test_close_all_ends_open_sockets_and_refuses_new_ones() -> None:
    sockets = OpenWebSockets()
    transport = ASGIWebSocketTransport(app=tiny_app(sockets))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        async with aconnect_ws("/ws", http) as ws:
            await ws.send_text("hi")
            assert await ws.receive_text() == "hi"
            await sockets.close_all()
            with pytest.raises(WebSocketDisconnect) as closed:
                await ws.receive_text()
        assert (closed.value.code, closed.value.reason) == (GOING_AWAY, SHUTDOWN_REASON)
        assert not sockets.sockets
        with pytest.raises(Exception) as refused:
            async with aconnect_ws("/ws", http):
                pass
        assert refused.value is not None
