"""One way to start: the API's lifespan, the worker's start-up and the CLI all call `startup`.

It opens the database, connects Redis (starting the embedded one when no URL is set),
installs the event bus and the arq dispatcher into the core, and `shutdown` undoes it.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis

import workers.sources  # noqa: F401  (every source registers its hooks with the core)
from models import db, dispatch, events
from models import logging as logs
from models.settings import Settings
from workers.embedded_redis import EmbeddedRedis
from workers.queue import ArqDispatcher


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    arq: ArqRedis
    redis_url: str
    embedded: EmbeddedRedis | None = None


def resolve_redis(settings: Settings) -> tuple[str, EmbeddedRedis | None]:
    if settings.redis_url:
        return settings.redis_url, None
    embedded = EmbeddedRedis(settings.data_dir).start()
    return embedded.url, embedded


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


async def startup(settings: Settings, *, migrate: bool = False) -> Runtime:
    logs.setup(settings)  # once per process; a no-op when the CLI set it up already
    if migrate:
        await db.migrate(settings)
    await db.init_db(settings)
    url, embedded = resolve_redis(settings)
    redis = Redis.from_url(url)
    pool = await create_pool(redis_settings(url))
    events.install(events.EventBus(redis))
    dispatch.install(ArqDispatcher(pool))
    # What start-up made (modules, the catalog, the ORM's models) lives as long as the process:
    # out of the cyclic collector's sight, full collections stay cheap while data jobs churn
    # through pages of decoded records (measured in bench/: about a quarter of the job's CPU).
    gc.freeze()
    return Runtime(settings=settings, redis=redis, arq=pool, redis_url=url, embedded=embedded)


async def shutdown(runtime: Runtime) -> None:
    await runtime.arq.aclose()
    await runtime.redis.aclose()
    await db.close_db()
    if runtime.embedded is not None:
        runtime.embedded.stop()
