"""The shape of a vendor's token quirks, and the defaults for connectors without any.

A vendor module declares a `Quirks`: how to read the source account and the non-secret values
the API needs (`instance_url`, `api_domain`, `cloud_id`, ...) from a token response, possibly
with one cheap call; how its own error bodies map to RFC 6749 error codes; how it revokes when
that is not RFC 7009. Connectors without a module get the defaults: nothing extra, RFC 7009.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2

from models import settings as config
from models.catalog import Connector
from models.oauth_endpoints import ResolvedOAuth


@dataclass(frozen=True)
class TokenContext:
    """One token response, with what a vendor module may need to read more from it."""

    connector: Connector
    settings: dict[str, Any]
    token: dict[str, Any]
    issued: datetime
    http: httpx2.AsyncClient

    def api_host(self, default: str) -> str:
        return api_host(self.connector, default)

    async def get_json(
        self, url: str, scheme: str = "Bearer", headers: dict[str, str] | None = None
    ) -> Any:
        """GET `url` with the new access token; an error status raises (the callback says so)."""
        auth = {"Authorization": f"{scheme} {self.token['access_token']}"}
        response = await self.http.get(url, headers={**auth, **(headers or {})})
        response.raise_for_status()
        return response.json()


@dataclass
class Inspection:
    """What a token response tells beyond the tokens: the account and the API's own values."""

    account: str | None = None
    extras: dict[str, str] = field(default_factory=dict)
    expires_in: int | None = None  # when the vendor says it elsewhere than `expires_in`


@dataclass(frozen=True)
class RevokeContext:
    connector: Connector
    oauth: ResolvedOAuth | None
    tokens: dict[str, str]
    settings: dict[str, Any]
    http: httpx2.AsyncClient

    def api_host(self, default: str) -> str:
        return api_host(self.connector, default)


Inspect = Callable[[TokenContext], Awaitable[Inspection]]
Revoke = Callable[[RevokeContext], Awaitable[str]]


async def no_inspection(ctx: TokenContext) -> Inspection:
    return Inspection()


def no_error_code(body: dict[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class Quirks:
    inspect: Inspect = no_inspection
    error_code: Callable[[dict[str, Any]], str | None] = no_error_code
    revoke: Revoke | None = None  # None: RFC 7009 at the connector's revoke_url, if it has one


def api_host(connector: Connector, default: str) -> str:
    """Scheme and host of the API: the operator's `api_url` override wins (proxies, fakes)."""
    override = config.current().overrides(connector.key).api_url
    if not override:
        return default.rstrip("/")
    parts = urlsplit(override)
    return f"{parts.scheme}://{parts.netloc}"
