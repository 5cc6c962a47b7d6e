"""`GET /metrics`: Prometheus text with HTTP, GraphQL, job, record, token, queue and
subscriber series, and nothing that identifies a tenant or carries a value."""

from __future__ import annotations

import time
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from models import events, metrics
from tests.conftest import GraphQLClient
from workers.queue import QUEUE_NAME


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_http_requests_are_counted_by_route_template(http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    await http.get("/healthz")
    await http.get(f"/no/such/{uuid.uuid4().hex}")
    after = await scrape(http)
    ok = {"method": "GET", "route": "/healthz", "status": "200"}
    assert (
        value(after, "connectors_http_requests_total", **ok)
        == value(before, "connectors_http_requests_total", **ok) + 1
    )
    missing = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "connectors_http_requests_total", **missing) >= 1
    timed = {"method": "GET", "route": "/healthz"}
    assert value(after, "connectors_http_request_duration_seconds_count", **timed) >= 1


async def test_graphql_operations_by_name_and_outcome(admin: GraphQLClient) -> None:
    name = f"Op{uuid.uuid4().hex[:8]}"
    await admin.data(f"query {name} {{ connectors {{ key }} }}")
    await admin.execute(f'query {name} {{ connection(id: "x") {{ nope }} }}')
    await admin.data(f"query {name} {{ connectors {{ key }} }}")
    samples = await scrape(admin.http)
    ok = {"type": "query", "operation": name, "outcome": "ok"}
    assert value(samples, "connectors_graphql_operations_total", **ok) == 2
    error = {"type": "query", "operation": name, "outcome": "error"}
    assert value(samples, "connectors_graphql_operations_total", **error) == 1
    timed = {"type": "query", "operation": name}
    assert value(samples, "connectors_graphql_operation_duration_seconds_count", **timed) == 3


async def test_client_chosen_operation_names_stay_bounded() -> None:
    from api.metrics import operation_label

    assert operation_label(None) == "anonymous"
    assert operation_label("drop table; --") == "invalid"
    assert operation_label("x" * 65) == "invalid"


async def test_queue_depth_is_read_from_redis_at_each_scrape(http: httpx.AsyncClient) -> None:
    arq = events.bus().redis  # the app's own Redis
    job_id = f"ops-test:{uuid.uuid4().hex}"
    await arq.zadd(QUEUE_NAME, {job_id: int(time.time() * 1000) - 1000})
    try:
        due = await arq.zcount(QUEUE_NAME, "-inf", int(time.time() * 1000))
        assert value(await scrape(http), "connectors_queue_depth") >= due >= 1
    finally:
        await arq.zrem(QUEUE_NAME, job_id)


async def test_worker_and_oauth_counters(http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    metrics.job_run_finished("succeeded", connector="ZENDESK", duration_seconds=1.5)
    metrics.records_loaded(7, connector="ZENDESK")
    metrics.records_loaded(0, connector="ZENDESK")
    metrics.token_refreshed("refused", connector="SFDC")
    after = await scrape(http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("connectors_job_runs_total", outcome="SUCCEEDED", connector="ZENDESK") == 1
    assert grew("connectors_job_run_duration_seconds_count", connector="ZENDESK") == 1
    assert grew("connectors_records_loaded_total", connector="ZENDESK") == 7
    assert grew("connectors_token_refreshes_total", outcome="refused", connector="SFDC") == 1


async def test_no_tenant_or_id_in_any_label(admin: GraphQLClient) -> None:
    await admin.data("query Mine { connections { totalCount } }")
    text = (await admin.http.get("/metrics")).text
    assert admin.tenant not in text
    assert admin.token not in text
