"""The life of a job run once it is queued: start, progress, retries, finish, recovery.

The arq task (workers/tasks.py) calls these; every status change goes through
`activities.transition`, whose conditional update keeps a finished run finished whatever
arrives late (a worker finishing after a cancel, a retry after a recovery).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus
from models.services import activities
from models.tables import Activity, Connection, Job

# Tries of one run, the first included, before a transient source failure ends it FAILED.
MAX_TRIES = 4
# Backoff between tries: RETRY_BASE_SECONDS * 2 ** (try - 1), capped.
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 300.0
# Descriptions of failed records kept in the activity's details.
MAX_FAILURES_KEPT = 20


@dataclass
class StartedRun:
    activity: Activity
    job: Job
    connection: Connection
    attempt: int


async def start(activity_id: str, attempt: int) -> StartedRun | None:
    """Move a queued run (or a run coming back for another try) to RUNNING.

    None when there is nothing to run: the run is gone or finished (cancelled, recovered), or it
    cannot start, in which case it is now FAILED with the reason.
    """
    activity = await Activity.get_or_none(id=activity_id, kind=ActivityKind.JOB_RUN)
    if activity is None or activity.status.finished:
        return None
    job = await Job.get_or_none(id=activity.job_id) if activity.job_id else None
    connection = await Connection.get_or_none(id=activity.connection_id)
    if job is None or connection is None:
        await fail(activity, "Its job or connection was deleted before the run started.")
        return None
    if connection.status is not ConnectionStatus.ACTIVE:
        await fail(
            activity,
            f"The connection {connection.name!r} is {connection.status.value}; authorize it "
            "again, then run the job.",
        )
        return None
    message = f"Running{_try_note(attempt)}."
    if not await activities.transition(
        activity, ActivityStatus.RUNNING, attempts=attempt, message=message
    ):
        return None
    return StartedRun(activity, job, connection, attempt)


async def progress(activity: Activity, read: int, written: int, failed: int) -> None:
    await activities.update_progress(
        activity, records_read=read, records_written=written, records_failed=failed
    )


async def finish(
    run: StartedRun,
    *,
    read: int,
    written: int,
    failed: int,
    failures: list[str],
    message: str,
) -> bool:
    """SUCCEEDED, or PARTIAL_SUCCESS when some records failed (described in `details`)."""
    status = ActivityStatus.PARTIAL_SUCCESS if failed else ActivityStatus.SUCCEEDED
    summary = message or f"Read {read} records, wrote {written}."
    if failed:
        summary = f"{summary} {failed} records could not be loaded; see details."
    details = dict(run.activity.details or {})
    if failures:
        details["failures"] = failures[:MAX_FAILURES_KEPT]
    return await activities.transition(
        run.activity,
        status,
        records_read=read,
        records_written=written,
        records_failed=failed,
        details=details,
        message=f"{summary}{_try_note(run.attempt)}",
    )


async def fail(activity: Activity, error: str, *, message: str | None = None) -> bool:
    tries = _try_note(activity.attempts)
    return await activities.transition(
        activity,
        ActivityStatus.FAILED,
        error=error,
        message=message or f"The run failed{tries}: {error}",
    )


async def retry_later(run: StartedRun, error: str) -> float | None:
    """After a transient failure: seconds to wait before the next try, or None when the run is
    over (out of tries, so now FAILED, or finished meanwhile, e.g. cancelled)."""
    if run.attempt >= MAX_TRIES:
        await fail(
            run.activity,
            error,
            message=f"The source stayed unavailable; gave up after {run.attempt} tries: {error}",
        )
        return None
    delay = backoff_seconds(run.attempt)
    waiting = await activities.transition(
        run.activity,
        ActivityStatus.RUNNING,
        error=error,
        message=(f"Try {run.attempt} of {MAX_TRIES} failed: {error}. Trying again in {delay:g} s."),
    )
    return delay if waiting else None


def backoff_seconds(attempt: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** (attempt - 1), RETRY_MAX_SECONDS)


def internal_error(exc: BaseException, activity: Activity) -> str:
    # The exception's text may quote a request or a credential, so only its type is shown.
    return (
        f"The worker hit an unexpected {type(exc).__name__}; it is logged with activity id "
        f"{activity.id}. Run the job again, and report it if it keeps happening."
    )


async def open_runs(kind: ActivityKind = ActivityKind.JOB_RUN) -> list[Activity]:
    """Queued and running runs of every tenant, for the recovery sweep."""
    return await Activity.filter(
        kind=kind, status__in=[ActivityStatus.QUEUED, ActivityStatus.RUNNING]
    ).order_by("created_at")


def quiet_since(activity: Activity, cutoff: datetime) -> bool:
    """Unchanged since `cutoff`: a run that just started or just failed a try is left alone."""
    return activity.updated_at < cutoff


async def abandon(activity: Activity, why: str) -> bool:
    """End a run that no worker holds any more; it never stays RUNNING for ever."""
    return await fail(activity, why, message=f"{why} Run the job again.")


def _try_note(attempt: int) -> str:
    return f" (try {attempt} of {MAX_TRIES})" if attempt > 1 else ""
