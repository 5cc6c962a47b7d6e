"""Connection tests in the worker: one cheap authenticated call at the source per test.

- `probe(connection)`: the source's declared `probe`, else its `check` (the credentials
  check it runs at save), else its `list_objects`, else the first page of one object (of its
  first default job, which every connection can read). OAuth sources get their token through
  models.tokens (refreshed ahead of expiry, and once more after a 401) like any read.
- `test_connection(ctx, connection_id)`: the arq task (job id per connection,
  workers.queue.connection_test_job_id): runs the connection's open tests through
  models.services.connection_tests.
- `sweep_connection_tests(ctx)`: every minute, tests up to SWEEP_BATCH connections neither
  tested nor used for `connection_test_interval_hours`, spread over the minute.

Register with the worker: `functions += FUNCTIONS`, `cron_jobs += CRON_JOBS`.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from arq import cron, func

import workers.sources  # noqa: F401  (registers every source)
from models import settings as config
from models.catalog import Connector, get_connector
from models.errors import DomainError
from models.logging import bound, get_logger
from models.services import connection_tests, runs
from models.services.connection_tests import StartedTest
from models.tables import Connection
from workers.sources.errors import CredentialsRefused, SourceFailed, SourceUnavailable
from workers.sources.registry import source_for
from workers.sources.source import Access, ReadPlan, Session, Source, open_session

log = get_logger(__name__)

TIMEOUT_SECONDS = 90.0
# Open tests one arq job runs at most (a click that landed while the previous test finished).
TESTS_PER_JOB = 3
SWEEP_BATCH = 20
SWEEP_SPREAD_SECONDS = 55.0  # the sweep runs every minute


@dataclass
class Seen:
    message: str
    details: dict[str, Any] = field(default_factory=dict)


# ---- probing ------------------------------------------------------------------------------


async def probe(connection: Connection) -> Seen:
    connector = get_connector(connection.connector_key)
    source = source_for(connector.key)
    if source is None:
        raise SourceFailed(f"No source client reads {connector.name} yet; nothing to test.")
    async with open_session(source, Access.of(connection)) as session:
        seen = await _ask(source, connector, session)
    account = connection.source_account  # seen at authorization (an org, a portal)
    if account:
        seen.details["account"] = account
        if account not in seen.message:
            seen.message += f" Account: {account}."
    return seen


async def _ask(source: Source, connector: Connector, session: Session) -> Seen:
    name = connector.name
    if source.probe is not None:
        return Seen(f"{name} answered: {await source.probe(session)}.", {"call": "probe"})
    if source.check is not None:
        account = await source.check(session)
        said = f" ({account})" if account else ""
        return Seen(f"{name} accepted the credentials{said}.", {"call": "check", "seen": account})
    if source.list_objects is not None:
        count = len(await source.list_objects(session))
        return Seen(f"{name} lists {count} objects.", {"call": "list_objects", "objects": count})
    return await _first_page(source, connector, session)


async def _first_page(source: Source, connector: Connector, session: Session) -> Seen:
    """One page of the object of the connector's first default job: the same read a job
    makes, stopped after its first answer."""
    name = connector.default_jobs[0].source_object if connector.default_jobs else None
    declared = connector.source_object(name) if name else connector.objects[0]
    assert declared is not None, f"{connector.key}: a default job reads an undeclared object"
    plan = ReadPlan(object=declared.name, fields=tuple(f.name for f in declared.fields))
    async with aclosing(source.read(session, plan)) as pages:
        page = await anext(pages, None)
    count = len(page.records) if page else 0
    return Seen(
        f"{connector.name} answered a read of {declared.name} ({count} records on the first page).",
        {"call": "read", "object": declared.name, "records": count},
    )


# ---- arq ----------------------------------------------------------------------------------


async def test_connection(ctx: dict[str, Any], connection_id: str) -> str:
    outcomes = []
    for _ in range(TESTS_PER_JOB):
        test = await connection_tests.next_test(connection_id)
        if test is None:
            break
        with bound(activity_id=str(test.activity.id), connection_id=connection_id):
            outcomes.append(await _run(test))
    return ", ".join(outcomes) or "nothing to test"


async def _run(test: StartedTest) -> str:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            seen = await probe(test.connection)
    except CredentialsRefused as exc:
        await connection_tests.fail(test, str(exc), credentials_refused=True)
    except (SourceFailed, SourceUnavailable) as exc:
        await connection_tests.fail(test, str(exc))
    except httpx.TransportError as exc:  # a stream broken mid-answer
        await connection_tests.fail(test, f"The source stopped answering ({exc}).")
    except DomainError as exc:  # a setting that cannot be used (an address, a template)
        await connection_tests.fail(test, exc.message)
    except TimeoutError:
        await connection_tests.fail(test, f"No answer within {TIMEOUT_SECONDS:g} s; try later.")
    except Exception as exc:
        await connection_tests.fail(test, runs.internal_error(exc, test.activity))
        raise  # arq logs it with its traceback
    else:
        await connection_tests.succeed(test, seen.message, seen.details)
    return test.activity.status.value


async def sweep_connection_tests(ctx: dict[str, Any]) -> int:
    hours = config.current().connection_test_interval_hours
    if hours <= 0:
        return 0
    queued = await connection_tests.queue_due_tests(
        timedelta(hours=hours), SWEEP_BATCH, SWEEP_SPREAD_SECONDS
    )
    if queued:
        log.info("connection tests queued", count=queued)
    return queued


FUNCTIONS = [
    # No result kept: once a test ends, the connection's job id is free for the next one.
    func(
        test_connection,
        name="test_connection",
        keep_result=0,
        max_tries=3,
        timeout=TESTS_PER_JOB * TIMEOUT_SECONDS + 30,
    )
]
CRON_JOBS = [cron(sweep_connection_tests, name="connection-test-sweep", second=30)]
