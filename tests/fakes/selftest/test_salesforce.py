"""The Salesforce fake keeps Salesforce's documented token, query and error shapes."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.oauth import browser_consent, pkce_challenge
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer

VERIFIER = "s" * 50


@pytest.fixture(scope="module")
def sf() -> Iterator[tuple[SalesforceFake, str]]:
    fake = SalesforceFake()
    fake.add_records(
        "Account",
        [{"Name": f"A{i}", "SystemModstamp": f"2024-01-01T00:00:{i:02d}Z"} for i in range(7)],
    )
    with FakeServer(fake.app) as server:
        yield fake, server.url


async def test_web_server_flow_token_shape_and_refresh(sf) -> None:
    fake, base = sf
    url = fake.authorize_url(
        base, state="st", code_challenge=pkce_challenge(VERIFIER), code_challenge_method="S256"
    )
    async with httpx.AsyncClient(base_url=base) as http:
        consent = await browser_consent(http, url)
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "sf-client-id",
            "client_secret": "sf-client-secret",
            "redirect_uri": fake.oauth.redirect_uri,
            "code_verifier": VERIFIER,
        }
        token = (await http.post("/services/oauth2/token", data=form)).json()
        refresh_form = {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": "sf-client-id",
            "client_secret": "sf-client-secret",
        }
        refreshed = (await http.post("/services/oauth2/token", data=refresh_form)).json()
        identity = await http.get(
            token["id"], headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert {"instance_url", "id", "issued_at", "signature", "refresh_token"} <= set(token)
    assert "expires_in" not in token and token["instance_url"] == base
    assert "refresh_token" not in refreshed and "expires_in" not in refreshed
    assert identity.json()["organization_id"] in token["id"]


async def test_query_pages_with_locator_and_batch_size(sf) -> None:
    fake, base = sf
    fake.batch_size = 3
    headers = {"Authorization": f"Bearer {fake.oauth.issue_tokens().access_token}"}
    soql = (
        "SELECT Id, Name, SystemModstamp FROM Account "
        "WHERE SystemModstamp > 2024-01-01T00:00:01Z ORDER BY SystemModstamp"
    )
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        first = (await http.get("/services/data/v60.0/query", params={"q": soql})).json()
        second = (await http.get(first["nextRecordsUrl"])).json()
    fake.batch_size = None
    assert first["totalSize"] == 5 and first["done"] is False and len(first["records"]) == 3
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    assert first["records"][0]["attributes"]["type"] == "Account"
    assert first["records"][0]["SystemModstamp"] == "2024-01-01T00:00:02.000+0000"
    assert second["done"] is True and "nextRecordsUrl" not in second
    assert [r["Name"] for r in second["records"]] == ["A5", "A6"]


async def test_describe_and_errors(sf) -> None:
    fake, base = sf
    token = fake.oauth.issue_tokens().access_token
    async with httpx.AsyncClient(base_url=base) as http:
        auth = {"Authorization": f"Bearer {token}"}
        listed = await http.get("/services/data/v60.0/sobjects", headers=auth)
        described = await http.get("/services/data/v60.0/sobjects/Contact/describe", headers=auth)
        bad_query = await http.get(
            "/services/data/v60.0/query", params={"q": "SELECT Nope FROM Account"}, headers=auth
        )
        fake.oauth.expire_access_token(token)
        expired = await http.get("/services/data/v60.0/sobjects", headers=auth)
        fake.request_limit_exceeded()
        limited = await http.get("/services/data/v60.0/sobjects", headers=auth)
    assert "Account" in [s["name"] for s in listed.json()["sobjects"]]
    assert {"name": "Email", "label": "Email", "type": "email"}.items() <= next(
        f for f in described.json()["fields"] if f["name"] == "Email"
    ).items()
    assert bad_query.status_code == 400 and bad_query.json()[0]["errorCode"] == "INVALID_FIELD"
    assert expired.status_code == 401
    assert expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert limited.status_code == 403
    assert limited.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


async def test_revoke_endpoint(sf) -> None:
    fake, base = sf
    tokens = fake.oauth.issue_tokens()
    async with httpx.AsyncClient(base_url=base) as http:
        ok = await http.post("/services/oauth2/revoke", data={"token": tokens.refresh_token})
        bad = await http.post("/services/oauth2/revoke", data={"token": "nope"})
    assert ok.status_code == 200
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_token"
    assert fake.oauth.check_token(tokens.access_token)[1] == "revoked"
