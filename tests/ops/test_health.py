"""Liveness and readiness as a load balancer sees them, and GraphiQL switched off by a setting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from api.app import GraphQLApp
from models.settings import Settings
from tests.conftest import ENCRYPTION_KEYS, JWT_SECRET, ROOT
from tests.ops.test_shutdown import free_port, wait_until_up


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`connectors serve` on its own SQLite file and its own embedded Redis."""
    port, data_dir = free_port(), tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if key != "CONNECTORS_REDIS_URL"} | {
        "CONNECTORS_DATABASE_URL": f"sqlite://{tmp_path / 'api.sqlite3'}",
        "CONNECTORS_DATA_DIR": str(data_dir),
        "CONNECTORS_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
        "CONNECTORS_JWT_SECRET": JWT_SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors_cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield port, data_dir
    finally:
        process.kill()
        process.wait(timeout=10)


def _stop_embedded_redis(data_dir: Path) -> None:
    socket_path = str((data_dir / "redis.sock").resolve()).encode()
    pids = [
        int(proc.name)
        for proc in Path("/proc").iterdir()
        if proc.name.isdigit() and socket_path in _cmdline(proc)
    ]
    assert pids, "the embedded Redis of the served process was not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:  # the process ended while we looked
        return b""


async def test_readyz_names_the_part_that_is_down_while_healthz_stays_up(
    served: tuple[int, Path],
) -> None:
    port, data_dir = served
    await wait_until_up(port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

        _stop_embedded_redis(data_dir)
        not_ready = await http.get("/readyz")
        assert not_ready.status_code == 503
        assert list(not_ready.json()["failing"]) == ["redis"]
        assert (await http.get("/healthz")).status_code == 200


async def test_graphiql_can_be_switched_off() -> None:
    app = Starlette(routes=[Route("/graphql", GraphQLApp(Settings(graphiql=False)))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
