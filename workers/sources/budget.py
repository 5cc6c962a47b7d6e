"""One rate budget per source account, shared by every job of a connection, in Redis.

Each request takes one unit of the connection's budget: at most `requests` in any sliding
window of `seconds` (a log of send times in a Redis sorted set, timed by the Redis clock, so
workers in other processes and on other machines count against the same window). A 429 with
Retry-After pauses the whole connection, not just the request that met it: the other jobs of
that connection would only meet the same answer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from models import events

PREFIX = "connections-hub:budget:"

# Admit one request if the window has room (answer 0), else answer the milliseconds until
# the oldest request in the window leaves it.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
"""


@dataclass(frozen=True)
class Budget:
    """At most `requests` requests in any `seconds` to one source account."""

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
        window_ms = max(1, int(self.budget.seconds * 1000))
        while True:
            await self._wait_out_pause()
            wait_ms = await self.redis.eval(
                _TAKE, 1, self.key, window_ms, self.budget.requests, uuid.uuid4().hex
            )
            if not int(wait_ms):
                return
            await asyncio.sleep(int(wait_ms) / 1000)

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
