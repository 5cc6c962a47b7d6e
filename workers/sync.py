"""The seam between a job run (workers/tasks.py) and the data it moves (workers/sources/).

`sync_job` reads the job's source object and loads it into the tenant's destination object,
reporting progress as it goes. It raises SourceUnavailable for what may pass (the task retries
with backoff) and SourceFailed for what will not (the run ends FAILED with that message).
Pages already loaded stay loaded either way, and an incremental job's cursor is the one that
matches them: it is saved after each page's load, never before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field

import httpx

import workers.sources  # noqa: F401  (registers every source and its hooks)
from models.catalog import get_connector
from models.errors import DomainError
from models.lifecycle import SyncMode
from models.services import loading
from models.tables import Activity, Connection, Job
from workers.sources.errors import SourceFailed, SourceUnavailable
from workers.sources.registry import source_for
from workers.sources.source import Access, Page, ReadPlan, open_session

# Cumulative counts of this run so far: read, written, failed.
Progress = Callable[[int, int, int], Awaitable[None]]
# Pages read ahead while the one before is loaded: the source's latency and the database's
# overlap, and memory stays bounded by a few pages.
READ_AHEAD = 2

__all__ = ["RunContext", "SourceFailed", "SourceUnavailable", "SyncOutcome", "sync_job"]


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


def plan_for(job: Job) -> ReadPlan:
    incremental = job.sync_mode is SyncMode.INCREMENTAL
    return ReadPlan(
        object=job.source_object,
        fields=tuple(dict.fromkeys(m["source"] for m in job.field_mappings)),
        since=loading.saved_cursor(job) if incremental else None,
        incremental=incremental,
    )


async def sync_job(run: RunContext) -> SyncOutcome:
    connector = get_connector(run.connection.connector_key)
    source = source_for(connector.key)
    if source is None:
        return SyncOutcome(
            message=f"No source client reads {connector.name} yet, so this run read nothing."
        )
    plan = plan_for(run.job)
    outcome = SyncOutcome()
    try:
        async with open_session(source, Access.of(run.connection)) as session:
            async for page in read_ahead(source.read(session, plan)):
                await _load_page(run, plan, page, outcome)
    except httpx.TransportError as exc:  # a stream broken mid-read
        raise SourceUnavailable(f"{connector.name} stopped answering mid-read ({exc}).") from exc
    except DomainError as exc:  # a setting that cannot be used (an address, a template)
        raise SourceFailed(exc.message) from exc
    outcome.message = _summary(run.job, connector.name, outcome)
    return outcome


@dataclass
class _Failed:
    error: Exception


_END = object()


async def read_ahead(pages: AsyncIterator[Page], depth: int = READ_AHEAD) -> AsyncIterator[Page]:
    """`pages`, read by a task of their own at most `depth` pages ahead of the consumer."""
    queue: asyncio.Queue[object] = asyncio.Queue(depth)

    async def produce() -> None:
        try:
            async for page in pages:
                await queue.put(page)
        except Exception as exc:  # noqa: BLE001  (handed over: the consumer raises it)
            await queue.put(_Failed(exc))
            return
        await queue.put(_END)

    reader = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        reader.cancel()
        with suppress(asyncio.CancelledError):  # the cancel we just asked for
            await reader


async def _load_page(run: RunContext, plan: ReadPlan, page: Page, outcome: SyncOutcome) -> None:
    job = run.job
    loaded = await loading.load(
        job.tenant,
        job.destination_object,
        loading.FieldMap.of_job(job),
        page.records,
        first_index=outcome.records_read,
    )
    outcome.records_read += len(page.records)
    outcome.records_written += loaded.written
    outcome.records_failed += loaded.failed
    room = loading.MAX_DESCRIBED - len(outcome.failures)
    outcome.failures.extend(loaded.failures[: max(0, room)])
    if plan.incremental and page.cursor not in (None, loading.saved_cursor(job)):
        await loading.save_cursor(job, page.cursor)
    await run.progress(outcome.records_read, outcome.records_written, outcome.records_failed)


def _summary(job: Job, source_name: str, outcome: SyncOutcome) -> str:
    text = (
        f"Read {outcome.records_read} {job.source_object} records from {source_name} and "
        f"loaded {outcome.records_written} into {job.destination_object}."
    )
    if outcome.records_failed:
        text += (
            f" {outcome.records_failed} could not be loaded, e.g. {outcome.failures[0]}; "
            "fix the mappings or the source data and run again."
        )
    return text
