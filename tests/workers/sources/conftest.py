"""What the source tests share: fast retries, connections made active the way the product
does it (tokens sealed into the connection), jobs, and a run driven straight through
`workers.sync.sync_job` with a real activity that counts its progress."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from models import credentials, tokens
from models.actors import Actor
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus
from models.services import activities, jobs
from models.tables import Activity, Connection, Job
from tests.conftest import GraphQLClient
from workers.sources import http
from workers.sync import RunContext, SyncOutcome, sync_job

CREATE_CONNECTION = """
mutation ($input: CreateConnectionInput!) {
  createConnection(input: $input) { connection { id status } userErrors { code message } }
}"""
CREATE_JOB = """
mutation ($input: CreateJobInput!) {
  createJob(input: $input) { job { id } userErrors { code message field } }
}"""
RECORDS = """
query ($object: String!, $after: String) {
  records(object: $object, first: 200, after: $after) {
    nodes totalCount pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    saved = http.POLICY[0]
    http.POLICY[0] = http.RetryPolicy(
        attempts=3, base_delay=0.01, max_delay=0.05, rate_limit_waits=5, max_retry_after=5
    )
    yield
    http.POLICY[0] = saved


async def create_connection(
    admin: GraphQLClient, key: str, settings: dict[str, Any] | None = None, name: str = ""
) -> Connection:
    data = await admin.data(
        CREATE_CONNECTION,
        input={"connectorKey": key, "name": name or f"{key} test", "settings": settings or {}},
    )
    payload = data["createConnection"]
    assert not payload["userErrors"], payload["userErrors"]
    return await Connection.get(id=payload["connection"]["id"])


async def activate_oauth(
    connection: Connection,
    token_values: dict[str, str],
    extras: dict[str, str] | None = None,
    expires_in: int = 3600,
) -> Connection:
    """What a finished authorization leaves behind: sealed tokens, ACTIVE, default jobs."""
    now = activities.now()
    stored = await credentials.replace_if_version(
        connection,
        connection.credential_version,
        tokens.sealed_grant(connection, token_values, extras or {}),
        status=ConnectionStatus.ACTIVE,
        authorized_at=now,
        token_expires_at=now + timedelta(seconds=expires_in),
    )
    assert stored
    await jobs.create_default_jobs(connection, Actor.system(connection.tenant))
    return connection


async def oauth_connection(
    admin: GraphQLClient,
    key: str,
    token_values: dict[str, str],
    extras: dict[str, str] | None = None,
    **settings: Any,
) -> Connection:
    connection = await create_connection(admin, key, settings)
    return await activate_oauth(connection, token_values, extras)


async def default_job(connection: Connection, source_object: str) -> Job:
    return await Job.get(connection_id=connection.id, source_object=source_object, built_in=True)


async def custom_job(
    admin: GraphQLClient,
    connection: Connection,
    source_object: str,
    destination: str,
    mappings: list[tuple[str, str, bool]],
    mode: str = "FULL",
    name: str = "",
) -> Job:
    data = await admin.data(
        CREATE_JOB,
        input={
            "connectionId": str(connection.id),
            "name": name or f"{source_object} to {destination} ({mode})",
            "sourceObject": source_object,
            "destinationObject": destination,
            "fieldMappings": [{"source": s, "target": t, "key": k} for s, t, k in mappings],
            "syncMode": mode,
        },
    )
    payload = data["createJob"]
    assert not payload["userErrors"], payload["userErrors"]
    return await Job.get(id=payload["job"]["id"])


@dataclass
class Run:
    outcome: SyncOutcome
    activity: Activity
    job: Job


async def start_run(job: Job) -> tuple[RunContext, Activity]:
    job = await Job.get(id=job.id)
    connection = await Connection.get(id=job.connection_id)
    activity = await activities.record(
        ActivityKind.JOB_RUN,
        tenant=job.tenant,
        actor="test",
        connection=connection,
        job=job,
        status=ActivityStatus.QUEUED,
    )
    await activities.transition(activity, ActivityStatus.RUNNING)

    async def progress(read: int, written: int, failed: int) -> None:
        await activities.update_progress(
            activity, records_read=read, records_written=written, records_failed=failed
        )

    return RunContext(
        activity=activity, job=job, connection=connection, progress=progress
    ), activity


async def drive(job: Job) -> Run:
    """One run of `job`, straight through sync_job (no worker); returns what it did."""
    context, activity = await start_run(job)
    outcome = await sync_job(context)
    await activity.refresh_from_db()
    return Run(outcome, activity, await Job.get(id=job.id))


async def records(client: GraphQLClient, object_name: str) -> list[dict[str, Any]]:
    """Every record of a destination object, as `records(object:)` shows them, page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await client.data(RECORDS, object=object_name, after=after))["records"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(nodes)
            return nodes
        after = page["pageInfo"]["endCursor"]
