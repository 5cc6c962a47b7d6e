"""One rate budget per source account, shared by every job of a connection, in Redis.

Each request takes one unit of the connection's budget (`requests` per `seconds`, a fixed
window in Redis, so workers in other processes count against the same window). A 429 with
Retry-After pauses the whole connection, not just the request that met it: the other jobs of
that connection would only meet the same answer.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from models import events

PREFIX = "connections-hub:budget:"

# Count one request in a window; the key outlives its window a little, then goes.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Budget:
    """At most `requests` requests per `seconds` to one source account."""

    requests: int
    seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise ValueError("A budget needs at least one request in a positive window.")


class SharedBudget:
    def __init__(self, budget: Budget, account: str, redis: Redis | None = None) -> None:
        self.budget = budget
        self.key = PREFIX + account
        self.redis = redis or events.bus().redis

    async def take(self) -> None:
        """Wait until this connection may send one more request."""
        while True:
            await self._wait_out_pause()
            window_ms = max(1, int(self.budget.seconds * 1000))
            now_ms = int(time.time() * 1000)
            window = now_ms // window_ms
            count = await self.redis.eval(_COUNT, 1, f"{self.key}:{window}", window_ms * 2)
            if int(count) <= self.budget.requests:
                return
            await asyncio.sleep(((window + 1) * window_ms - now_ms) / 1000)

    async def pause(self, seconds: float) -> None:
        """Hold every request of this connection for `seconds` (the source said Retry-After)."""
        until = time.time() + seconds
        await self.redis.set(f"{self.key}:pause", str(until), px=max(1, int(seconds * 1000)))

    async def _wait_out_pause(self) -> None:
        raw = await self.redis.get(f"{self.key}:pause")
        if raw is None:
            return
        remaining = float(raw) - time.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
