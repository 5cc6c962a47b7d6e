"""Data jobs as an admin sees them: a Salesforce connection becomes ACTIVE with its
out-of-the-box jobs, `runJob` is carried out by a real `connectors worker` process against
the Salesforce fake, and `records(object:)` lists what was loaded, once, however often it runs."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from models.settings import ConnectorOverrides, Settings
from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.server import FakeServer
from tests.workers.jobs import FINISHED, run, status_is
from tests.workers.live import eventually
from tests.workers.process import WorkerProcess, running_worker
from tests.workers.sources.conftest import activate_oauth, create_connection

JOBS = """
query ($id: ID!) { connection(id: $id) { status jobs { nodes {
  id name sourceObject destinationObject builtIn fieldMappings { source target key } } } } }"""
RECORDS = 'query { records(object: "company", first: 50) { totalCount nodes } }'
CREATE_JOB = """
mutation ($input: CreateJobInput!) {
  createJob(input: $input) { job { id } userErrors { code } } }"""


@pytest.fixture(scope="module")
def salesforce(settings: Settings) -> Iterator[SalesforceFake]:
    # The fake's standard Account and Contact fields are what the built-in jobs map.
    fake = SalesforceFake(client_id="sfdc-client", client_secret="sfdc-secret")
    fake.batch_size = 3
    saved = settings.connectors.get("SFDC")
    with FakeServer(fake.app) as server:
        # Before the worker starts: it reads the overrides from its environment.
        settings.connectors["SFDC"] = ConnectorOverrides(
            **{
                **(saved.model_dump() if saved else {}),
                "api_url": server.url,
                "token_url": server.url + "/services/oauth2/token",
            }
        )
        yield fake
    if saved is not None:
        settings.connectors["SFDC"] = saved


@pytest.fixture(scope="module")
def worker(
    app: Any,
    salesforce: SalesforceFake,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    log = Path(tmp_path_factory.mktemp("data-jobs")) / "worker.log"
    with running_worker(settings, log) as process:
        yield process


async def authorized(admin: GraphQLClient, fake: SalesforceFake) -> Connection:
    connection = await create_connection(admin, "SFDC", {"environment": "production"})
    tokens = fake.oauth.issue_tokens(scope="api refresh_token")
    values = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token or ""}
    return await activate_oauth(connection, values)


async def finished(admin: GraphQLClient, job_id: str) -> dict[str, Any]:
    queued = await run(admin, job_id)
    return await eventually(partial(status_is, admin, queued["id"], *FINISHED), timeout=30)


async def test_an_active_connection_has_its_default_jobs(
    admin: GraphQLClient, salesforce: SalesforceFake
) -> None:
    connection = await authorized(admin, salesforce)
    data = await admin.data(JOBS, id=str(connection.id))
    jobs = {j["name"]: j for j in data["connection"]["jobs"]["nodes"]}
    assert data["connection"]["status"] == "ACTIVE"
    assert set(jobs) == {"Salesforce accounts", "Salesforce contacts"}
    accounts = jobs["Salesforce accounts"]
    assert (accounts["sourceObject"], accounts["destinationObject"]) == ("Account", "company")
    assert accounts["builtIn"] is True
    assert {"source": "Id", "target": "external_id", "key": True} in accounts["fieldMappings"]


async def test_run_job_loads_records_once_however_often_it_runs(
    admin: GraphQLClient, salesforce: SalesforceFake, worker: WorkerProcess
) -> None:
    salesforce.objects["Account"].records.clear()
    salesforce.add_records(
        "Account", [{"Name": f"Acme {i}", "Website": f"https://acme{i}.io"} for i in range(7)]
    )
    connection = await authorized(admin, salesforce)
    data = await admin.data(JOBS, id=str(connection.id))
    job = next(j for j in data["connection"]["jobs"]["nodes"] if j["sourceObject"] == "Account")

    first = await finished(admin, job["id"])
    second = await finished(admin, job["id"])

    assert first["status"] == second["status"] == "SUCCEEDED", (first, second)
    assert (first["recordsRead"], first["recordsWritten"], first["recordsFailed"]) == (7, 7, 0)
    assert "Read 7 Account records from Salesforce" in first["message"]
    page = (await admin.data(RECORDS))["records"]
    assert page["totalCount"] == 7
    assert sorted(r["name"] for r in page["nodes"]) == [f"Acme {i}" for i in range(7)]
    assert {r["website"] for r in page["nodes"]} == {f"https://acme{i}.io" for i in range(7)}


async def test_records_that_cannot_be_mapped_make_a_partial_success(
    admin: GraphQLClient, salesforce: SalesforceFake, worker: WorkerProcess
) -> None:
    salesforce.objects["Account"].records.clear()
    salesforce.add_records("Account", [{"Name": "Has site", "Website": "https://x.io"}])
    salesforce.add_records("Account", [{"Name": "No site"}])
    connection = await authorized(admin, salesforce)
    payload = await admin.data(
        CREATE_JOB,
        input={
            "connectionId": str(connection.id),
            "name": "Accounts by website",
            "sourceObject": "Account",
            "destinationObject": "site",
            "fieldMappings": [{"source": "Website", "target": "url", "key": True}],
        },
    )
    done = await finished(admin, payload["createJob"]["job"]["id"])

    assert done["status"] == "PARTIAL_SUCCESS", done
    assert (done["recordsRead"], done["recordsWritten"], done["recordsFailed"]) == (2, 1, 1)
    assert "the key field 'Website' is missing" in str(done["details"]) + done["message"]
