"""Jobs: the data jobs of a connection, their schedules, and starting and cancelling runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import croniter
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models import dispatch
from models.actors import SYSTEM, Actor
from models.catalog import get_connector
from models.errors import (
    AlreadyRunning,
    ConnectionNotActive,
    InvalidInput,
    InvalidState,
    NameTaken,
    NotFound,
)
from models.ids import by_id, parse_id
from models.lifecycle import ACTIVE_RUN, ActivityKind, ActivityStatus, ConnectionStatus, SyncMode
from models.pagination import Page, paginate
from models.services import activities
from models.services.lookups import get_connection
from models.tables import Activity, Connection, Job

MAX_NAME = 200


@dataclass
class Mapping:
    source: str
    target: str
    key: bool = False


@dataclass
class JobChanges:
    name: str | None = None
    field_mappings: list[Mapping] | None = None
    sync_mode: SyncMode | None = None
    schedule: str | None = None
    clear_schedule: bool = False
    enabled: bool | None = None


def visible(actor: Actor) -> QuerySet[Job]:
    actor.require_read()
    return Job.filter(tenant=actor.tenant)


async def get_job(actor: Actor, job_id: str) -> Job:
    parsed = parse_id(job_id)
    job = await visible(actor).get_or_none(id=parsed) if parsed else None
    if job is None:
        raise NotFound(f"No job {job_id} in your organization; list jobs to find it.", field=["id"])
    return job


async def list_jobs(
    actor: Actor,
    *,
    connection_id: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Job]:
    query = visible(actor)
    if connection_id is not None:
        query = by_id(query, "connection_id", connection_id)
    return await paginate(query, first, after)


async def create_job(
    actor: Actor,
    *,
    connection_id: str,
    name: str,
    source_object: str,
    destination_object: str,
    field_mappings: list[Mapping],
    sync_mode: SyncMode = SyncMode.FULL,
    schedule: str | None = None,
    enabled: bool = True,
) -> Job:
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    job = Job(
        tenant=actor.tenant,
        connection=connection,
        name=_clean(name, "name", "Give the job a name."),
        source_object=_clean(source_object, "sourceObject", "Name the source object to read."),
        destination_object=_clean(
            destination_object, "destinationObject", "Name the destination object to load."
        ),
        field_mappings=_check_mappings(field_mappings),
        sync_mode=sync_mode,
        schedule=_check_schedule(schedule),
        enabled=enabled,
        created_by=actor.user,
    )
    job.next_run_at = next_run(job)
    await _save_unique(job)
    await _record(ActivityKind.JOB_CREATED, actor, job, connection, "created")
    return job


async def update_job(actor: Actor, job_id: str, changes: JobChanges) -> Job:
    actor.require_admin()
    job = await get_job(actor, job_id)
    if changes.name is not None:
        job.name = _clean(changes.name, "name", "Give the job a name.")
    if changes.field_mappings is not None:
        job.field_mappings = _check_mappings(changes.field_mappings)
    if changes.sync_mode is not None:
        if changes.sync_mode is not job.sync_mode:
            job.cursor = None  # a new mode starts from the beginning
        job.sync_mode = changes.sync_mode
    if changes.schedule is not None or changes.clear_schedule:
        job.schedule = None if changes.clear_schedule else _check_schedule(changes.schedule)
    if changes.enabled is not None:
        job.enabled = changes.enabled
    job.next_run_at = next_run(job)
    await _save_unique(job)
    connection = await job.connection
    await _record(ActivityKind.JOB_UPDATED, actor, job, connection, "changed")
    return job


async def delete_job(actor: Actor, job_id: str) -> str:
    actor.require_admin()
    job = await get_job(actor, job_id)
    connection = await job.connection
    await _abort_runs(
        Activity.filter(job_id=job.id, status__in=list(ACTIVE_RUN)), "its job was deleted"
    )
    await _record(ActivityKind.JOB_DELETED, actor, job, connection, "deleted")
    deleted = str(job.id)
    await job.delete()
    return deleted


async def run_job(actor: Actor, job_id: str, idempotency_key: str | None = None) -> Activity:
    """Queue a run of the job and hand it to the workers; the same key returns the same run."""
    actor.require_admin()
    job = await get_job(actor, job_id)
    return await queue_run(job, actor.user, idempotency_key=idempotency_key or None)


async def queue_run(job: Job, actor: str, *, idempotency_key: str | None = None) -> Activity:
    """A QUEUED run, published and handed to the workers once its row is committed."""
    connection = await job.connection
    try:
        activity, created = await _insert_run(job, connection, actor, idempotency_key)
    except IntegrityError:
        if not idempotency_key:
            raise
        # A retried request with the same key raced us (on another process) and won.
        return _same_job(await _by_key(job.tenant, idempotency_key), job)
    if created:
        await activities.publish(activity)
        await dispatch.current().enqueue_run(activity)
    return activity


async def _insert_run(
    job: Job, connection: Connection, actor: str, idempotency_key: str | None
) -> tuple[Activity, bool]:
    """The run to hand out, and whether it is new; refuses a second active run of the job."""
    async with in_transaction():
        # A no-op write first locks the job row (PostgreSQL) or takes SQLite's write lock,
        # waiting for it rather than failing later on a read-then-write upgrade: a concurrent
        # runJob waits here, then sees this run, so check-then-insert is atomic.
        await Job.filter(id=job.id).update(next_run_at=F("next_run_at"))
        earlier = await _by_key(job.tenant, idempotency_key) if idempotency_key else None
        if earlier is not None:
            return _same_job(earlier, job), False
        if connection.status is not ConnectionStatus.ACTIVE:
            raise ConnectionNotActive(
                f"The connection {connection.name!r} is {connection.status.value}; authorize "
                "it again before running its jobs."
            )
        running = await Activity.filter(job_id=job.id, status__in=list(ACTIVE_RUN)).first()
        if running is not None:
            raise AlreadyRunning(
                f"This job already has a {running.status.value} run ({running.id}); wait for "
                "it or cancel it first."
            )
        activity = await Activity.create(
            tenant=job.tenant,
            kind=ActivityKind.JOB_RUN,
            status=ActivityStatus.QUEUED,
            connection=connection,
            connection_name=connection.name,
            job=job,
            actor=actor,
            idempotency_key=idempotency_key,
            message=f"Run of {job.name!r} queued by {actor}.",
        )
        return activity, True


async def _by_key(tenant: str, idempotency_key: str | None) -> Activity | None:
    return await Activity.get_or_none(tenant=tenant, idempotency_key=idempotency_key)


def _same_job(earlier: Activity | None, job: Job) -> Activity:
    if earlier is None:
        raise InvalidState("That idempotency key's run could not be read; try again.")
    if earlier.job_id != job.id:
        raise InvalidInput(
            "This idempotency key was already used for a run of another job; send a new key "
            "for each new run.",
            field=["idempotencyKey"],
        )
    return earlier


async def cancel_activity(actor: Actor, activity_id: str) -> Activity:
    actor.require_admin()
    activity = await activities.get_activity(actor, activity_id)
    if activity.status not in ACTIVE_RUN:
        raise InvalidState(
            f"This activity is {activity.status.value}; only a queued or running run can be "
            "cancelled."
        )
    await _abort_runs(Activity.filter(id=activity.id), f"cancelled by {actor.user}")
    await activity.refresh_from_db()
    return activity


async def cancel_active_runs(connection: Connection, reason: str) -> None:
    await _abort_runs(
        Activity.filter(connection_id=connection.id, status__in=list(ACTIVE_RUN)), reason
    )


async def _abort_runs(query: QuerySet[Activity], reason: str) -> None:
    for activity in await query:
        # Only a run this call moved to CANCELLED is aborted: one that finished meanwhile
        # keeps its own ending.
        if await activities.transition(
            activity, ActivityStatus.CANCELLED, message=f"Cancelled: {reason}."
        ):
            await dispatch.current().abort_run(activity)


async def create_default_jobs(connection: Connection, actor: Actor) -> list[Job]:
    """The connector's out-of-the-box jobs, created when a connection first becomes ACTIVE."""
    connector = get_connector(connection.connector_key)
    created = []
    for default in connector.default_jobs:
        if await Job.filter(connection_id=connection.id, name=default.name).exists():
            continue
        job = await Job.create(
            tenant=connection.tenant,
            connection=connection,
            name=default.name,
            source_object=default.source_object,
            destination_object=default.destination_object,
            field_mappings=[{"source": s, "target": t, "key": k} for s, t, k in default.mappings],
            built_in=True,
            created_by=SYSTEM,
        )
        await _record(ActivityKind.JOB_CREATED, actor, job, connection, "created")
        created.append(job)
    return created


