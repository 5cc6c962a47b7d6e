"""Jobs of a connection: built-in ones, custom ones, schedules, and queueing runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.documents import (
    ACTIVITIES,
    CANCEL,
    CREATE_JOB,
    DELETE_JOB,
    JOB,
    JOBS,
    REVOKE_CONNECTION,
    RUN_JOB,
    UPDATE_JOB,
)
from tests.conftest import GraphQLClient

MAPPINGS = [
    {"source": "properties.$insert_id", "target": "external_id", "key": True},
    {"source": "event", "target": "name"},
]


@pytest.fixture
async def job(admin: GraphQLClient, mixpanel_connection: dict[str, Any]) -> dict[str, Any]:
    data = await admin.data(
        CREATE_JOB,
        input={
            "connectionId": mixpanel_connection["id"],
            "name": "Signups",
            "sourceObject": "events",
            "destinationObject": "signup",
            "fieldMappings": MAPPINGS,
            "syncMode": "INCREMENTAL",
            "schedule": "0 * * * *",
        },
    )
    assert data["createJob"]["userErrors"] == []
    return data["createJob"]["job"]


async def test_an_active_connection_gets_its_out_of_the_box_jobs(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    jobs = (await admin.data(JOBS, connectionId=mixpanel_connection["id"]))["jobs"]
    assert [
        (j["name"], j["builtIn"], j["sourceObject"], j["destinationObject"]) for j in jobs["nodes"]
    ] == [("Mixpanel events", True, "events", "event")]
    assert any(m["key"] for m in jobs["nodes"][0]["fieldMappings"])


async def test_a_custom_job_with_schedule_has_its_next_run(job: dict[str, Any]) -> None:
    assert job["builtIn"] is False
    assert job["syncMode"] == "INCREMENTAL"
    assert job["schedule"] == "0 * * * *"
    assert job["nextRunAt"].endswith(":00:00+00:00")
    assert job["connection"]["name"] == "Product analytics"
    assert job["lastRun"] is None


async def test_job_input_is_checked(admin: GraphQLClient, mixpanel_connection: dict) -> None:
    base = {
        "connectionId": mixpanel_connection["id"],
        "name": "x",
        "sourceObject": "events",
        "destinationObject": "event",
        "fieldMappings": MAPPINGS,
    }
    cases = [
        ({"schedule": "every hour"}, ["schedule"], "cron expression"),
        ({"fieldMappings": [{"source": "a", "target": "b"}]}, ["fieldMappings"], "key"),
        ({"fieldMappings": []}, ["fieldMappings"], "at least one"),
        (
            {"fieldMappings": [*MAPPINGS, {"source": "c", "target": "name"}]},
            ["fieldMappings", "2", "target"],
            "mapped twice",
        ),
        ({"name": "  "}, ["name"], "name"),
        ({"name": "Mixpanel events"}, ["name"], "already has a job"),
    ]
    for change, field, words in cases:
        data = await admin.data(CREATE_JOB, input={**base, **change})
        error = data["createJob"]["userErrors"][0]
        assert error["field"] == field, change
        assert words in error["message"], error


async def test_update_clears_a_schedule_with_null(admin: GraphQLClient, job: dict) -> None:
    data = await admin.data(UPDATE_JOB, id=job["id"], input={"schedule": None, "enabled": False})
    updated = data["updateJob"]["job"]
    assert updated["schedule"] is None and updated["nextRunAt"] is None
    assert updated["enabled"] is False
    kept = await admin.data(UPDATE_JOB, id=job["id"], input={"name": "Renamed"})
    assert kept["updateJob"]["job"]["schedule"] is None


async def test_run_is_queued_and_the_same_key_returns_the_same_run(
    admin: GraphQLClient, job: dict
) -> None:
    first = (await admin.data(RUN_JOB, id=job["id"], key="click-1"))["runJob"]
    assert first["userErrors"] == []
    assert first["activity"]["kind"] == "JOB_RUN"
    assert first["activity"]["actor"] == "admin@x"
    again = (await admin.data(RUN_JOB, id=job["id"], key="click-1"))["runJob"]
    assert again["activity"]["id"] == first["activity"]["id"]


async def test_cancel_a_queued_run_and_it_stays_cancelled(admin: GraphQLClient, job: dict) -> None:
    run = (await admin.data(RUN_JOB, id=job["id"]))["runJob"]["activity"]
    cancelled = (await admin.data(CANCEL, id=run["id"]))["cancelActivity"]
    if cancelled["userErrors"]:  # a fast worker may have finished it first
        assert cancelled["userErrors"][0]["code"] == "INVALID_STATE"
        return
    assert cancelled["activity"]["status"] == "CANCELLED"
    again = (await admin.data(CANCEL, id=run["id"]))["cancelActivity"]
    assert again["userErrors"][0]["code"] == "INVALID_STATE"


async def test_a_revoked_connection_runs_no_job(
    admin: GraphQLClient, job: dict, mixpanel_connection: dict
) -> None:
    await admin.data(REVOKE_CONNECTION, id=mixpanel_connection["id"])
    payload = (await admin.data(RUN_JOB, id=job["id"]))["runJob"]
    assert payload["userErrors"][0]["code"] == "CONNECTION_NOT_ACTIVE"
    assert "authorize it again" in payload["userErrors"][0]["message"]


async def test_delete_job_keeps_its_activities(admin: GraphQLClient, job: dict) -> None:
    data = await admin.data(DELETE_JOB, id=job["id"])
    assert data["deleteJob"]["deletedId"] == job["id"]
    assert (await admin.data(JOB, id=job["id"]))["job"] is None
    kinds = [a["kind"] for a in (await admin.data(ACTIVITIES))["activities"]["nodes"]]
    assert "JOB_DELETED" in kinds and "JOB_CREATED" in kinds
