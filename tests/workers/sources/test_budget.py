"""One rate budget per connection in Redis, shared by every client of that connection."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from workers.sources.budget import Budget, SharedBudget


async def test_two_clients_of_one_connection_share_its_budget(app: Any) -> None:
    account = uuid.uuid4().hex
    first, second = (SharedBudget(Budget(4, 0.5), account) for _ in range(2))
    started = time.monotonic()
    await asyncio.gather(*(budget.take() for budget in (first, second) for _ in range(6)))
    # 12 requests at 4 per half second: the last ones wait for two more windows.
    assert time.monotonic() - started >= 1.0


async def test_other_connections_have_budgets_of_their_own(app: Any) -> None:
    started = time.monotonic()
    budgets = [SharedBudget(Budget(4, 5.0), uuid.uuid4().hex) for _ in range(3)]
    await asyncio.gather(*(budget.take() for budget in budgets for _ in range(4)))
    assert time.monotonic() - started < 1.0


async def test_a_pause_holds_every_client_of_the_connection(app: Any) -> None:
    account = uuid.uuid4().hex
    await SharedBudget(Budget(100), account).pause(0.4)
    started = time.monotonic()
    await SharedBudget(Budget(100), account).take()
    assert time.monotonic() - started >= 0.3
