"""A process-wide budget for the REST calls Discord counts against a bot's global rate limit.

Discord allows a bot 50 requests per second in all (interaction callbacks and followups are exempt) and
answers more with 429s; discord.py waits out a 429 and each route's own bucket, but nothing stops a bot
with hundreds of games from asking 120 times in one second. Every call that counts goes through one
``RestBudget`` first, so the bot spreads its sends instead of being refused: a burst of questions
that start together goes out over a few seconds rather than into a wall of 429s.

The budget is a generic cell rate: on average ``per_second`` calls a second, up to ``burst`` back to
back, first come first served (a waiting call holds its place). It knows nothing of Discord; its clock
and sleep are arguments so it is tested without waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from bot.config import DEFAULT_REST_PER_SECOND

P = ParamSpec("P")
R = TypeVar("R")

# Two back to back at most: any one second then holds at most REST_PER_SECOND + 2 calls, a margin under
# Discord's 50 for the jitter between here and Discord.
DEFAULT_REST_BURST = 2


class RestBudget:
    """At most ``per_second`` calls a second on average and ``burst`` at once; any one second holds at
    most ``per_second + burst`` of them."""

    def __init__(
        self,
        per_second: float = DEFAULT_REST_PER_SECOND,
        burst: int = DEFAULT_REST_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError(f"per_second must be more than 0, got {per_second!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.per_second = per_second
        self.burst = burst
        self._interval = 1.0 / per_second
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        # When the next call would go if calls were spaced evenly ("theoretical arrival time").
        self._next_at = float("-inf")
        # When the calls of the last second really went: a loop too busy to wake sleepers on time lets
        # turns bunch up, and this log keeps even those to the cap in any one second.
        self._cap = max(1, math.floor(per_second + burst))
        self._sent: deque[float] = deque()
        self.waited = 0  # calls that had to wait for their turn, for logs and benchmarks

    def backlog(self) -> float:
        """How many seconds a call asked for now would wait for its turn (without taking it)."""
        return max(self._next_at - self._tolerance - self._clock(), 0.0)

    def reserve(self) -> float:
        """Take the next turn; returns how many seconds from now it starts (0: at once)."""
        now = self._clock()
        due = max(self._next_at, now)
        self._next_at = due + self._interval
        return max(due - self._tolerance - now, 0.0)

    def window_wait(self) -> float:
        """How long a call would have to wait now so that no second holds more than the cap of calls."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        return 0.0 if len(self._sent) < self._cap else self._sent[0] + 1.0 - now

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            self.waited += 1
            await self._sleep(delay)
        while (late := self.window_wait()) > 0:
            await self._sleep(late)
        self._sent.append(self._clock())

    def wrap(self, call: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """``call``, each time after its turn."""

        async def budgeted(*args: P.args, **kwargs: P.kwargs) -> R:
            await self.acquire()
            return await call(*args, **kwargs)

        return budgeted
