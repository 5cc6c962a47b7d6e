"""Who is calling: bearer JWTs, HS256 with the development secret or RS256/ES256 via JWKS.

JOSE work is done with joserfc, the JOSE library of the authlib project (authlib.jose is
deprecated in its favour).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from models.actors import ROLES, Actor
from models.errors import Unauthenticated
from models.settings import Settings

JWKS_CACHE_SECONDS = 300
_jwks_cache: dict[str, tuple[float, KeySet]] = {}


def mint_token(
    settings: Settings, *, tenant: str, roles: list[str], sub: str, ttl: int = 30 * 86400
) -> str:
    """A development token signed with `jwt_secret` (the `connectors token` command)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"Unknown role {sorted(unknown)[0]!r}; roles are {sorted(ROLES)}.")
    now = int(time.time())
    claims = {"sub": sub, "tenant": tenant, "roles": roles, "iat": now, "exp": now + ttl}
    key = OctKey.import_key(settings.resolved_jwt_secret)
    return jwt.encode({"alg": "HS256"}, claims, key)


async def actor_from_header(settings: Settings, header: str | None) -> Actor:
    if not header:
        raise Unauthenticated("Send `Authorization: Bearer <token>`; no token was given.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be `Bearer <token>`.")
    return await verify_token(settings, token.strip())


async def verify_token(settings: Settings, token: str) -> Actor:
    try:
        if settings.jwks_url:
            decoded = jwt.decode(
                token, await _jwks(settings.jwks_url), algorithms=["RS256", "ES256"]
            )
        else:
            key = OctKey.import_key(settings.resolved_jwt_secret)
            decoded = jwt.decode(token, key, algorithms=["HS256"])
        _registry(settings).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise Unauthenticated("The token is invalid or expired; sign in again.") from exc
    return _actor(decoded.claims)


def _registry(settings: Settings) -> jwt.JWTClaimsRegistry:
    options: dict[str, Any] = {
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
    if settings.jwt_issuer:
        options["iss"] = {"essential": True, "value": settings.jwt_issuer}
    if settings.jwt_audience:
        options["aud"] = {"essential": True, "value": settings.jwt_audience}
    return jwt.JWTClaimsRegistry(**options)


def _actor(claims: dict[str, Any]) -> Actor:
    tenant = claims.get("tenant")
    roles = claims.get("roles")
    if not isinstance(tenant, str) or not tenant:
        raise Unauthenticated("The token names no `tenant`; ask for a token of your organization.")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("The token's `roles` must be a list of admin, viewer or support.")
    return Actor(user=str(claims["sub"]), tenant=tenant, roles=frozenset(roles) & ROLES)


async def _jwks(url: str) -> KeySet:
    cached = _jwks_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
        response.raise_for_status()
    key_set = KeySet.import_key_set(response.json())
    _jwks_cache[url] = (time.monotonic() + JWKS_CACHE_SECONDS, key_set)
    return key_set
