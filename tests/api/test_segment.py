"""Segment pushes signed events to a connection's webhook URL; they land as records.

Real HTTP requests to the app: the admin saves the connection, reads the webhook URL and the
signing secret (shown once), and Segment's deliveries are signed as its webhook destination
documents (X-Signature: hex HMAC-SHA1 of the body with the shared secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from tests.conftest import GraphQLClient

CREATE = """
mutation Create($input: CreateConnectionInput!) {
  createConnection(input: $input) {
    connection { id status inboundUrl secretsSet jobs { nodes { name sourceObject } } }
    issuedCredential { name value endpoint }
    userErrors { code message }
  }
}
"""
REAUTHORIZE = """
mutation Re($id: ID!) {
  reauthorizeConnection(id: $id) {
    issuedCredential { name value endpoint } userErrors { code message }
  }
}
"""
REVOKE = "mutation R($id: ID!) { revokeConnection(id: $id) { userErrors { code } } }"
RECORDS = "query R($o: String!) { records(object: $o) { nodes totalCount } }"
RUNS = """
query A($id: ID!) {
  activities(connectionId: $id, kind: JOB_RUN) {
    nodes { status message error recordsRead recordsWritten recordsFailed job { name } }
  }
}
"""


def track(message_id: str, event: str = "Signed Up", **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": message_id,
        "event": event,
        "userId": "u-1",
        "timestamp": "2024-05-01T10:00:00.000Z",
        "properties": {"plan": "pro"},
        **extra,
    }


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha1).hexdigest()


async def save(admin: GraphQLClient, name: str = "Segment", **settings: Any) -> dict[str, Any]:
    payload = (
        await admin.data(
            CREATE, input={"connectorKey": "SEGMENT_IO", "name": name, "settings": settings}
        )
    )["createConnection"]
    assert payload["userErrors"] == []
    return payload


async def deliver(http: httpx.AsyncClient, url: str, secret: str, body: Any) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-Signature": sign(secret, raw), "Content-Type": "application/json"}
    return await http.post(url.removeprefix("http://testserver"), content=raw, headers=headers)


async def test_saving_shows_the_webhook_url_and_the_secret_once(admin: GraphQLClient) -> None:
    payload = await save(admin)
    connection, issued = payload["connection"], payload["issuedCredential"]
    assert connection["status"] == "ACTIVE"
    assert issued["name"] == "signingSecret" and len(issued["value"]) >= 32
    assert issued["endpoint"] == connection["inboundUrl"]
    assert connection["inboundUrl"] == f"http://testserver/webhooks/segment/{connection['id']}"
    assert connection["secretsSet"] == ["signing_secret"]
    sources = {job["sourceObject"] for job in connection["jobs"]["nodes"]}
    assert sources == {"track", "identify", "group"}
    again = await admin.data(
        "query C($id: ID!) { connection(id: $id) { inboundUrl } }", id=connection["id"]
    )
    assert issued["value"] not in json.dumps(again)


async def test_signed_events_are_loaded_once_and_logged(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    payload = await save(admin)
    url, secret = payload["connection"]["inboundUrl"], payload["issuedCredential"]["value"]
    first = await deliver(http, url, secret, track("m-1"))
    again = await deliver(http, url, secret, track("m-1", event="Signed Up again"))
    second = await deliver(http, url, secret, track("m-2"))
    assert first.status_code == again.status_code == second.status_code == 200
    assert first.json() == {"received": 1, "written": 1, "failed": 0, "skipped": 0, "errors": []}
    records = (await admin.data(RECORDS, o="event"))["records"]
    assert records["totalCount"] == 2  # the redelivered m-1 updated its record
    by_id = {r["external_id"]: r for r in records["nodes"]}
    assert by_id["m-1"]["name"] == "Signed Up again" and by_id["m-1"]["properties"] == {
        "plan": "pro"
    }
    runs = (await admin.data(RUNS, id=payload["connection"]["id"]))["activities"]["nodes"]
    assert len(runs) == 3 and all(r["status"] == "SUCCEEDED" for r in runs)
    assert runs[0]["job"]["name"] == "Segment track events"
    assert any("messageId m-2" in r["message"] for r in runs)


async def test_a_batch_signed_on_its_first_event_fills_each_jobs_object(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    payload = await save(admin)
    url, secret = payload["connection"]["inboundUrl"], payload["issuedCredential"]["value"]
    batch = [
        {"type": "identify", "messageId": "i-1", "userId": "u-7", "traits": {"email": "a@x.io"}},
        {
            "type": "group",
            "messageId": "g-1",
            "userId": "u-7",
            "groupId": "acme",
            "traits": {"name": "Acme"},
        },
        track("t-1"),
        {"type": "page", "messageId": "p-1", "userId": "u-7"},
    ]
    first_event = json.dumps(batch[0], separators=(",", ":")).encode()
    raw = json.dumps(batch).encode()
    answer = await http.post(
        url.removeprefix("http://testserver"),
        content=raw,
        headers={"X-Signature": sign(secret, first_event)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"] == 3 and answer.json()["skipped"] == 1
    person = (await admin.data(RECORDS, o="person"))["records"]["nodes"]
    company = (await admin.data(RECORDS, o="company"))["records"]["nodes"]
    assert person == [{"external_id": "u-7", "email": "a@x.io", "name": None, "seen_at": None}]
    assert company[0]["external_id"] == "acme" and company[0]["name"] == "Acme"


async def test_bad_or_missing_signature_is_401_and_writes_nothing(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    payload = await save(admin)
    url, secret = payload["connection"]["inboundUrl"], payload["issuedCredential"]["value"]
    path = url.removeprefix("http://testserver")
    raw = json.dumps(track("evil")).encode()
    forged = await http.post(path, content=raw, headers={"X-Signature": sign("guess", raw)})
    unsigned = await http.post(path, content=raw)
    tampered = await http.post(
        path, content=raw.replace(b"pro", b"free"), headers={"X-Signature": sign(secret, raw)}
    )
    assert forged.status_code == unsigned.status_code == tampered.status_code == 401
    assert forged.json()["error"]["code"] == "BAD_SIGNATURE"
    assert (await admin.data(RECORDS, o="event"))["records"]["totalCount"] == 0
    runs = (await admin.data(RUNS, id=payload["connection"]["id"]))["activities"]["nodes"]
    assert runs == []
    unknown = await http.post("/webhooks/segment/00000000-0000-0000-0000-000000000000", content=raw)
    assert unknown.status_code == 404


async def test_an_event_without_its_key_is_counted_failed(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    payload = await save(admin)
    url, secret = payload["connection"]["inboundUrl"], payload["issuedCredential"]["value"]
    answer = await deliver(http, url, secret, [track("ok-1"), track("")])
    assert answer.status_code == 200
    assert answer.json()["written"] == 1 and answer.json()["failed"] == 1
    run = (await admin.data(RUNS, id=payload["connection"]["id"]))["activities"]["nodes"][0]
    assert run["status"] == "PARTIAL_SUCCESS" and run["recordsFailed"] == 1
    assert "messageId" in run["error"]


async def test_too_many_deliveries_a_minute_get_429_with_retry_after(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    payload = await save(admin, requests_per_minute=2)
    url, secret = payload["connection"]["inboundUrl"], payload["issuedCredential"]["value"]
    # Five tries: even if a minute boundary passes, one window sees three.
    answers = [await deliver(http, url, secret, track(f"r-{i}")) for i in range(5)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "RATE_LIMITED"


async def test_a_new_secret_replaces_the_old_and_revoking_refuses_all(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    payload = await save(admin)
    connection_id = payload["connection"]["id"]
    url, old = payload["connection"]["inboundUrl"], payload["issuedCredential"]["value"]
    renewed = (await admin.data(REAUTHORIZE, id=connection_id))["reauthorizeConnection"]
    new = renewed["issuedCredential"]["value"]
    assert new != old and renewed["issuedCredential"]["endpoint"] == url
    assert (await deliver(http, url, old, track("x-1"))).status_code == 401
    assert (await deliver(http, url, new, track("x-1"))).status_code == 200
    await admin.data(REVOKE, id=connection_id)
    assert (await deliver(http, url, new, track("x-2"))).status_code == 401
