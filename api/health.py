"""Liveness and readiness: is the process up, and can it reach its database and Redis."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

READY_TIMEOUT = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    failing = {}
    for part, probe in (("database", _database), ("redis", lambda: _redis(request))):
        try:
            await asyncio.wait_for(probe(), READY_TIMEOUT)
        except Exception as exc:  # noqa: BLE001  (any failure of a probe means not ready)
            failing[part] = f"{type(exc).__name__}: unreachable"
    if failing:
        return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _redis(request: Request) -> None:
    await request.app.state.runtime.redis.ping()
