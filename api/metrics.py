"""`GET /metrics` in Prometheus' text format, and the GraphQL extension that feeds it."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator

from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from models import logging as logs
from models import metrics
from models.errors import Unauthenticated
from workers.queue import QUEUE_NAME

QUEUE_READ_TIMEOUT = 1.0
# Operation names come from clients: only plain GraphQL names, and only so many distinct ones.
MAX_OPERATION_NAMES = 500
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_seen_names: set[str] = set()

logger = logs.get_logger("api.metrics")


async def metrics_endpoint(request: Request) -> Response:
    await _read_queue_depth(request)
    # Text format, or OpenMetrics when the scraper asks for it.
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(REGISTRY), headers={"content-type": content_type})


async def _read_queue_depth(request: Request) -> None:
    """Jobs due in the arq queue (waiting or running; not those deferred to later)."""
    redis = request.app.state.runtime.arq
    now_ms = int(time.time() * 1000)
    try:
        depth = await asyncio.wait_for(redis.zcount(QUEUE_NAME, "-inf", now_ms), QUEUE_READ_TIMEOUT)
    except (RedisError, OSError, TimeoutError) as exc:
        # The scrape still answers; the gauge keeps its last value and the log says why.
        logger.warning("queue depth unreadable", error=type(exc).__name__)
        return
    metrics.queue_depth_read(depth)


def operation_label(name: str | None) -> str:
    if name is None:
        return "anonymous"
    if not _NAME.fullmatch(name):
        return "invalid"
    if name not in _seen_names and len(_seen_names) >= MAX_OPERATION_NAMES:
        return "other"
    _seen_names.add(name)
    return name


class OperationMetrics(SchemaExtension):
    """Counts and times each operation by name and outcome, and binds the caller's tenant to
    the log lines of the operation."""

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        self.subscribed = False
        await self._bind_tenant()
        try:
            yield
        finally:
            self._count(time.perf_counter() - started)

    def on_execute(self) -> Iterator[None]:
        # api/subscriptions counts open subscriptions; here they only skip the duration.
        self.subscribed = self._kind() == OperationType.SUBSCRIPTION.value
        yield

    async def _bind_tenant(self) -> None:
        try:
            actor = await self.execution_context.context.actor()
        except Unauthenticated:
            return  # the resolvers answer UNAUTHENTICATED; this line just has no tenant
        logs.bind(tenant=actor.tenant, user=actor.user)

    def _kind(self) -> str:
        if self.execution_context.graphql_document is None:
            return "unknown"
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:
            return "unknown"

    def _count(self, seconds: float) -> None:
        context = self.execution_context
        result = context.result
        ok = not context.pre_execution_errors and not (result and result.errors)
        metrics.graphql_operation_finished(
            self._kind(),
            operation_label(context.operation_name),
            ok,
            None if self.subscribed else seconds,
        )
