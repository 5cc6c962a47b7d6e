"""Prometheus metrics of the connections hub, and the small calls that count them.

Every process counts into the default registry: the API serves it at `GET /metrics`, a worker
started with `connectors worker --metrics-port P` serves its own on that port. Labels are
bounded on purpose (outcomes, route templates, operation names, connector keys): never an id,
a tenant or a value.

Calls for the rest of the code (all cheap, all synchronous):

- `job_run_finished(outcome, connector=..., duration_seconds=...)`: a job run ended.
- `records_loaded(n, connector=...)`: n records were written by a run.
- `token_refreshed(outcome, connector=...)`: an OAuth token refresh ended.
- `subscriber_added()` / `subscriber_removed()`: a GraphQL subscription opened / closed.
- `queue_depth_read(n)`: what the scrape read from the arq queue.
- `http_request_finished(...)`, `graphql_operation_finished(...)`: used by `api/`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "connectors"
UNKNOWN = "unknown"

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests served, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to serve an HTTP request, by method and route template.",
    ["method", "route"],
)
GRAPHQL_OPERATIONS = Counter(
    f"{PREFIX}_graphql_operations",
    "GraphQL operations executed, by type, operation name and outcome (ok, error).",
    ["type", "operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    f"{PREFIX}_graphql_operation_duration_seconds",
    "Time to execute a GraphQL operation, by type and operation name.",
    ["type", "operation"],
)
JOB_RUNS = Counter(
    f"{PREFIX}_job_runs",
    "Job runs finished, by outcome (an activity status, or RETRIED) and connector.",
    ["outcome", "connector"],
)
JOB_DURATION = Histogram(
    f"{PREFIX}_job_run_duration_seconds",
    "Time a job run took, by connector.",
    ["connector"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
RECORDS_LOADED = Counter(
    f"{PREFIX}_records_loaded",
    "Records written by job runs, by connector.",
    ["connector"],
)
TOKEN_REFRESHES = Counter(
    f"{PREFIX}_token_refreshes",
    "OAuth token refreshes, by outcome (succeeded, refused, failed) and connector.",
    ["outcome", "connector"],
)
QUEUE_DEPTH = Gauge(
    f"{PREFIX}_queue_depth",
    "Jobs waiting in the arq queue, read from Redis at each scrape.",
)
SUBSCRIBERS = Gauge(
    f"{PREFIX}_subscribers",
    "Open GraphQL subscriptions in this process.",
)


def http_request_finished(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def graphql_operation_finished(
    kind: str, operation: str, ok: bool, seconds: float | None = None
) -> None:
    """`seconds` is None for subscriptions: their lifetime is not an execution time."""
    GRAPHQL_OPERATIONS.labels(kind, operation, "ok" if ok else "error").inc()
    if seconds is not None:
        GRAPHQL_DURATION.labels(kind, operation).observe(seconds)


def job_run_finished(
    outcome: str, *, connector: str = UNKNOWN, duration_seconds: float | None = None
) -> None:
    """A job run ended; `outcome` is its activity status (SUCCEEDED, FAILED, ...) or RETRIED."""
    JOB_RUNS.labels(str(outcome).upper(), connector).inc()
    if duration_seconds is not None:
        JOB_DURATION.labels(connector).observe(duration_seconds)


def records_loaded(n: int, *, connector: str = UNKNOWN) -> None:
    if n > 0:
        RECORDS_LOADED.labels(connector).inc(n)


def token_refreshed(outcome: str, *, connector: str = UNKNOWN) -> None:
    """A token refresh ended: `succeeded`, `refused` (needs reauthorization) or `failed`."""
    TOKEN_REFRESHES.labels(str(outcome).lower(), connector).inc()


def subscriber_added() -> None:
    SUBSCRIBERS.inc()


def subscriber_removed() -> None:
    SUBSCRIBERS.dec()


def queue_depth_read(n: int) -> None:
    QUEUE_DEPTH.set(n)
