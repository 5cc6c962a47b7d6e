"""Connection tests: does this connection still work at its source, before a job finds out?

- `test_connection(actor, id)` (admin): a QUEUED `CONNECTION_TESTED` activity, handed to the
  workers under one arq job id per connection. While a test of the connection is queued or
  running, asking again answers with that test instead of queuing another: runJob refuses a
  second run (ALREADY_RUNNING) to protect the data, a test has nothing to protect, so the
  click simply gets the test it asked for.
- The worker (workers/connection_tests.py) takes the connection's open test (`next_test`),
  makes one cheap authenticated call at the source, and ends it with `succeed` or `fail`. A
  failed test is a FAILED activity of the connection (the failure flag follows) and tells
  connectionUpdates subscribers; credentials an OAuth source still refuses after a refresh
  make the connection NEEDS_REAUTHORIZATION through models.tokens, as a refused refresh does.
- Inbound-only connectors (Segment, Gainsight API) are never called: data is pushed to us.
  Their test ends at once with what this service knows (the last delivery).
- `queue_due_tests`: the worker's sweep tests ACTIVE connections neither tested nor used
  (a job run, an inbound delivery) for `connection_test_interval_hours`, a few a minute.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from models import dispatch, events, tokens
from models.actors import SYSTEM, Actor
from models.catalog import CATALOG, get_connector
from models.errors import InvalidState
from models.lifecycle import ACTIVE_RUN, ActivityKind, ActivityStatus, ConnectionStatus
from models.services import activities, inbound
from models.services.lookups import get_connection
from models.tables import Activity, Connection

# A test is one cheap call (the worker gives up after 90 s): one queued or running this long
# was lost (its worker died, Redis was emptied), and is ended so a new test can start.
LOST_AFTER = timedelta(minutes=5)
# What counts as having exercised a connection recently, for the sweep.
TESTED_OR_USED = (ActivityKind.CONNECTION_TESTED, ActivityKind.JOB_RUN)
# Tries of the hand-over while the arq job of the connection's previous test finishes.
ENQUEUE_TRIES = 5
ENQUEUE_PAUSE_SECONDS = 0.05


@dataclass
class StartedTest:
    activity: Activity
    connection: Connection


async def test_connection(actor: Actor, connection_id: str) -> Activity:
    """Test the connection in the background; a test already queued or running is the answer."""
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    return await queue_test(connection, actor.user)


async def queue_test(connection: Connection, actor: str, *, defer_seconds: float = 0) -> Activity:
    if connection.status is not ConnectionStatus.ACTIVE:
        raise InvalidState(
            f"The connection {connection.name!r} is {connection.status.value}; only an ACTIVE "
            "connection can be tested. Authorize it (or reauthorize it) first."
        )
    if get_connector(connection.connector_key).inbound is not None:
        return await _answer_inbound(connection, actor)
    await end_lost_tests(connection)
    activity, created = await _insert_test(connection, actor)
    if created:
        await activities.publish(activity)
        await _hand_over(connection, defer_seconds)
    return activity


async def _insert_test(connection: Connection, actor: str) -> tuple[Activity, bool]:
    async with in_transaction():
        # A no-op write first locks the connection row (PostgreSQL) or takes SQLite's write
        # lock, so two clicks at once cannot both find no test and both insert one.
        await Connection.filter(id=connection.id).update(credential_version=F("credential_version"))
        earlier = await _open_tests(connection.id).first()
        if earlier is not None:
            return earlier, False
        activity = await Activity.create(
            tenant=connection.tenant,
            kind=ActivityKind.CONNECTION_TESTED,
            status=ActivityStatus.QUEUED,
            connection=connection,
            connection_name=connection.name,
            actor=actor,
            message=f"Test of the connection queued by {actor}.",
        )
        return activity, True


async def _hand_over(connection: Connection, defer_seconds: float) -> None:
    """Queue the connection's arq job. Refused only while the job of its previous test is
    still held: finishing (gone in a moment, so try again), or queued or retried, in which
    case it takes this test too (it runs every open test of the connection)."""
    for _ in range(ENQUEUE_TRIES):
        if await dispatch.current().enqueue_connection_test(str(connection.id), defer_seconds):
            return
        await asyncio.sleep(ENQUEUE_PAUSE_SECONDS)


def _open_tests(connection_id: object) -> Any:
    return Activity.filter(
        connection_id=connection_id,
        kind=ActivityKind.CONNECTION_TESTED,
        status__in=list(ACTIVE_RUN),
    ).order_by("created_at")


async def end_lost_tests(connection: Connection | None = None) -> int:
    """Tests queued or running for longer than any test takes end FAILED: they were lost."""
    query = Activity.filter(
        kind=ActivityKind.CONNECTION_TESTED,
        status__in=list(ACTIVE_RUN),
        updated_at__lt=activities.now() - LOST_AFTER,
    )
    if connection is not None:
        query = query.filter(connection_id=connection.id)
    ended = 0
    for activity in await query:
        ended += await activities.transition(
            activity,
            ActivityStatus.FAILED,
            error="The test was lost (its worker stopped, or the queue was emptied).",
            message="The test did not finish; test the connection again.",
        )
    return ended


# ---- the worker's side ------------------------------------------------------------------


async def next_test(connection_id: str) -> StartedTest | None:
    """The connection's open test (queued, or left running by a dead worker), now RUNNING;
    None when there is none, or it cannot run (it is then FAILED with why)."""
    activity = await _open_tests(connection_id).first()
    if activity is None:
        return None
    connection = await Connection.get_or_none(id=connection_id)
    if connection is None:
        await activities.transition(
            activity,
            ActivityStatus.FAILED,
            error="The connection was deleted.",
            message="The connection was deleted before its test ran.",
        )
        return None
    test = StartedTest(activity, connection)
    if connection.status is not ConnectionStatus.ACTIVE:
        await fail(test, f"The connection is {connection.status.value}; authorize it again.")
        return None
    name = get_connector(connection.connector_key).name
    if not await activities.transition(
        activity, ActivityStatus.RUNNING, message=f"Testing the connection at {name}."
    ):
        return None
    return test


async def succeed(test: StartedTest, message: str, details: dict[str, Any]) -> bool:
    return await activities.transition(
        test.activity,
        ActivityStatus.SUCCEEDED,
        message=message,
        details={**(test.activity.details or {}), "test": details},
    )


async def fail(test: StartedTest, error: str, *, credentials_refused: bool = False) -> bool:
    """End the test FAILED with the source's words. `credentials_refused`: the source refused
    them even after they were renewed; an OAuth connection then needs authorizing again."""
    await test.activity.refresh_from_db()
    if test.activity.status.finished:
        return False  # cancelled meanwhile, or its connection deleted: nothing more to say
    connection = test.connection
    # The version this test used (a refresh during it included): a newer one is a new
    # authorization that arrived meanwhile, which is not the one that was refused.
    used_version = connection.credential_version
    if credentials_refused and _logs_in(connection):
        await tokens.mark_needs_reauthorization(connection, used_version)
    else:
        await connection.refresh_from_db()
    ended = await activities.transition(
        test.activity,
        ActivityStatus.FAILED,
        error=error,
        message=_failed_message(connection, error),
    )
    await events.connection_changed(connection.tenant, connection.id)
    return ended


def _logs_in(connection: Connection) -> bool:
    connector = get_connector(connection.connector_key)
    return connector.requires_authorization and connector.oauth is not None


def _failed_message(connection: Connection, error: str) -> str:
    if connection.status is ConnectionStatus.NEEDS_REAUTHORIZATION:
        return f"The test failed: {error} Authorize the connection again to resume its jobs."
    return f"The test failed: {error}"


# ---- inbound-only connectors --------------------------------------------------------------


async def _answer_inbound(connection: Connection, actor: str) -> Activity:
    connector = get_connector(connection.connector_key)
    last = (
        await Activity.filter(connection_id=connection.id, kind=ActivityKind.JOB_RUN)
        .order_by("-created_at")
        .first()
    )
    seen: dict[str, Any] = {"inbound": True, "endpoint": inbound.endpoint(connection)}
    text = (
        f"{connector.name} pushes data to this service, so there is nothing to call; "
        f"deliveries go to {seen['endpoint']}."
    )
    if last is None:
        text += " No delivery has arrived yet."
    else:
        seen["last_delivery_at"] = last.created_at.isoformat()
        text += (
            f" The last delivery arrived at {last.created_at:%Y-%m-%d %H:%M} UTC "
            f"({last.records_read} records, {last.status.value})."
        )
    return await activities.record(
        ActivityKind.CONNECTION_TESTED,
        tenant=connection.tenant,
        actor=actor,
        connection=connection,
        message=text,
        details={"test": seen},
    )


# ---- the sweep ----------------------------------------------------------------------------


async def due_for_test(cutoff: datetime, limit: int) -> list[Connection]:
    """ACTIVE connections read from a source, authorized before `cutoff`, and neither tested
    nor used since: the longest quiet first."""
    recent = Activity.filter(
        kind__in=list(TESTED_OR_USED), created_at__gte=cutoff, connection_id__isnull=False
    ).values("connection_id")
    return (
        await Connection.filter(
            Q(authorized_at__isnull=True) | Q(authorized_at__lt=cutoff),
            status=ConnectionStatus.ACTIVE,
            connector_key__in=[c.key for c in CATALOG.values() if c.inbound is None],
        )
        .exclude(id__in=Subquery(recent))
        .order_by("updated_at")
        .limit(limit)
    )


async def queue_due_tests(interval: timedelta, batch: int, spread_seconds: float) -> int:
    """Queue tests (actor "system") of up to `batch` quiet connections, spread over
    `spread_seconds` so a sweep never sends them all to the sources at the same moment."""
    await end_lost_tests()
    due = await due_for_test(activities.now() - interval, batch)
    gap = spread_seconds / max(1, len(due))
    for index, connection in enumerate(due):
        await queue_test(connection, SYSTEM, defer_seconds=index * gap)
    return len(due)
