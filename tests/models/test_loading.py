"""Loading on the database the suite runs on (SQLite by default, PostgreSQL with
CONNECTORS_DATABASE_URL): mapping, batched upserts (COPY + staging table on PostgreSQL), and the
run's pipeline that maps pages while the write before is in flight.

Same semantics on both: the last record of a key wins within a batch, rows whose data did not
change are not rewritten, unmappable records are counted and described, and an incremental
cursor is saved only once the pages it covers are written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus, SyncMode
from models.services import loading
from models.tables import Activity, Connection, Job, Record
from workers import sync
from workers.sources.source import Page, ReadPlan

MAPS = [
    loading.FieldMap("Id", "external_id", key=True),
    loading.FieldMap("Name", "name"),
    loading.FieldMap("owner.email", "owner_email"),
]


@pytest.fixture(autouse=True)
def _database(app: Any) -> None:
    """The app's start-up opened the database (and migrated it)."""


@pytest.fixture
def tenant() -> str:
    return f"loading-{uuid.uuid4().hex[:10]}"


async def _rows(tenant: str, object_name: str = "company") -> dict[str, Record]:
    return {r.key: r for r in await Record.filter(tenant=tenant, object=object_name)}


def test_the_compiled_mapper_maps_like_the_mappings_say() -> None:
    mapper = loading.Mapper(MAPS)
    key, data = mapper({"Id": "001", "Name": "Acme", "owner": {"email": "a@x.io"}})
    assert (key, data) == ("001", {"external_id": "001", "name": "Acme", "owner_email": "a@x.io"})
    # a dotted name that is itself a field is taken whole
    assert mapper({"Id": 7, "owner.email": "b@x.io"})[1]["owner_email"] == "b@x.io"
    assert mapper({"Id": 7})[0] == "7"
    assert mapper({"Id": True})[0] == "true"
    stamped = mapper({"Id": "2", "Name": dt.date(2024, 3, 1), "owner": {"email": Decimal("2")}})
    assert stamped[1] == {"external_id": "2", "name": "2024-03-01", "owner_email": 2}


def test_composite_keys_and_the_old_entry_point_agree() -> None:
    maps = [loading.FieldMap("a", "a", key=True), loading.FieldMap("b", "b", key=True)]
    record = {"a": "x", "b": 2}
    assert loading.Mapper(maps)(record) == loading.map_record(record, maps)
    assert loading.Mapper(maps)(record)[0] == '["x","2"]'


def test_prepare_keeps_the_last_record_of_a_key_and_describes_the_unmappable() -> None:
    records = [
        {"Id": "1", "Name": "first"},
        {"Name": "no key"},
        {"Id": {"nested": 1}},
        {"Id": "1", "Name": "second"},
        {"Id": "3", "Name": object()},
        {"Id": "4", "Name": 2**70},  # JSON cannot hold it
        {"Id": "x" * (loading.MAX_KEY + 1)},
    ]
    prepared = loading.prepare(records, loading.Mapper(MAPS), first_index=10)
    assert list(prepared.rows) == ["1"]
    assert '"second"' in prepared.rows["1"]
    assert (prepared.loaded.written, prepared.loaded.failed) == (2, 5)
    failures = prepared.loaded.failures
    assert failures[0] == "record 12: the key field 'Id' is missing"
    assert failures[1].startswith("record 13: the key field 'Id' is a dict")
    assert failures[2].startswith("record 15: the field 'Name' holds a object")
    assert failures[3].startswith("record 16: ")
    assert failures[4] == f"record 17: its key is longer than {loading.MAX_KEY} characters"


async def test_a_reload_rewrites_only_the_rows_that_changed(tenant: str) -> None:
    first = [{"Id": str(n), "Name": f"n{n}"} for n in range(5)]
    loaded = await loading.load(tenant, "company", MAPS, first)
    assert (loaded.written, loaded.failed) == (5, 0)
    before = await _rows(tenant)
    await asyncio.sleep(0.01)
    second = [*first[:4], {"Id": "4", "Name": "renamed"}, {"Id": "5", "Name": "new"}]
    await loading.load(tenant, "company", MAPS, second)
    after = await _rows(tenant)
    assert sorted(after) == ["0", "1", "2", "3", "4", "5"]
    assert after["4"].data["name"] == "renamed"
    assert after["4"].updated_at > before["4"].updated_at
    for key in "0123":  # unchanged: not rewritten
        assert after[key].updated_at == before[key].updated_at
        assert after[key].data == before[key].data


@pytest.fixture
def small_batches() -> Iterator[None]:
    saved = loading.BATCH
    loading.BATCH = 3
    yield
    loading.BATCH = saved


