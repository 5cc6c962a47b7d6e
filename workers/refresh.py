"""Token refresh in the worker: a sweep every minute, one refresh job per connection.

The sweep picks ACTIVE connections whose token expires within `token_refresh_margin_seconds`
and enqueues `refresh_connection` for each with the arq job id `refresh:<connection id>`, so a
connection never has two refresh jobs queued or running at once (and `models.tokens` holds a
Redis lock besides, for refreshes that data jobs start on a 401). The arq function is thin:
load by id, call `models.tokens.refresh`, retry with backoff what is transient.

Register with the worker: `functions += FUNCTIONS`, `cron_jobs += CRON_JOBS`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from arq import Retry, cron, func
from arq.connections import ArqRedis

from models import settings as config
from models import tokens
from models.lifecycle import ConnectionStatus
from models.services.activities import now
from models.tables import Connection
from workers.queue import QUEUE_NAME

MAX_TRIES = 5
log = structlog.get_logger(__name__)


def refresh_job_id(connection_id: str) -> str:
    return f"refresh:{connection_id}"


async def due_for_refresh() -> list[str]:
    margin = timedelta(seconds=config.current().token_refresh_margin_seconds)
    rows = await Connection.filter(
        status=ConnectionStatus.ACTIVE, token_expires_at__lte=now() + margin
    ).values_list("id", flat=True)
    return [str(row) for row in rows]


async def enqueue_refreshes(pool: ArqRedis, queue_name: str = QUEUE_NAME) -> int:
    """Enqueue one refresh per due connection; returns how many were newly queued."""
    queued = 0
    for connection_id in await due_for_refresh():
        job = await pool.enqueue_job(
            "refresh_connection",
            connection_id,
            _job_id=refresh_job_id(connection_id),
            _queue_name=queue_name,
        )
        queued += job is not None
    return queued


async def sweep_tokens(ctx: dict[str, Any]) -> int:
    return await enqueue_refreshes(ctx["redis"])


async def refresh_connection(ctx: dict[str, Any], connection_id: str) -> str:
    connection = await Connection.get_or_none(id=connection_id)
    if connection is None or connection.status is not ConnectionStatus.ACTIVE:
        return "skipped"
    try:
        await tokens.refresh(connection)
    except tokens.TokenUnavailable as exc:
        tries = int(ctx.get("job_try", 1))
        log.warning(
            "token refresh failed", connection_id=connection_id, tries=tries, error=str(exc)
        )
        if tries >= MAX_TRIES:
            return "gave up until the next sweep"
        raise Retry(defer=timedelta(seconds=5 * 2**tries)) from exc
    except tokens.ReauthorizationRequired:
        return "needs reauthorization"
    return "refreshed"


FUNCTIONS = [
    func(refresh_connection, name="refresh_connection", keep_result=0, max_tries=MAX_TRIES)
]
CRON_JOBS = [cron(sweep_tokens, name="token-refresh-sweep", second=0, run_at_startup=True)]
