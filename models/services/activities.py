"""Recording activities and moving them through their statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet

from models import events
from models.actors import Actor
from models.errors import NotFound
from models.ids import by_id, parse_id
from models.lifecycle import ACTIVITY_TRANSITIONS, ActivityKind, ActivityStatus
from models.pagination import Page, paginate
from models.tables import Activity, Connection, Job

RECENT_FAILURE_WINDOW = timedelta(hours=24)


def now() -> datetime:
    return datetime.now(UTC)


async def record(
    kind: ActivityKind,
    *,
    tenant: str,
    actor: str | None,
    connection: Connection | None = None,
    job: Job | None = None,
    status: ActivityStatus = ActivityStatus.SUCCEEDED,
    connection_name: str | None = None,
    **fields: Any,
) -> Activity:
    """Record a lifecycle change; finished at once unless it is a run that starts QUEUED."""
    stamp = now()
    finished = stamp if status.finished else None
    activity = await Activity.create(
        tenant=tenant,
        kind=kind,
        status=status,
        connection=connection,
        connection_name=connection_name or (connection.name if connection else ""),
        job=job,
        actor=actor,
        started_at=stamp if finished else None,
        finished_at=finished,
        **fields,
    )
    await publish(activity)
    return activity


async def transition(activity: Activity, new: ActivityStatus, **fields: Any) -> bool:
    """Move an activity to `new` unless it has moved on meanwhile; a finished one never changes.

    The update is conditional on the status it may come from, so a late message (a worker
    finishing after a cancel) cannot overwrite a finished activity.
    """
    allowed_from = [old for old, targets in ACTIVITY_TRANSITIONS.items() if new in targets]
    values: dict[str, Any] = {"status": new, "updated_at": now(), **fields}
    if new is ActivityStatus.RUNNING and "started_at" not in fields:
        values.setdefault("started_at", activity.started_at or now())
    if new.finished:
        values.setdefault("finished_at", now())
    changed = await Activity.filter(id=activity.id, status__in=allowed_from).update(**values)
    await activity.refresh_from_db()
    if changed:
        await publish(activity)
    return bool(changed)


async def update_progress(activity: Activity, **counts: int) -> None:
    """Counts of a running activity; ignored once it has finished."""
    changed = await Activity.filter(id=activity.id, status=ActivityStatus.RUNNING).update(
        updated_at=now(), **counts
    )
    if changed:
        await activity.refresh_from_db()
        await publish(activity)


async def publish(activity: Activity) -> None:
    await events.publish(
        events.Event(
            type="activity",
            tenant=activity.tenant,
            id=str(activity.id),
            connection_id=str(activity.connection_id) if activity.connection_id else None,
            job_id=str(activity.job_id) if activity.job_id else None,
        )
    )


def visible(actor: Actor) -> QuerySet[Activity]:
    actor.require_read()
    return Activity.filter(tenant=actor.tenant)


async def get_activity(actor: Actor, activity_id: str) -> Activity:
    parsed = parse_id(activity_id)
    activity = await visible(actor).get_or_none(id=parsed) if parsed else None
    if activity is None:
        raise NotFound(f"No activity {activity_id} here; list activities to find the one you want.")
    return activity


async def list_activities(
    actor: Actor,
    *,
    connection_id: str | None = None,
    job_id: str | None = None,
    status: ActivityStatus | None = None,
    kind: ActivityKind | None = None,
    since: datetime | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Activity]:
    query = visible(actor)
    if connection_id is not None:
        query = by_id(query, "connection_id", connection_id)
    if job_id is not None:
        query = by_id(query, "job_id", job_id)
    if status is not None:
        query = query.filter(status=status)
    if kind is not None:
        query = query.filter(kind=kind)
    if since is not None:
        # `since` is for catching up after a reconnect: every activity changed after it.
        query = query.filter(updated_at__gt=since)
    return await paginate(query, first, after)


async def recent_failure_count(connection: Connection) -> int:
    return await Activity.filter(
        connection_id=connection.id,
        status=ActivityStatus.FAILED,
        created_at__gte=now() - RECENT_FAILURE_WINDOW,
    ).count()
