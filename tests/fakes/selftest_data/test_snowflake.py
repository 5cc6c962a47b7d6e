"""The Snowflake fake answers as the SQL API docs say (see tests/fakes/snowflake.py)."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.fakes.selftest_data import AppSwitch
from tests.fakes.server import FakeServer
from tests.fakes.snowflake import STATEMENTS_PATH, SnowflakeFake, public_key_fingerprint

ACCOUNT = "MYORG-MYACCOUNT"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def token(key: rsa.RSAPrivateKey = KEY, user: str = "LOADER", **overrides: Any) -> str:
    now = int(time.time())
    fingerprint = public_key_fingerprint(key.public_key())
    claims = {
        "iss": f"{ACCOUNT}.{user}.{fingerprint}",
        "sub": f"{ACCOUNT}.{user}",
        "iat": now,
        "exp": now + 3600,
        **overrides,
    }
    return jwt.encode({"alg": "RS256", "typ": "JWT"}, claims, RSAKey.import_key(key))


def headers(bearer: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {bearer or token()}",
        "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
        "User-Agent": "connections-hub-selftest/1.0",
        "Accept": "application/json",
    }


@pytest.fixture
def fake() -> SnowflakeFake:
    fake = SnowflakeFake(ACCOUNT, partition_rows=2)
    fake.add_user("loader", KEY.public_key())
    rows = [
        {"ID": i, "NAME": f"acct {i}", "ACTIVE": i % 2 == 0, "UPDATED_AT": T0 + dt.timedelta(i)}
        for i in range(1, 6)
    ]
    rows[4]["NAME"] = None
    columns = [
        ("ID", "NUMBER(38,0)"),
        ("NAME", "VARCHAR(100)"),
        ("ACTIVE", "BOOLEAN"),
        ("UPDATED_AT", "TIMESTAMP_NTZ"),
    ]
    fake.add_table("ANALYTICS", "PUBLIC", "ACCOUNTS", columns, rows)
    fake.add_table("ANALYTICS", "PUBLIC", "EMPTY", [("X", "NUMBER")])
    return fake


@pytest.fixture(scope="module")
def switch() -> Iterator[tuple[AppSwitch, str]]:
    switch = AppSwitch()
    with FakeServer(switch) as server:
        yield switch, server.url


@pytest.fixture
def client(switch: tuple[AppSwitch, str], fake: SnowflakeFake) -> Iterator[httpx.Client]:
    switch[0].app = fake.app
    with httpx.Client(base_url=switch[1]) as client:
        yield client


def run(client: httpx.Client, sql: str, **body: Any) -> httpx.Response:
    payload = {"statement": sql, "warehouse": "WH", "timeout": 60, **body}
    return client.post(STATEMENTS_PATH, json=payload, headers=headers())


def all_rows(client: httpx.Client, body: dict[str, Any]) -> list[list[str | None]]:
    rows = list(body["data"])
    url = f"{STATEMENTS_PATH}/{body['statementHandle']}"
    for index in range(1, len(body["resultSetMetaData"]["partitionInfo"])):
        page = client.get(url, params={"partition": index}, headers=headers())
        rows.extend(page.json()["data"])
    return rows


def test_select_returns_first_partition_and_metadata(client: httpx.Client) -> None:
    response = run(client, "SELECT * FROM analytics.public.accounts ORDER BY id")
    assert response.status_code == 200
    body = response.json()
    meta = body["resultSetMetaData"]
    assert meta["numRows"] == 5 and meta["format"] == "jsonv2"
    assert [p["rowCount"] for p in meta["partitionInfo"]] == [2, 2, 1]
    assert [c["name"] for c in meta["rowType"]] == ["ID", "NAME", "ACTIVE", "UPDATED_AT"]
    assert meta["rowType"][0]["type"] == "fixed"
    first = body["data"][0]
    assert first[:3] == ["1", "acct 1", "false"]
    assert Decimal(first[3]) == Decimal(int((T0 + dt.timedelta(1)).timestamp()))
    assert body["code"] == "090001" and body["statementStatusUrl"].startswith(STATEMENTS_PATH)
    assert 'rel="next"' in response.headers["link"]


def test_further_partitions_carry_only_data(client: httpx.Client) -> None:
    body = run(client, "SELECT id, name FROM analytics.public.accounts ORDER BY id").json()
    handle = body["statementHandle"]
    second = client.get(f"{STATEMENTS_PATH}/{handle}", params={"partition": 1}, headers=headers())
    assert second.json() == {"data": [["3", "acct 3"], ["4", "acct 4"]]}
    assert second.headers.get("content-encoding") == "gzip"  # httpx asked for gzip
    with client.stream(
        "GET", f"{STATEMENTS_PATH}/{handle}?partition=2", headers=headers()
    ) as third:
        raw = b"".join(third.iter_raw())
    assert gzip.decompress(raw) == b'{"data": [["5", null]]}'


def test_where_order_and_context_defaults(client: httpx.Client) -> None:
    sql = "SELECT ID FROM accounts WHERE UPDATED_AT > '2024-03-03 00:00:00' ORDER BY ID DESC"
    body = run(client, sql, database="ANALYTICS", schema="PUBLIC").json()
    assert body["data"] == [["5"], ["4"]]


def test_nullable_false_renders_null_as_text(client: httpx.Client) -> None:
    payload = {"statement": "SELECT NAME FROM analytics.public.accounts WHERE ID = 5"}
    payload["warehouse"] = "WH"
    params = {"nullable": "false"}
    body = client.post(STATEMENTS_PATH, json=payload, params=params, headers=headers()).json()
    assert body["data"] == [["null"]]


def test_show_tables_describe_and_information_schema(client: httpx.Client) -> None:
    shown = run(client, "SHOW TABLES IN SCHEMA ANALYTICS.PUBLIC").json()
    names = [c["name"] for c in shown["resultSetMetaData"]["rowType"]]
    rows = [dict(zip(names, row, strict=True)) for row in shown["data"]]
    assert sorted(r["name"] for r in rows) == ["ACCOUNTS", "EMPTY"]
    described = run(client, "DESCRIBE TABLE ANALYTICS.PUBLIC.ACCOUNTS").json()
    assert [r[:2] for r in described["data"]][:2] == [
        ["ID", "NUMBER(38,0)"],
        ["NAME", "VARCHAR(100)"],
    ]
    sql = (
        "SELECT column_name, data_type FROM ANALYTICS.INFORMATION_SCHEMA.COLUMNS "
        "WHERE table_schema = 'PUBLIC' AND table_name = 'ACCOUNTS' ORDER BY ordinal_position"
    )
    columns = all_rows(client, run(client, sql).json())
    assert columns == [
        ["ID", "NUMBER"],
        ["NAME", "TEXT"],
        ["ACTIVE", "BOOLEAN"],
        ["UPDATED_AT", "TIMESTAMP_NTZ"],
    ]


@pytest.mark.parametrize(
    ("sql", "code", "sql_state"),
    [
        ("SELECT * FROM analytics.public.nope", "002003", "42S02"),
        ("SELECT nope FROM analytics.public.accounts", "002023", "22000"),
        ("UPDATE analytics.public.accounts SET id = 1", "001003", "42000"),
        ("SELECT 1 FROM a.b.c; SELECT 2 FROM a.b.c", "000008", "0A000"),
    ],
)
def test_failures_are_422_query_failure_status(
    client: httpx.Client, sql: str, code: str, sql_state: str
) -> None:
    response = run(client, sql)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["sqlState"]) == (code, sql_state)
    assert body["message"] and body["statementHandle"]


def test_select_needs_a_warehouse(client: httpx.Client) -> None:
    payload = {"statement": "SELECT * FROM analytics.public.accounts"}
    response = client.post(STATEMENTS_PATH, json=payload, headers=headers())
    assert response.status_code == 422 and response.json()["code"] == "000606"


def test_running_statement_answers_202_until_done(
    client: httpx.Client, fake: SnowflakeFake
) -> None:
    fake.pending_polls = 2
    first = run(client, "SELECT ID FROM analytics.public.accounts")
    assert first.status_code == 202 and first.json()["code"] == "333334"
    url = first.json()["statementStatusUrl"]
    assert client.get(url, headers=headers()).status_code == 202
    done = client.get(url, headers=headers())
    assert done.status_code == 200 and done.json()["resultSetMetaData"]["numRows"] == 5


def test_async_submit_and_timeout(client: httpx.Client, fake: SnowflakeFake) -> None:
    payload = {"statement": "SELECT ID FROM analytics.public.accounts", "warehouse": "WH"}
    started = client.post(
        STATEMENTS_PATH, json=payload, params={"async": "true"}, headers=headers()
    )
    assert started.status_code == 202
    fake.time_out_next = True
    timed_out = run(client, "SELECT ID FROM analytics.public.accounts", timeout=10)
    assert timed_out.status_code == 408 and timed_out.json()["code"] == "000630"


def test_request_id_resubmission_returns_the_same_statement(client: httpx.Client) -> None:
    payload = {"statement": "SELECT ID FROM analytics.public.accounts", "warehouse": "WH"}
    params = {"requestId": "7a3c1f7e-0000-4000-8000-000000000001"}
    one = client.post(STATEMENTS_PATH, json=payload, params=params, headers=headers()).json()
    two = client.post(STATEMENTS_PATH, json=payload, params=params, headers=headers()).json()
    assert one["statementHandle"] == two["statementHandle"]


@pytest.mark.parametrize(
    "bad",
    [
        token(OTHER_KEY),  # not the registered key
        token(sub=f"{ACCOUNT}.SOMEONE"),
        token(iss=f"myorg-myaccount.LOADER.{public_key_fingerprint(KEY.public_key())}"),
        token(exp=int(time.time()) + 7200),  # more than an hour
        token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),  # expired
        "not-a-jwt",
    ],
)
def test_bad_jwts_are_401_390144(client: httpx.Client, bad: str) -> None:
    payload = {"statement": "SELECT ID FROM analytics.public.accounts", "warehouse": "WH"}
    response = client.post(STATEMENTS_PATH, json=payload, headers=headers(bad))
    assert response.status_code == 401
    assert response.json()["code"] == "390144"
    assert response.json()["message"].startswith("JWT token is invalid.")


def test_rotated_second_key_is_accepted(fake: SnowflakeFake, client: httpx.Client) -> None:
    fake.add_user("loader", KEY.public_key(), OTHER_KEY.public_key())
    payload = {"statement": "SELECT ID FROM analytics.public.accounts", "warehouse": "WH"}
    response = client.post(STATEMENTS_PATH, json=payload, headers=headers(token(OTHER_KEY)))
    assert response.status_code == 200


def test_scripted_429(client: httpx.Client, fake: SnowflakeFake) -> None:
    fake.faults.add(429, headers={"Retry-After": "1"}, path=STATEMENTS_PATH)
    assert run(client, "SELECT ID FROM analytics.public.accounts").status_code == 429
    assert run(client, "SELECT ID FROM analytics.public.accounts").status_code == 200


def test_empty_result_has_one_empty_partition(client: httpx.Client) -> None:
    body = run(client, "SELECT * FROM analytics.public.empty").json()
    assert body["data"] == [] and body["resultSetMetaData"]["numRows"] == 0
