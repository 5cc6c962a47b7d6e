"""Mixpanel against its fake over real HTTP: JSON-lines export in date windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services.loading import saved_cursor
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.mixpanel import RATE_LIMIT_BODY, MixpanelFake
from tests.fakes.server import FakeServer
from tests.workers.sources.conftest import (
    create_connection,
    custom_job,
    default_job,
    drive,
    records,
)
from workers.sync import SourceFailed

NOW = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def mixpanel(point_connector: Any) -> Iterator[MixpanelFake]:
    fake = MixpanelFake()
    fake.add_service_account("sa.reader", "sa-secret")
    with FakeServer(fake.app) as server:
        point_connector("MIXPANEL", api_url=server.url)
        yield fake


async def connect(admin: GraphQLClient, fake: MixpanelFake) -> Connection:
    settings = {
        "project_id": fake.project_id,
        "service_account_username": "sa.reader",
        "service_account_secret": "sa-secret",
        "region": "US",
    }
    return await create_connection(admin, "MIXPANEL", settings)


def seed(fake: MixpanelFake, days_ago: list[int], name: str = "login") -> None:
    for number, days in enumerate(days_ago):
        fake.add_event(name, f"user-{number}", NOW - timedelta(days=days, hours=-1))


async def test_full_export_streams_every_window_through_faults_without_duplicates(
    admin: GraphQLClient, mixpanel: MixpanelFake
) -> None:
    seed(mixpanel, [300, 200, 100, 10, 0])
    connection = await connect(admin, mixpanel)
    assert connection.source_account == f"project {mixpanel.project_id}"
    job = await default_job(connection, "events")
    mixpanel.faults.add(429, RATE_LIMIT_BODY)
    mixpanel.faults.add(500, {"error": "internal error"})

    first = await drive(job)
    second = await drive(job)

    events = await records(admin, "event")
    assert len(events) == 5 and {e["name"] for e in events} == {"login"}
    assert first.outcome.records_read == second.outcome.records_read == 5
    windows = [r.query for r in mixpanel.requests if r.path == "/api/2.0/export"]
    assert len(set(windows)) == 4 and len(windows) >= 2 + 2 * 4  # 429, 500, 4 windows a run


async def test_incremental_export_starts_again_on_the_saved_day(
    admin: GraphQLClient, mixpanel: MixpanelFake
) -> None:
    seed(mixpanel, [40, 1, 0])
    connection = await connect(admin, mixpanel)
    job = await custom_job(
        admin,
        connection,
        "events",
        "mp_event",
        [("properties.$insert_id", "id", True), ("properties.distinct_id", "user", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    seed(mixpanel, [0], name="logout")
    second = await drive(job)

    assert saved_cursor(first.job) == NOW.date().isoformat()
    assert second.outcome.records_read == 2  # today's events: the one before, the new one
    assert len(await records(admin, "mp_event")) == 4
    last = [r for r in mixpanel.requests if r.path == "/api/2.0/export"][-1]
    assert f"from_date={NOW.date().isoformat()}" in last.query


async def test_refused_credentials_end_the_run_with_mixpanels_message(
    admin: GraphQLClient, mixpanel: MixpanelFake
) -> None:
    connection = await connect(admin, mixpanel)
    job = await default_job(connection, "events")
    mixpanel.faults.add(401, {"error": "Unable to authenticate request"}, times=2)
    with pytest.raises(SourceFailed, match="refused the credentials: Unable to authenticate"):
        await drive(job)


async def test_saving_with_a_service_account_of_another_project_is_refused(
    admin: GraphQLClient, mixpanel: MixpanelFake
) -> None:
    mixpanel.add_service_account("sa.other", "other-secret", project_ids={42})
    body = await admin.execute(
        """mutation ($input: CreateConnectionInput!) {
             createConnection(input: $input) { connection { id } userErrors { code message } } }""",
        input={
            "connectorKey": "MIXPANEL",
            "name": "Other project",
            "settings": {
                "project_id": mixpanel.project_id,
                "service_account_username": "sa.other",
                "service_account_secret": "other-secret",
            },
        },
    )
    errors = body["data"]["createConnection"]["userErrors"]
    assert errors[0]["code"] == "AUTHORIZATION_FAILED"
    assert "not a member of project" in errors[0]["message"]
