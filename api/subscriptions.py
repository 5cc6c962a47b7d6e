"""Live updates: activity and connection changes, from the Redis event bus, per tenant.

A subscription listens on its tenant's channel only, and loads every row through the caller's
tenant, so no other tenant's change ever reaches it. With `since` it first subscribes, then
replays from the database what changed after `since`, then goes live: events that arrive during
the replay wait in the channel, and a row already sent in the same state is not sent again, so
the hand-over has no gap and no duplicate.

Events carry ids, not states: each delivers the row as it is when read. Two changes that land
between two reads arrive as the later one (a run that is RUNNING for a few milliseconds may be
seen go from QUEUED to SUCCEEDED), never out of order and never behind.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from uuid import UUID

import strawberry

from api.activities.types import Activity
from api.connections.types import Connection
from api.context import Info
from api.loaders import Loaders
from models import events, metrics
from models.actors import Actor
from models.ids import by_id, parse_id
from models.lifecycle import ActivityStatus
from models.services import activities
from models.services.lookups import visible_connections
from models.tables import Activity as ActivityRow
from models.tables import Connection as ConnectionRow

SINCE_HELP = (
    "Replay first what changed after this instant (the updatedAt of the last update you "
    "received), then continue live: how a client that reconnects misses nothing."
)

T = TypeVar("T")
Since = Annotated[datetime | None, strawberry.argument(description=SINCE_HELP)]

REPLAY_BATCH = 200
# Rows whose last sent state a subscription remembers, to drop repeats.
REMEMBERED = 10_000


class Sent:
    """The last state sent of each row, so the same state is never sent twice."""

    def __init__(self) -> None:
        self._states: OrderedDict[str, Hashable] = OrderedDict()

    def is_new(self, key: str, state: Hashable) -> bool:
        if self._states.get(key) == state:
            return False
        self._states[key] = state
        self._states.move_to_end(key)
        if len(self._states) > REMEMBERED:
            self._states.popitem(last=False)
        return True


@dataclass(frozen=True)
class Wanted:
    """The subscriber's filter; a malformed id matches nothing, as in queries."""

    connection_id: str | None = None
    job_id: str | None = None

    def matches(self, connection_id: str | None, job_id: str | None = None) -> bool:
        return _same(self.connection_id, connection_id) and _same(self.job_id, job_id)


def _same(wanted: str | None, actual: str | None) -> bool:
    if wanted is None:
        return True
    parsed = parse_id(wanted)
    return parsed is not None and actual is not None and parsed == UUID(actual)


@asynccontextmanager
async def live(tenant: str) -> AsyncIterator[AsyncIterator[events.Event]]:
    """The tenant's events (subscribed before the block starts), counted as a subscriber."""
    async with events.bus().subscribe(tenant) as stream:
        metrics.subscriber_added()
        try:
            yield stream
        finally:
            metrics.subscriber_removed()


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every change of every activity you may see.")
    async def activity_updates(
        self,
        info: Info,
        connection_id: strawberry.ID | None = None,
        job_id: strawberry.ID | None = None,
        since: Since = None,
    ) -> AsyncGenerator[Activity, None]:
        actor = await info.context.actor()
        actor.require_read()
        wanted = Wanted(connection_id, job_id)
        sent = Sent()
        async with live(actor.tenant) as stream:
            if since is not None:
                async for row in _changed_activities(actor, wanted, _utc(since)):
                    if sent.is_new(str(row.id), row.updated_at):
                        yield _fresh(info, Activity.from_row(row))
            async for event in stream:
                if event.type != "activity":
                    continue
                if not wanted.matches(event.connection_id, event.job_id):
                    continue
                row = await ActivityRow.get_or_none(id=event.id, tenant=actor.tenant)
                if row is not None and sent.is_new(str(row.id), row.updated_at):
                    yield _fresh(info, Activity.from_row(row))

    @strawberry.subscription(description="Status, authorization and failure-flag changes.")
    async def connection_updates(
        self,
        info: Info,
        connection_id: strawberry.ID | None = None,
        since: Since = None,
    ) -> AsyncGenerator[Connection, None]:
        actor = await info.context.actor()
        actor.require_read()
        wanted = Wanted(connection_id)
        sent = Sent()
        async with live(actor.tenant) as stream:
            if since is not None:
                for row in await _changed_connections(actor, wanted, _utc(since)):
                    if sent.is_new(str(row.id), await _connection_state(row)):
                        yield _fresh(info, Connection.from_row(row))
            async for event in stream:
                if not wanted.matches(event.connection_id) or not await _may_change(actor, event):
                    continue
                row = await visible_connections(actor).get_or_none(id=event.connection_id)
                if row is not None and sent.is_new(str(row.id), await _connection_state(row)):
                    yield _fresh(info, Connection.from_row(row))


def _fresh(info: Info, value: T) -> T:
    # Each update is its own result: loaders must not answer from an earlier update's cache.
    info.context.loaders = Loaders()
    return value


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _changed_activities(
    actor: Actor, wanted: Wanted, since: datetime
) -> AsyncIterator[ActivityRow]:
    query = activities.visible(actor).filter(updated_at__gt=since)
    if wanted.connection_id is not None:
        query = by_id(query, "connection_id", wanted.connection_id)
    if wanted.job_id is not None:
        query = by_id(query, "job_id", wanted.job_id)
    query = query.order_by("updated_at", "id")
    offset = 0
    while batch := await query.offset(offset).limit(REPLAY_BATCH):
        for row in batch:
            yield row
        offset += len(batch)


async def _changed_connections(
    actor: Actor, wanted: Wanted, since: datetime
) -> list[ConnectionRow]:
    """Connections changed after `since`, and those whose activities did (the failure flag)."""
    changed = visible_connections(actor).filter(updated_at__gt=since)
    ids = set(await changed.values_list("id", flat=True))
    flagged = activities.visible(actor).filter(
        updated_at__gt=since, status=ActivityStatus.FAILED, connection_id__isnull=False
    )
    ids |= set(await flagged.values_list("connection_id", flat=True))
    rows = await visible_connections(actor).filter(id__in=list(ids)).order_by("updated_at")
    return [row for row in rows if wanted.matches(str(row.id))]


async def _may_change(actor: Actor, event: events.Event) -> bool:
    """A connection event, or a run that failed (which can raise the failure flag)."""
    if event.connection_id is None:
        return False
    if event.type == "connection":
        return True
    row = await ActivityRow.get_or_none(id=event.id, tenant=actor.tenant)
    return row is not None and row.status is ActivityStatus.FAILED


async def _connection_state(row: ConnectionRow) -> Hashable:
    failures = await activities.recent_failure_count(row)
    return (row.status, row.name, row.authorized_at, row.updated_at, failures)
