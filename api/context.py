"""The per-request context: settings, the caller, and DataLoaders built fresh per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from api.auth import actor_from_header
from api.loaders import Loaders
from models.actors import Actor
from models.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    settings: Settings
    loaders: Loaders = field(default_factory=Loaders)
    # Filled by graphql-transport-ws / graphql-ws from the connection_init payload.
    connection_params: dict[str, Any] | None = None
    _actor: Actor | None = None

    async def actor(self) -> Actor:
        """The verified caller; raises Unauthenticated when the token is missing or bad."""
        if self._actor is None:
            self._actor = await actor_from_header(self.settings, self._authorization())
        return self._actor

    def _authorization(self) -> str | None:
        if isinstance(self.request, WebSocket):
            params = self.connection_params or {}
            value = params.get("Authorization") or params.get("authorization")
            return value if isinstance(value, str) else None
        return self.request.headers.get("authorization")


Info = StrawberryInfo[Context, None]