async def test_rows_beyond_one_batch_and_duplicates_across_pages(
    tenant: str, small_batches: None
) -> None:
    prepared = loading.Prepared()
    mapper = loading.Mapper(MAPS)
    loading.prepare([{"Id": str(n), "Name": "a"} for n in range(7)], mapper, 0, into=prepared)
    loading.prepare([{"Id": "2", "Name": "b"}, {"Id": "7", "Name": "b"}], mapper, 7, into=prepared)
    await loading.write(tenant, "company", prepared.rows)
    rows = await _rows(tenant)
    assert len(rows) == 8
    assert rows["2"].data["name"] == "b"
    assert prepared.loaded.written == 9


async def _run(tenant: str, progress: list[tuple[int, int, int]]) -> sync.RunContext:
    now = dt.datetime.now(dt.UTC)
    connection = await Connection.create(
        id=uuid.uuid4(),
        tenant=tenant,
        name="Loader",
        name_key=f"loader {uuid.uuid4().hex}",
        connector_key="SFDC",
        status=ConnectionStatus.ACTIVE,
        created_by="test",
        authorized_at=now,
    )
    job = await Job.create(
        tenant=tenant,
        connection=connection,
        name="Loader accounts",
        source_object="Account",
        destination_object="company",
        field_mappings=[{"source": m.source, "target": m.target, "key": m.key} for m in MAPS],
        sync_mode=SyncMode.INCREMENTAL,
        created_by="test",
    )
    activity = await Activity.create(
        tenant=tenant,
        kind=ActivityKind.JOB_RUN,
        status=ActivityStatus.RUNNING,
        connection=connection,
        connection_name=connection.name,
        job=job,
    )

    async def record_progress(read: int, written: int, failed: int) -> None:
        progress.append((read, written, failed))

    return sync.RunContext(activity, job, connection, record_progress)


def _page(numbers: range, cursor: str | None) -> Page:
    return Page([{"Id": str(n), "Name": f"n{n}"} for n in numbers], cursor)


async def test_pages_mapped_while_a_write_is_in_flight_gather_into_the_next_batch(
    tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress: list[tuple[int, int, int]] = []
    run = await _run(tenant, progress)
    outcome = sync.SyncOutcome()
    loader = sync._Loader(run, ReadPlan("Account", (), incremental=True), outcome)
    release, writes, cursors = asyncio.Event(), [], []
    real_write = loading.write

    async def held_write(tenant: str, object_name: str, rows: dict[str, str]) -> None:
        writes.append(sorted(rows, key=int))
        cursors.append(loading.saved_cursor(await Job.get(id=run.job.id)))
        await release.wait()
        await real_write(tenant, object_name, rows)

    monkeypatch.setattr(loading, "write", held_write)
    await loader.add(_page(range(0, 2), "c1"))  # the writer is idle: written at once
    await loader.add(_page(range(2, 4), None))
    await loader.add(_page(range(4, 6), "c3"))
    await asyncio.sleep(0)
    assert writes == [["0", "1"]]  # the other two pages wait for it, gathered
    release.set()
    await loader.finish()
    assert writes == [["0", "1"], ["2", "3", "4", "5"]]
    assert cursors == [None, "c1"]  # c1 saved once pages 0-1 were written, not before
    assert loading.saved_cursor(await Job.get(id=run.job.id)) == "c3"
    assert len(await _rows(tenant)) == 6
    assert progress[0] == (2, 2, 0)  # the first write reports at once
    assert progress[-1] == (6, 6, 0)  # and the end always
    assert (outcome.records_read, outcome.records_written) == (6, 6)


async def test_a_failed_write_stops_the_writes_after_it_and_keeps_the_cursor(
    tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress: list[tuple[int, int, int]] = []
    run = await _run(tenant, progress)
    loader = sync._Loader(run, ReadPlan("Account", (), incremental=True), sync.SyncOutcome())
    real_write, calls = loading.write, []

    async def failing_second(tenant: str, object_name: str, rows: dict[str, str]) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        await real_write(tenant, object_name, rows)

    monkeypatch.setattr(loading, "write", failing_second)
    await loader.add(_page(range(0, 2), "c1"))
    await loader._settle()
    await loader.add(_page(range(2, 4), "c2"))  # handed to a write that fails
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="went away"):
        await loader.add(_page(range(4, 6), "c3"))
    await loader.finish()  # what the run does on its way out: no write after the failed one
    assert calls == [2, 2]
    assert loading.saved_cursor(await Job.get(id=run.job.id)) == "c1"
    assert sorted(await _rows(tenant), key=int) == ["0", "1"]
    assert progress == [(2, 2, 0)]
