"""Production tokens: RS256 / ES256 checked against an OIDC issuer's JWKS, issuer and audience."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import verify_token
from models.errors import Unauthenticated
from models.settings import Settings
from tests.fakes.server import FakeServer

RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
ISSUER = "https://id.example.com/"
AUDIENCE = "connections-hub"


@pytest.fixture(scope="module")
def jwks_settings() -> Iterator[Settings]:
    keys = {"keys": [RSA.as_dict(private=False), EC.as_dict(private=False)]}
    app = Starlette(routes=[Route("/jwks.json", lambda request: JSONResponse(keys))])
    with FakeServer(app) as server:
        yield Settings(jwks_url=f"{server.url}/jwks.json", jwt_issuer=ISSUER, jwt_audience=AUDIENCE)


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "sub": "ada",
        "tenant": "acme",
        "roles": ["viewer"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 300,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def test_rs256_and_es256_tokens_from_the_issuer_are_accepted(
    jwks_settings: Settings,
) -> None:
    for alg, key in (("RS256", RSA), ("ES256", EC)):
        token = jwt.encode({"alg": alg, "kid": key.kid}, _claims(), key)
        actor = await verify_token(jwks_settings, token)
        assert (actor.user, actor.tenant, actor.roles) == ("ada", "acme", frozenset({"viewer"}))


@pytest.mark.parametrize(
    "changes",
    [{"iss": "https://evil.example.com/"}, {"aud": "someone-else"}, {"exp": 1}, {"sub": None}],
)
async def test_wrong_issuer_audience_expiry_or_subject_is_refused(
    jwks_settings: Settings, changes: dict[str, Any]
) -> None:
    token = jwt.encode({"alg": "RS256", "kid": RSA.kid}, _claims(**changes), RSA)
    with pytest.raises(Unauthenticated):
        await verify_token(jwks_settings, token)


async def test_a_key_not_in_the_jwks_is_refused(jwks_settings: Settings) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    token = jwt.encode({"alg": "RS256", "kid": "rsa-1"}, _claims(), stranger)
    with pytest.raises(Unauthenticated):
        await verify_token(jwks_settings, token)


async def test_hs256_tokens_are_refused_when_a_jwks_is_configured(
    jwks_settings: Settings,
) -> None:
    token = jwt.encode({"alg": "HS256"}, _claims(), OctKey.import_key("x" * 32))
    with pytest.raises(Unauthenticated):
        await verify_token(jwks_settings, token)
