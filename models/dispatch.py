"""How the core hands work to the background: the worker package installs a dispatcher.

The core never imports the workers; at start-up (workers.runtime) the arq-backed dispatcher
from `workers.queue` is installed here, and services call it after their writes commit.
"""

from __future__ import annotations

from typing import Protocol

from models.tables import Activity


class Dispatcher(Protocol):
    async def enqueue_run(self, activity: Activity) -> None: ...

    async def abort_run(self, activity: Activity) -> None: ...

    async def enqueue_connection_test(self, connection_id: str, defer_seconds: float = 0) -> bool:
        """Queue the test of a connection; False when one is already queued or running."""
        ...


_dispatcher: list[Dispatcher] = []


def install(dispatcher: Dispatcher) -> None:
    _dispatcher[:] = [dispatcher]


def current() -> Dispatcher:
    if not _dispatcher:
        raise RuntimeError("No dispatcher installed; call workers.runtime.startup() first.")
    return _dispatcher[0]