def next_run(job: Job, after: datetime | None = None) -> datetime | None:
    if not job.schedule or not job.enabled:
        return None
    start = after or activities.now()
    return croniter(job.schedule, start).get_next(datetime)


def _check_schedule(schedule: str | None) -> str | None:
    if schedule is None or not schedule.strip():
        return None
    schedule = " ".join(schedule.split())
    if not croniter.is_valid(schedule) or len(schedule.split()) != 5:
        raise InvalidInput(
            f"{schedule!r} is not a cron expression; use five fields, e.g. '0 * * * *' for "
            "hourly, or leave the schedule empty to run by hand only.",
            field=["schedule"],
        )
    return schedule


def _check_mappings(mappings: list[Mapping]) -> list[dict[str, Any]]:
    if not mappings:
        raise InvalidInput("Map at least one source field to a target.", field=["fieldMappings"])
    seen: set[str] = set()
    for index, mapping in enumerate(mappings):
        if not mapping.source.strip() or not mapping.target.strip():
            raise InvalidInput(
                "Every mapping needs a source field and a target field.",
                field=["fieldMappings", str(index)],
            )
        if mapping.target.strip() in seen:
            raise InvalidInput(
                f"Target {mapping.target!r} is mapped twice; map each target once.",
                field=["fieldMappings", str(index), "target"],
            )
        seen.add(mapping.target.strip())
    if not any(m.key for m in mappings):
        raise InvalidInput(
            "Mark at least one mapping as key, so reruns update records instead of "
            "duplicating them.",
            field=["fieldMappings"],
        )
    return [
        {"source": m.source.strip(), "target": m.target.strip(), "key": m.key} for m in mappings
    ]


def _clean(value: str | None, field: str, message: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(message, field=[field])
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"`{field}` is at most {MAX_NAME} characters.", field=[field])
    return cleaned


async def _save_unique(job: Job) -> None:
    clash = Job.filter(connection_id=job.connection_id, name=job.name)
    if job.id is not None:
        clash = clash.exclude(id=job.id)
    if await clash.exists():
        raise NameTaken(
            f"This connection already has a job named {job.name!r}; pick another name.",
            field=["name"],
        )
    await job.save()


async def _record(
    kind: ActivityKind, actor: Actor, job: Job, connection: Connection, verb: str
) -> None:
    await activities.record(
        kind,
        tenant=job.tenant,
        actor=actor.user,
        connection=connection,
        job=job,
        message=f"{actor.user} {verb} the job {job.name!r}.",
    )
