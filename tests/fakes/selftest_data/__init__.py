"""Self-tests of the fake source systems: each fake, driven over real HTTP, behaves as its
vendor's published documentation says.

Starting and stopping a uvicorn server costs about a quarter of a second, so each test module
runs one server for all its tests and points it at each test's fresh fake through `AppSwitch`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class AppSwitch:
    """An ASGI app that forwards to whichever app was set last."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no fake is set on the switch")
        await self.app(scope, receive, send)
