"""The shared OAuth server: consent page, code exchange, PKCE, refresh, revocation."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from tests.fakes.oauth import OAuthServer, browser_consent, pkce_challenge
from tests.fakes.server import FakeServer

REDIRECT = "http://127.0.0.1:9/oauth/callback?tenant=t1"
VERIFIER = "v" * 64


def make_server(**kwargs: object) -> OAuthServer:
    options: dict[str, object] = {
        "client_id": "cid",
        "client_secret": "secret",
        "redirect_uri": REDIRECT,
        "authorize_path": "/authorize",
        "token_path": "/token",
        "revoke_path": "/revoke",
        "rotate_refresh": True,
        **kwargs,
    }
    return OAuthServer(**options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[OAuthServer, str]]:
    oauth = make_server()
    with FakeServer(Starlette(routes=oauth.routes())) as server:
        yield oauth, server.url


def authorize_url(base: str, **extra: str) -> str:
    query = httpx.QueryParams(
        {"response_type": "code", "client_id": "cid", "redirect_uri": REDIRECT, **extra}
    )
    return f"{base}/authorize?{query}"


def location(response: httpx.Response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["location"]).query)


async def get_code(http: httpx.AsyncClient, base: str, **extra: str) -> str:
    response = await browser_consent(http, authorize_url(base, **extra))
    assert response.status_code == 302
    return location(response)["code"][0]


def code_form(code: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "cid",
        "client_secret": "secret",
        **extra,
    }


async def test_allow_redirects_with_code_and_untouched_state(served) -> None:
    _, base = served
    async with httpx.AsyncClient() as http:
        page = await http.get(authorize_url(base, state="a b/c"))
        assert page.status_code == 200
        assert "Allow" in page.text and "Deny" in page.text
        response = await browser_consent(http, authorize_url(base, state="a b/c"))
    query = location(response)
    assert response.headers["location"].startswith("http://127.0.0.1:9/oauth/callback?")
    assert query["state"] == ["a b/c"] and query["tenant"] == ["t1"] and query["code"]


async def test_deny_redirects_with_access_denied(served) -> None:
    _, base = served
    async with httpx.AsyncClient() as http:
        response = await browser_consent(http, authorize_url(base, state="s"), allow=False)
    query = location(response)
    assert query["error"] == ["access_denied"] and query["state"] == ["s"]
    assert query["error_description"]


async def test_wrong_redirect_uri_is_an_error_page_not_a_redirect(served) -> None:
    _, base = served
    url = authorize_url(base).replace("tenant%3Dt1", "tenant%3Dother")
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 400 and "redirect_uri" in response.text


async def test_code_is_single_use_and_replay_revokes_its_tokens(served) -> None:
    oauth, base = served
    async with httpx.AsyncClient(base_url=base) as http:
        code = await get_code(http, base)
        first = await http.post("/token", data=code_form(code))
        assert first.status_code == 200
        replay = await http.post("/token", data=code_form(code))
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert oauth.check_token(first.json()["access_token"])[1] == "revoked"


async def test_pkce_s256_is_verified(served) -> None:
    _, base = served
    challenge = {"code_challenge": pkce_challenge(VERIFIER), "code_challenge_method": "S256"}
    async with httpx.AsyncClient(base_url=base) as http:
        code = await get_code(http, base, **challenge)
        wrong = await http.post("/token", data=code_form(code, code_verifier="x" * 64))
        code = await get_code(http, base, **challenge)
        right = await http.post("/token", data=code_form(code, code_verifier=VERIFIER))
    assert wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 200


async def test_client_auth_by_basic_and_bad_secret(served) -> None:
    _, base = served
    async with httpx.AsyncClient(base_url=base) as http:
        code = await get_code(http, base)
        form = code_form(code)
        del form["client_id"], form["client_secret"]
        basic = await http.post("/token", data=form, auth=("cid", "secret"))
        bad = await http.post("/token", data={**form, "client_id": "cid", "client_secret": "x"})
    assert basic.status_code == 200
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"


async def test_refresh_rotates_and_old_refresh_token_dies(served) -> None:
    oauth, base = served
    tokens = oauth.issue_tokens()
    form = {"grant_type": "refresh_token", "client_id": "cid", "client_secret": "secret"}
    async with httpx.AsyncClient(base_url=base) as http:
        fresh = await http.post("/token", data={**form, "refresh_token": tokens.refresh_token})
        stale = await http.post("/token", data={**form, "refresh_token": tokens.refresh_token})
    assert fresh.status_code == 200 and fresh.json()["refresh_token"] != tokens.refresh_token
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"


async def test_revoked_grant_and_disabled_user_get_invalid_grant(served) -> None:
    oauth, base = served
    first = oauth.issue_tokens(user="gone@example.com")
    second = oauth.issue_tokens(user="off@example.com")
    oauth.revoke_grant("gone@example.com")
    oauth.disable_user("off@example.com")
    form = {"grant_type": "refresh_token", "client_id": "cid", "client_secret": "secret"}
    async with httpx.AsyncClient(base_url=base) as http:
        for tokens in (first, second):
            answer = await http.post("/token", data={**form, "refresh_token": tokens.refresh_token})
            assert answer.json()["error"] == "invalid_grant"
            assert oauth.check_token(tokens.access_token)[1] == "revoked"


async def test_expire_hook_and_rfc7009_revocation(served) -> None:
    oauth, base = served
    tokens = oauth.issue_tokens()
    oauth.expire_access_token(tokens.access_token)
    assert oauth.check_token(tokens.access_token)[1] == "expired"
    other = oauth.issue_tokens()
    async with httpx.AsyncClient(base_url=base) as http:
        revoked = await http.post("/revoke", data={"token": other.refresh_token})
        unknown = await http.post("/revoke", data={"token": "nope"})
    assert revoked.status_code == 200 and unknown.status_code == 200
    assert oauth.check_token(other.access_token)[1] == "revoked"
