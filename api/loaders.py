"""DataLoaders: batch the lookups a page of results needs into one query each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from strawberry.dataloader import DataLoader

from models.lifecycle import ActivityKind, ActivityStatus
from models.services.activities import RECENT_FAILURE_WINDOW, now
from models.tables import Activity, Connection, Job


async def _connections(ids: Sequence[UUID]) -> list[Connection | None]:
    rows = {row.id: row for row in await Connection.filter(id__in=list(ids))}
    return [rows.get(i) for i in ids]


async def _jobs(ids: Sequence[UUID]) -> list[Job | None]:
    rows = {row.id: row for row in await Job.filter(id__in=list(ids))}
    return [rows.get(i) for i in ids]


async def _failure_counts(ids: Sequence[UUID]) -> list[int]:
    since: datetime = now() - RECENT_FAILURE_WINDOW
    rows = await Activity.filter(
        connection_id__in=list(ids), status=ActivityStatus.FAILED, created_at__gte=since
    ).values_list("connection_id", flat=True)
    counts = Counter(rows)
    return [counts.get(i, 0) for i in ids]


async def _last_runs(ids: Sequence[UUID]) -> list[Activity | None]:
    latest: dict[UUID, Activity] = {}
    runs = Activity.filter(job_id__in=list(ids), kind=ActivityKind.JOB_RUN).order_by("-created_at")
    for run in await runs:
        latest.setdefault(run.job_id, run)  # type: ignore[arg-type]
    return [latest.get(i) for i in ids]


class Loaders:
    def __init__(self) -> None:
        self.connection = DataLoader(load_fn=_connections)
        self.job = DataLoader(load_fn=_jobs)
        self.failure_count = DataLoader(load_fn=_failure_counts)
        self.last_run = DataLoader(load_fn=_last_runs)
