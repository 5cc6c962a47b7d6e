"""How a request proves who it is: OAuth bearer tokens, Basic, and self-minted tokens.

Every scheme answers two questions: `apply` (set the credentials on a request about to be
sent) and `renew` (the source answered 401: get fresh credentials once; False when there is
nothing to renew, so the 401 stands).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from models import credentials, tokens
from models.tables import Connection


class Auth(Protocol):
    async def apply(self, request: httpx.Request) -> None: ...

    async def renew(self) -> bool: ...


class NoAuth:
    async def apply(self, request: httpx.Request) -> None:
        return None

    async def renew(self) -> bool:
        return False


class OAuthBearer:
    """The connection's OAuth access token; refreshed ahead of expiry by models.tokens.

    `scheme` is the word before the token: "Bearer", or a vendor's own ("Zoho-oauthtoken").
    """

    def __init__(self, connection: Connection, scheme: str = "Bearer") -> None:
        self.connection = connection
        self.scheme = scheme

    async def apply(self, request: httpx.Request) -> None:
        token = await tokens.access_token(self.connection)
        request.headers["Authorization"] = f"{self.scheme} {token}"

    async def renew(self) -> bool:
        self.connection = await tokens.refresh(self.connection, force=True)
        return True


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class KeyAuth:
    """Credentials from the connection's own settings (keys, service accounts).

    After a 401 they are read again from the connection and tried once more: an admin may
    have replaced them (reauthorizeConnection) while this run was going.
    """

    def __init__(
        self,
        connection: Connection | None,
        secrets: dict[str, str],
        sign: Callable[[httpx.Request, dict[str, str]], Awaitable[None]],
    ) -> None:
        self.connection = connection
        self.secrets = secrets
        self.sign = sign

    async def apply(self, request: httpx.Request) -> None:
        await self.sign(request, self.secrets)

    async def renew(self) -> bool:
        if self.connection is None:
            return False
        await self.connection.refresh_from_db()
        self.secrets = credentials.secret_settings(self.connection)
        return True


@dataclass(frozen=True)
class Minted:
    """A credential this service makes itself (a signed JWT, a token from a JWT grant)."""

    headers: dict[str, str]
    expires_at: float


class SelfMinted:
    """Credentials minted on demand and reused until a minute before they expire."""

    def __init__(self, mint: Callable[[], Awaitable[Minted]], margin: float = 60.0) -> None:
        self._mint = mint
        self._margin = margin
        self._current: Minted | None = None

    async def apply(self, request: httpx.Request) -> None:
        if self._current is None or self._current.expires_at - self._margin < time.time():
            self._current = await self._mint()
        request.headers.update(self._current.headers)

    async def renew(self) -> bool:
        self._current = None
        return True
