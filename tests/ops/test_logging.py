"""Structured logs: JSON lines with the request's ids, and no secret value, ever."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from models import credentials, tokens
from models import logging as logs
from models.settings import Settings
from tests.conftest import ENCRYPTION_KEYS, GraphQLClient
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer
from tests.oauth_flow import REDIRECT, REVOKE, callback, consent, create, load, point_at


@pytest.fixture
def captured(settings: Settings) -> Iterator[io.StringIO]:
    """Every log line of the process, DEBUG included, as JSON, for one test."""
    out = io.StringIO()
    logs.configure(
        settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"}), stream=out
    )
    yield out
    logs.configure(settings)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    "key",
    ["access_token", "refresh_token", "client_secret", "clientSecret", "password", "api_token",
     "Authorization", "private_key", "privateKey", "code", "assertion", "secrets", "apiKey",
     "service_account_secret", "encryption_keys", "jwt_secret"],
)  # fmt: skip
def test_secret_looking_keys_are_redacted(key: str) -> None:
    assert logs.is_secret_key(key)
    assert logs.redact(None, "info", {"event": "x", key: "s3cr3t"})[key] == logs.REDACTED


@pytest.mark.parametrize(
    "key",
    ["status_code", "token_expires_at", "token_url", "connector_key", "client_id", "tenant",
     "request_id", "records_written", "expires_in", "token_type"],
)  # fmt: skip
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not logs.is_secret_key(key)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("GET /oauth/callback?code=one-time-code&state=s1", "one-time-code"),
        ("grant_type=refresh_token&refresh_token=rt-123&client_secret=cs-9", "rt-123"),
        ("grant_type=refresh_token&refresh_token=rt-123&client_secret=cs-9", "cs-9"),
        ('{"access_token": "at-77", "token_type": "Bearer"}', "at-77"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl seen", "eyJzdWIiOiJ4In0"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----", "MIIEvQ"),
        (
            'HTTP Request: GET https://api.hubapi.com/oauth/v1/access-tokens/CJT-at-1 "200 OK"',
            "CJT-at-1",
        ),
        ("DELETE /oauth/v1/refresh-tokens/rt-55?x=1", "rt-55"),
    ],
)
def test_secret_looking_text_is_redacted(text: str, secret: str) -> None:
    assert secret not in logs.scrub_text(text)


def test_nested_values_are_redacted() -> None:
    event = {
        "event": "x",
        "settings": {"subdomain": "acme", "apiToken": "t"},
        "list": [{"password": "p"}],
    }
    assert logs.redact(None, "info", event) == {
        "event": "x",
        "settings": {"subdomain": "acme", "apiToken": logs.REDACTED},
        "list": [{"password": logs.REDACTED}],
    }


def test_stdlib_and_structlog_lines_are_json_with_the_bound_ids(captured: io.StringIO) -> None:
    with logs.isolated():
        logs.bind(tenant="t-1", connection_id="c-1", job_id="j-1", activity_id="a-1")
        logs.get_logger("ops.test").info("run finished", records=3)
        logging.getLogger("some.library").warning("retrying %s", "later")
    native, stdlib = lines(captured)[-2:]
    for line in (native, stdlib):
        assert {k: line[k] for k in ("tenant", "connection_id", "job_id", "activity_id")} == {
            "tenant": "t-1", "connection_id": "c-1", "job_id": "j-1", "activity_id": "a-1",
        }  # fmt: skip
        assert line["timestamp"].endswith("Z")
    assert (native["event"], native["records"], native["level"]) == ("run finished", 3, "info")
    assert (stdlib["event"], stdlib["logger"], stdlib["level"]) == (
        "retrying later", "some.library", "warning",
    )  # fmt: skip


def test_console_format_on_request(settings: Settings) -> None:
    out = io.StringIO()
    logs.configure(settings.model_copy(update={"log_format": "console"}), stream=out)
    try:
        logs.get_logger("ops.test").info("hello", password="p4ss")
    finally:
        logs.configure(settings)
    assert "hello" in out.getvalue() and "p4ss" not in out.getvalue()
    assert not out.getvalue().lstrip().startswith("{")


async def test_request_lines_carry_request_id_and_tenant(
    admin: GraphQLClient, captured: io.StringIO
) -> None:
    response = await admin.http.post(
        "/graphql",
        json={"query": "query Mine { connections { totalCount } }"},
        headers={"Authorization": f"Bearer {admin.token}", "X-Request-ID": "req-42"},
    )
    assert response.headers["x-request-id"] == "req-42"
    [access] = [line for line in lines(captured) if line.get("logger") == "api.access"]
    assert access["request_id"] == "req-42" and access["tenant"] == admin.tenant
    assert (access["route"], access["status"], access["method"]) == ("/graphql", 200, "POST")


@pytest.fixture
def salesforce(point_connector: Any) -> Iterator[SalesforceFake]:
    fake = SalesforceFake(redirect_uri=REDIRECT)
    with FakeServer(fake.app) as server:
        point_at(point_connector, "SFDC", fake, server.url)
        yield fake


async def test_no_secret_in_any_log_line_of_an_oauth_lifecycle(
    admin: GraphQLClient, salesforce: SalesforceFake, captured: io.StringIO
) -> None:
    started = await create(admin, "SFDC")
    location = await consent(started.authorization_url)
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert (await callback(admin.http, location)).status_code == 200
    first = credentials.tokens(await load(started.connection_id))
    refreshed = credentials.tokens(
        await tokens.refresh(await load(started.connection_id), force=True)
    )
    data = await admin.data(REVOKE, id=started.connection_id)
    assert data["revokeConnection"]["userErrors"] == []

    secrets = {
        code,
        admin.token,
        salesforce.oauth.client_secret,
        first["access_token"],
        first["refresh_token"],
        refreshed["access_token"],
        *ENCRYPTION_KEYS.split(","),
    }
    text = captured.getvalue()
    assert len(lines(captured)) > 20  # the lifecycle was logged, at DEBUG, libraries included
    assert any(line.get("tenant") == admin.tenant for line in lines(captured))
    callback_access = [
        line
        for line in lines(captured)
        if line.get("logger") == "api.access" and "/oauth/callback" in str(line)
    ]
    assert callback_access
    for line in callback_access:  # the callback's lines name whose authorization it was
        assert (line.get("tenant"), line.get("connection_id")) == (
            admin.tenant,
            started.connection_id,
        )
    leaked = sorted(secret for secret in secrets if secret and secret in text)
    assert not leaked, f"secret values in the log: {[s[:6] + '...' for s in leaked]}"
