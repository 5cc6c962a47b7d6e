"""The seam between a job run (workers/tasks.py) and the data it moves (workers/sources/).

`sync_job` reads the job's source object and loads it into the tenant's destination object,
reporting progress as it goes. It raises SourceUnavailable for what may pass (the task retries
with backoff) and SourceFailed for what will not (the run ends FAILED with that message).
Pages already loaded stay loaded either way, and an incremental job's cursor is the one that
matches them: it is saved after the load of the pages it covers, never before.

Three stages overlap, each bounded: a task reads pages ahead (HTTP and JSON), the run maps
them, and one write at a time upserts what was mapped. While a write is in flight the pages
mapped meanwhile gather into the next batch (up to loading.BATCH rows), so a slow database
gets larger, fewer statements and a fast one gets each page as soon as it is mapped. Progress
is reported after the first write, then at most once every PROGRESS_EVERY seconds, and once
at the end.
"""

from __future__ import annotations

import asyncio
import time
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
# Seconds between two progress reports of a run (each is a write and an event).
PROGRESS_EVERY = 1.0

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
    loader = _Loader(run, plan, outcome)
    try:
        async with open_session(source, Access.of(run.connection)) as session:
            try:
                async for page in read_ahead(source.read(session, plan)):
                    await loader.add(page)
            except asyncio.CancelledError:
                loader.cancel()
                raise
            except Exception:
                await loader.finish()  # the pages read before the failure stay loaded
                raise
            await loader.finish()
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


@dataclass
class _Batch:
    prepared: loading.Prepared
    read: int  # records read up to the batch's last page
    cursor: object = None  # the last cursor its pages gave, if any


class _Loader:
    """Maps pages as they come and writes them one batch at a time behind the mapping."""

    def __init__(self, run: RunContext, plan: ReadPlan, outcome: SyncOutcome) -> None:
        self.run, self.plan, self.outcome = run, plan, outcome
        self.mapper = loading.Mapper(loading.FieldMap.of_job(run.job))
        self.pending: _Batch | None = None
        self.writing: asyncio.Task[None] | None = None
        self.broken = False  # a write failed: nothing after it may be written
        self.read = 0
        self.reported: tuple[int, int, int] | None = None
        self.reported_at = 0.0

    async def add(self, page: Page) -> None:
        batch = self.pending or _Batch(loading.Prepared(), 0)
        loading.prepare(page.records, self.mapper, self.read, into=batch.prepared)
        self.read += len(page.records)
        batch.read = self.read
        if page.cursor is not None:
            batch.cursor = page.cursor
        self.pending = batch
        idle = self.writing is None or self.writing.done()
        if idle or len(batch.prepared.rows) >= loading.BATCH:
            await self._hand_over()

    async def finish(self) -> None:
        await self._settle()
        if self.pending is not None:
            await self._hand_over()
            await self._settle()
        await self._report(final=True)

    def cancel(self) -> None:
        writing, self.writing = self.writing, None
        if writing is None:
            return
        if writing.done() and not writing.cancelled():
            writing.exception()  # retrieved, so not logged as lost: the cancel wins
        writing.cancel()

    async def _hand_over(self) -> None:
        await self._settle()
        batch, self.pending = self.pending, None
        if batch is not None and not self.broken:
            self.writing = asyncio.create_task(self._write(batch))

    async def _settle(self) -> None:
        writing, self.writing = self.writing, None
        if writing is None:
            return
        try:
            await writing
        except Exception:
            self.broken = True
            raise

    async def _write(self, batch: _Batch) -> None:
        job, outcome = self.run.job, self.outcome
        await loading.write(job.tenant, job.destination_object, batch.prepared.rows)
        loaded = batch.prepared.loaded
        outcome.records_read = batch.read
        outcome.records_written += loaded.written
        outcome.records_failed += loaded.failed
        room = loading.MAX_DESCRIBED - len(outcome.failures)
        outcome.failures.extend(loaded.failures[: max(0, room)])
        cursor = batch.cursor
        if self.plan.incremental and cursor not in (None, loading.saved_cursor(job)):
            await loading.save_cursor(job, cursor)
        await self._report(final=False)

    async def _report(self, *, final: bool) -> None:
        outcome = self.outcome
        if self.broken:
            return
        counts = (outcome.records_read, outcome.records_written, outcome.records_failed)
        due = time.monotonic() - self.reported_at >= PROGRESS_EVERY
        if counts == self.reported or not (final or due or self.reported is None):
            return
        self.reported, self.reported_at = counts, time.monotonic()
        await self.run.progress(*counts)


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
