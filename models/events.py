"""The event bus: every change of an activity or connection, published per tenant on Redis.

API processes subscribe to their tenants' channels and feed GraphQL subscriptions, so a
change made by any worker reaches every subscriber on any API process.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Literal

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

EventType = Literal["activity", "connection"]


@dataclass(frozen=True)
class Event:
    type: EventType
    tenant: str
    id: str
    connection_id: str | None = None
    job_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        return cls(**json.loads(raw))


def channel(tenant: str) -> str:
    return f"connections-hub:events:{tenant}"


class EventBus:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def publish(self, event: Event) -> None:
        await self.redis.publish(channel(event.tenant), event.to_json())

    @asynccontextmanager
    async def subscribe(self, tenant: str) -> AsyncIterator[AsyncIterator[Event]]:
        """The tenant's events, subscribed before the block starts: a caller can replay from
        the database inside the block and miss nothing published meanwhile."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(channel(tenant))
        try:
            yield _events(pubsub)
        finally:
            await pubsub.unsubscribe(channel(tenant))
            await pubsub.aclose()


async def _events(pubsub: PubSub) -> AsyncIterator[Event]:
    async for message in pubsub.listen():
        if message["type"] == "message":
            yield Event.from_json(message["data"])


_bus: list[EventBus] = []


def install(bus: EventBus) -> None:
    _bus[:] = [bus]


def bus() -> EventBus:
    if not _bus:
        raise RuntimeError("The event bus is not started; call workers.runtime.startup() first.")
    return _bus[0]


async def publish(event: Event) -> None:
    await bus().publish(event)


async def connection_changed(tenant: str, connection_id: object) -> None:
    """Tell subscribers a connection changed (status, authorization, settings, failure flag)."""
    await publish(
        Event(
            type="connection",
            tenant=tenant,
            id=str(connection_id),
            connection_id=str(connection_id),
        )
    )
