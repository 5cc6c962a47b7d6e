"""Another tenant's objects are indistinguishable from missing ones, in every query and mutation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.documents import (
    ACTIVITIES,
    ACTIVITY,
    AUTHORIZE_CONNECTION,
    CANCEL,
    CONNECTION,
    CONNECTIONS,
    CREATE_JOB,
    DELETE_CONNECTION,
    DELETE_JOB,
    JOB,
    JOBS,
    REAUTHORIZE_CONNECTION,
    REVOKE_CONNECTION,
    RUN_JOB,
    UPDATE_CONNECTION,
    UPDATE_JOB,
)
from tests.conftest import GraphQLClient

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def theirs(admin: GraphQLClient, mixpanel_connection: dict[str, Any]) -> dict[str, str]:
    """Ids of one tenant's connection, job and activity."""
    jobs = (await admin.data(JOBS, connectionId=mixpanel_connection["id"]))["jobs"]["nodes"]
    run = (await admin.data(RUN_JOB, id=jobs[0]["id"]))["runJob"]["activity"]
    return {"connection": mixpanel_connection["id"], "job": jobs[0]["id"], "activity": run["id"]}


async def _same_answer(client: GraphQLClient, document: str, field: str, **variables: Any) -> None:
    """The answer for another tenant's id equals the answer for an id that does not exist."""
    other_id = variables.pop("id")
    seen = await client.execute(document, id=other_id, **variables)
    missing = await client.execute(document, id=MISSING, **variables)
    assert _scrub(seen, other_id) == _scrub(missing, MISSING), field


def _scrub(body: dict[str, Any], object_id: str) -> str:
    return str(body).replace(object_id, "<id>")


async def test_reads_do_not_see_another_tenant(
    other_tenant: GraphQLClient, theirs: dict[str, str]
) -> None:
    assert (await other_tenant.data(CONNECTION, id=theirs["connection"]))["connection"] is None
    assert (await other_tenant.data(JOB, id=theirs["job"]))["job"] is None
    assert (await other_tenant.data(ACTIVITY, id=theirs["activity"]))["activity"] is None
    assert (await other_tenant.data(CONNECTIONS))["connections"]["totalCount"] == 0
    assert (await other_tenant.data(JOBS))["jobs"]["totalCount"] == 0
    assert (await other_tenant.data(JOBS, connectionId=theirs["connection"]))["jobs"][
        "totalCount"
    ] == 0
    for filters in ({}, {"connectionId": theirs["connection"]}, {"jobId": theirs["job"]}):
        page = (await other_tenant.data(ACTIVITIES, **filters))["activities"]
        assert page["totalCount"] == 0, filters


async def test_mutations_answer_as_if_the_object_did_not_exist(
    other_tenant: GraphQLClient, theirs: dict[str, str]
) -> None:
    connection = theirs["connection"]
    for document, field, extra in (
        (UPDATE_CONNECTION, "updateConnection", {"input": {"name": "mine now"}}),
        (AUTHORIZE_CONNECTION, "authorizeConnection", {}),
        (REVOKE_CONNECTION, "revokeConnection", {}),
        (REAUTHORIZE_CONNECTION, "reauthorizeConnection", {}),
        (DELETE_CONNECTION, "deleteConnection", {}),
    ):
        await _same_answer(other_tenant, document, field, id=connection, **extra)
    for document, field, extra in (
        (UPDATE_JOB, "updateJob", {"input": {"name": "x"}}),
        (RUN_JOB, "runJob", {}),
        (DELETE_JOB, "deleteJob", {}),
    ):
        await _same_answer(other_tenant, document, field, id=theirs["job"], **extra)
    await _same_answer(other_tenant, CANCEL, "cancelActivity", id=theirs["activity"])


async def test_a_job_cannot_be_created_on_another_tenants_connection(
    other_tenant: GraphQLClient, theirs: dict[str, str]
) -> None:
    data = await other_tenant.data(
        CREATE_JOB,
        input={
            "connectionId": theirs["connection"],
            "name": "x",
            "sourceObject": "events",
            "destinationObject": "e",
            "fieldMappings": [{"source": "a", "target": "b", "key": True}],
        },
    )
    assert data["createJob"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_nothing_changed_for_the_owner(
    admin: GraphQLClient, other_tenant: GraphQLClient, theirs: dict[str, str]
) -> None:
    await other_tenant.execute(DELETE_CONNECTION, id=theirs["connection"])
    await other_tenant.execute(UPDATE_CONNECTION, id=theirs["connection"], input={"name": "x"})
    mine = (await admin.data(CONNECTION, id=theirs["connection"]))["connection"]
    assert mine["name"] == "Product analytics"
    assert mine["status"] == "ACTIVE"
