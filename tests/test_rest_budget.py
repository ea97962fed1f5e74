import asyncio

import pytest

from bot.rest_budget import RestBudget


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


def test_a_burst_goes_at_once_and_the_rest_are_spaced_evenly():
    time = FakeTime()
    budget = RestBudget(10, burst=3, clock=time.clock, sleep=time.sleep)
    delays = [round(budget.reserve(), 3) for _ in range(6)]
    assert delays == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]
    assert round(budget.backlog(), 3) == 0.4  # what the next call would wait, not taken
    assert round(budget.reserve(), 3) == 0.4


def test_turns_come_back_as_time_passes_but_never_more_than_the_burst():
    time = FakeTime()
    budget = RestBudget(10, burst=2, clock=time.clock, sleep=time.sleep)
    assert [budget.reserve() for _ in range(2)] == [0.0, 0.0]
    time.now += 10  # a long quiet spell saves up no more than the burst
    delays = [round(budget.reserve(), 3) for _ in range(4)]
    assert delays == [0.0, 0.0, 0.1, 0.2]


@pytest.mark.parametrize(("per_second", "burst"), [(40, 5), (45, 1), (7.5, 3)])
def test_no_second_ever_holds_more_than_the_rate_plus_the_burst(per_second, burst):
    time = FakeTime()
    budget = RestBudget(per_second, burst=burst, clock=time.clock, sleep=time.sleep)
    starts = []
    for arrival in range(600):  # everything asked for within three seconds, then more later
        time.now = 100.0 + (arrival % 300) * 0.01 + (arrival // 300) * 20
        starts.append(time.now + budget.reserve())
    starts.sort()
    busiest = max(sum(1 for s in starts if begin <= s < begin + 1.0) for begin in starts)
    assert busiest <= per_second + burst


async def test_calls_wait_their_turn_in_order():
    time = FakeTime()
    budget = RestBudget(4, burst=1, clock=time.clock, sleep=time.sleep)
    order: list[int] = []

    async def call(number: int) -> int:
        order.append(number)
        return number

    send = budget.wrap(call)
    assert await asyncio.gather(*(send(n) for n in range(3))) == [0, 1, 2]
    assert order == [0, 1, 2]
    assert time.slept == [0.25, 0.5]
    assert budget.waited == 2


@pytest.mark.parametrize(("per_second", "burst"), [(0, 1), (-1, 1), (10, 0)])
def test_a_budget_that_allows_nothing_is_refused(per_second, burst):
    with pytest.raises(ValueError):
        RestBudget(per_second, burst=burst)


async def test_turns_that_bunch_up_behind_a_busy_loop_still_keep_to_the_cap_in_any_second():
    time = FakeTime()
    budget = RestBudget(4, burst=1, clock=time.clock, sleep=time.sleep)
    for _ in range(5):  # the cap: 4 a second + a burst of 1
        await budget.acquire()
        time.now += 0.01
    # Woken late, the next call finds five sends in the last second: it waits for the first to age out.
    time.now = 100.5
    assert round(budget.window_wait(), 3) == 0.5
    time.now = 101.0
    assert budget.window_wait() == 0.0
