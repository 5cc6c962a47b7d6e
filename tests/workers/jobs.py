"""Jobs and runs as a user makes and sees them, for the tests that drive a worker."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient

RUN_FIELDS = """
  id kind status actor message error attempts details
  recordsRead recordsWritten recordsFailed createdAt updatedAt startedAt finishedAt
  job { id } connection { id }
"""

CREATE_JOB = """
mutation CreateJob($input: CreateJobInput!) {
  createJob(input: $input) { job { id nextRunAt } userErrors { code message field } }
}
"""

RUN_JOB = f"""
mutation Run($id: ID!, $key: String) {{
  runJob(id: $id, idempotencyKey: $key) {{
    activity {{ {RUN_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

CANCEL = f"""
mutation Cancel($id: ID!) {{
  cancelActivity(id: $id) {{ activity {{ {RUN_FIELDS} }} userErrors {{ code message }} }}
}}
"""

ACTIVITY = f"query Activity($id: ID!) {{ activity(id: $id) {{ {RUN_FIELDS} }} }}"

RUNS_OF_JOB = """
query Runs($jobId: ID!) {
  activities(jobId: $jobId, kind: JOB_RUN) { nodes { id status actor } totalCount }
}
"""

JOB = "query Job($id: ID!) { job(id: $id) { id nextRunAt lastRun { id status } } }"

FINISHED = {"SUCCEEDED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}


async def create_job(
    client: GraphQLClient,
    connection_id: str,
    behaviour: str = "event",
    *,
    name: str | None = None,
    schedule: str | None = None,
) -> dict[str, Any]:
    """A job of the connection; `behaviour` is the destination object, which the worker's
    test hook reads (tests/workers/hooks.py: test-stall, test-slow, ...)."""
    data = await client.data(
        CREATE_JOB,
        input={
            "connectionId": connection_id,
            "name": name or f"Job {behaviour}",
            "sourceObject": "events",
            "destinationObject": behaviour,
            "fieldMappings": [{"source": "properties.$insert_id", "target": "id", "key": True}],
            "schedule": schedule,
        },
    )
    assert data["createJob"]["userErrors"] == []
    return data["createJob"]["job"]


async def run(client: GraphQLClient, job_id: str, key: str | None = None) -> dict[str, Any]:
    payload = (await client.data(RUN_JOB, id=job_id, key=key))["runJob"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["activity"]


async def activity(client: GraphQLClient, activity_id: str) -> dict[str, Any]:
    return (await client.data(ACTIVITY, id=activity_id))["activity"]


async def status_is(client: GraphQLClient, activity_id: str, *statuses: str) -> Any:
    """The activity once its status is one of `statuses` (for `eventually`), else None."""
    current = await activity(client, activity_id)
    return current if current["status"] in statuses else None
