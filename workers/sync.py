"""The seam between a job run (workers/tasks.py) and the data it moves (workers/sources/).

`sync_job` reads the job's source object and loads it into the tenant's destination object,
reporting progress as it goes. It raises SourceUnavailable for what may pass (the task retries
with backoff) and SourceFailed for what will not (the run ends FAILED with that message).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from models.tables import Activity, Connection, Job

# Cumulative counts of this run so far: read, written, failed.
Progress = Callable[[int, int, int], Awaitable[None]]


class SourceUnavailable(Exception):
    """A transient failure at the source (5xx, timeouts, connection errors): retry later."""


class SourceFailed(Exception):
    """A failure that retrying will not fix; the message is the source's own, with no secret."""


@dataclass
class RunContext:
    activity: Activity
    job: Job
    connection: Connection
    progress: Progress
    attempt: int = 1


@dataclass
class SyncOutcome:
    records_read: int = 0
    records_written: int = 0
    records_failed: int = 0
    # Descriptions of records that could not be mapped (the first few), for the activity.
    failures: list[str] = field(default_factory=list)
    message: str = ""


async def sync_job(run: RunContext) -> SyncOutcome:
    return SyncOutcome(
        message="No source client reads this connector yet, so this run read nothing."
    )
