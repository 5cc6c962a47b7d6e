"""A partner tool pushes records with the access key that "Authorize" issues.

Real HTTP requests to the app: the key is shown once, only its SHA-256 is kept (sealed),
records are upserted by key, limits answer clear 4xx errors, and revoking stops the key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from models import credentials
from models.tables import Connection
from tests.api.documents import CREATE_JOB
from tests.conftest import GraphQLClient

CREATE = """
mutation Create($input: CreateConnectionInput!) {
  createConnection(input: $input) {
    connection { id status inboundUrl } authorizationUrl
    issuedCredential { name } userErrors { code message }
  }
}
"""
AUTHORIZE = """
mutation A($id: ID!) {
  authorizeConnection(id: $id) {
    connection { status secretsSet authorizedAt }
    issuedCredential { name value endpoint } userErrors { code message }
  }
}
"""
REAUTHORIZE = """
mutation Re($id: ID!) {
  reauthorizeConnection(id: $id) { issuedCredential { value } userErrors { code } }
}
"""
REVOKE = """
mutation R($id: ID!) { revokeConnection(id: $id) { connection { status } userErrors { code } } }
"""
RECORDS = "query R($o: String!) { records(object: $o) { nodes totalCount } }"
RUNS = """
query A($id: ID!) {
  activities(connectionId: $id, kind: JOB_RUN) {
    nodes { status message recordsRead recordsWritten recordsFailed job { name } }
  }
}
"""
PATH = "/inbound/v1/objects/{}/records"


async def authorized(admin: GraphQLClient, **settings: Any) -> tuple[str, str]:
    created = (
        await admin.data(
            CREATE,
            input={"connectorKey": "GAINSIGHT_API", "name": "Partner", "settings": settings},
        )
    )["createConnection"]
    assert created["userErrors"] == [] and created["issuedCredential"] is None
    assert created["connection"]["status"] == "PENDING_AUTHORIZATION"
    assert created["authorizationUrl"] is None
    connection_id = created["connection"]["id"]
    payload = (await admin.data(AUTHORIZE, id=connection_id))["authorizeConnection"]
    assert payload["userErrors"] == []
    return connection_id, payload["issuedCredential"]["value"]


async def push(
    http: httpx.AsyncClient, access_key: str, obj: str, body: Any, **params: str
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_key}"}
    return await http.post(PATH.format(obj), json=body, params=params, headers=headers)


async def test_authorize_issues_a_key_shown_once_and_stored_hashed(
    admin: GraphQLClient,
) -> None:
    created = (
        await admin.data(
            CREATE, input={"connectorKey": "GAINSIGHT_API", "name": "Partner", "settings": None}
        )
    )["createConnection"]
    connection_id = created["connection"]["id"]
    payload = (await admin.data(AUTHORIZE, id=connection_id))["authorizeConnection"]
    issued = payload["issuedCredential"]
    assert payload["connection"]["status"] == "ACTIVE" and payload["connection"]["authorizedAt"]
    assert issued["name"] == "accessKey" and issued["value"].startswith("gsk_")
    assert issued["endpoint"] == "http://testserver/inbound/v1/objects/{object}/records"
    row = await Connection.get(id=connection_id)
    assert issued["value"] not in json.dumps(row.secrets)
    stored = credentials.secret_settings(row)["access_key_sha256"]
    assert stored == hashlib.sha256(issued["value"].encode()).hexdigest()
    again = await admin.execute(AUTHORIZE, id=connection_id)
    assert again["data"]["authorizeConnection"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_pushed_records_upsert_by_key_without_duplicates(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    connection_id, key = await authorized(admin)
    first = await push(
        http, key, "health", [{"id": "c-1", "score": 70}, {"id": "c-2", "score": 50}]
    )
    second = await push(http, key, "health", [{"id": "c-1", "score": 90}])
    assert first.status_code == second.status_code == 200
    assert first.json()["written"] == 2
    records = (await admin.data(RECORDS, o="health"))["records"]
    assert records["totalCount"] == 2
    assert {r["id"]: r["score"] for r in records["nodes"]} == {"c-1": 90, "c-2": 50}
    by_field = await push(http, key, "renewals", [{"crm_id": "x", "arr": 1}], key="crm_id")
    missing = await push(http, key, "renewals", [{"arr": 2}], key="crm_id")
    assert by_field.json()["written"] == 1
    assert missing.json()["failed"] == 1 and "crm_id" in missing.json()["errors"][0]
    runs = (await admin.data(RUNS, id=connection_id))["activities"]["nodes"]
    assert len(runs) == 4 and runs[0]["status"] == "PARTIAL_SUCCESS"
    assert "pushed 1 record(s) into 'renewals'" in runs[0]["message"]


async def test_a_job_mapping_to_the_object_shapes_and_keys_the_records(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    connection_id, key = await authorized(admin)
    mappings = [
        {"source": "account.number", "target": "external_id", "key": True},
        {"source": "account.name", "target": "name"},
    ]
    job = await admin.data(
        CREATE_JOB,
        input={
            "connectionId": connection_id,
            "name": "Partner companies",
            "sourceObject": "records",
            "destinationObject": "company",
            "fieldMappings": mappings,
        },
    )
    assert job["createJob"]["userErrors"] == []
    body = [{"account": {"number": "A-9", "name": "Acme"}, "noise": True}]
    assert (await push(http, key, "company", body)).status_code == 200
    assert (await push(http, key, "company", body)).status_code == 200
    records = (await admin.data(RECORDS, o="company"))["records"]
    assert records["nodes"] == [{"external_id": "A-9", "name": "Acme"}]
    runs = (await admin.data(RUNS, id=connection_id))["activities"]["nodes"]
    assert runs[0]["job"]["name"] == "Partner companies"


async def test_bad_keys_are_refused_and_write_nothing(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    connection_id, key = await authorized(admin)
    body = [{"id": "evil"}]
    tries = [
        await http.post(PATH.format("health"), json=body),
        await push(http, key[:-2] + "xx", "health", body),
        await push(http, "gsk_not-a-uuid_x", "health", body),
        await push(http, "some-other-token", "health", body),
    ]
    assert [t.status_code for t in tries] == [401, 401, 401, 401]
    assert tries[0].json()["error"]["code"] == "INVALID_KEY"
    assert tries[0].headers["WWW-Authenticate"] == "Bearer"
    assert (await admin.data(RECORDS, o="health"))["records"]["totalCount"] == 0
    assert (await admin.data(RUNS, id=connection_id))["activities"]["nodes"] == []


async def test_bodies_beyond_the_limits_get_clear_4xx(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    _, key = await authorized(admin)
    headers = {"Authorization": f"Bearer {key}"}
    not_array = await push(http, key, "health", {"id": "x"})
    not_json = await http.post(PATH.format("health"), content=b"{nope", headers=headers)
    too_many = await push(http, key, "health", [{"id": str(i)} for i in range(1001)])
    too_big = await http.post(
        PATH.format("health"), content=b"[" + b" " * (5 * 1024 * 1024) + b"]", headers=headers
    )
    bad_name = await push(http, key, "no%20spaces", [{"id": "x"}])
    assert (not_array.status_code, not_array.json()["error"]["code"]) == (400, "INVALID_BODY")
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "INVALID_JSON")
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (413, "TOO_MANY_RECORDS")
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "BODY_TOO_LARGE")
    assert bad_name.status_code == 400


async def test_too_many_requests_a_minute_get_429_with_retry_after(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    _, key = await authorized(admin, requests_per_minute=2)
    answers = [await push(http, key, "health", [{"id": f"r{i}"}]) for i in range(5)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "RATE_LIMITED"


async def test_revoking_stops_the_key_and_authorizing_again_issues_another(
    admin: GraphQLClient, http: httpx.AsyncClient
) -> None:
    connection_id, key = await authorized(admin)
    assert (await push(http, key, "health", [{"id": "a"}])).status_code == 200
    revoked = (await admin.data(REVOKE, id=connection_id))["revokeConnection"]
    assert revoked["connection"]["status"] == "REVOKED"
    assert (await push(http, key, "health", [{"id": "b"}])).status_code == 401
    again = (await admin.data(AUTHORIZE, id=connection_id))["authorizeConnection"]
    new_key = again["issuedCredential"]["value"]
    assert new_key != key and again["connection"]["status"] == "ACTIVE"
    assert (await push(http, key, "health", [{"id": "c"}])).status_code == 401
    assert (await push(http, new_key, "health", [{"id": "c"}])).status_code == 200
    rotated = (await admin.data(REAUTHORIZE, id=connection_id))["reauthorizeConnection"]
    assert (await push(http, new_key, "health", [{"id": "d"}])).status_code == 401
    newest = rotated["issuedCredential"]["value"]
    assert (await push(http, newest, "health", [{"id": "d"}])).status_code == 200
