"""How often the cyclic garbage collector runs in the bot's process, and where it is paused.

CPython collects its youngest generation after every 700 allocations (less frees) of container
objects, and every tenth of those collections walks the middle generation too. A busy bot holds, for
each game waiting on its commit, a chain of suspended coroutines, the events and the lists in flight:
with 1,000 busy games that is tens of thousands of young objects that are alive at every collection,
so each is walked, promoted and walked again before reference counting frees it a few milliseconds
later. Measured with ``bench/engine.py`` that was a third of the event loop's CPU. Collecting the
young generation after 5,000 allocations instead lets most of them die first; the price is at most
that many young objects waiting for a collection, and cyclic garbage freed a little later. The older
generations keep CPython's ratios, so a middle collection walks up to ten times the young threshold:
at 50,000 that was a 40 to 100 ms pause of the event loop (a button press waiting behind it, at 200
games), at 5,000 under 45 ms. The price is throughput: in ``bench/engine.py``, 1,000 flat-out games
cost 106 to 117 us of loop CPU per answer at 5,000 against 86 to 93 at 50,000 (122 at CPython's 700),
and a press answered in time is what players see.

A full collection walks every object the process tracks (those frozen at start-up aside: see
``bot/launcher.py``): with 1,000 games that is 51 to 74 ms, the longest pause left. CPython considers one
after every ten middle collections; the bot waits for a hundred. A full collection still comes only
once enough objects have been promoted since the last one (a quarter of the survivors), so it costs what
it did, ten times less often: in ``bench/engine.py`` the 5,000 answers/s phase had one in each of four
runs at ten (commit p99 33 to 102 ms) and in none of eight at a hundred (7.8 to 11.1 ms in four runs on a
steady machine, up to 73 ms in four while its speed moved a lot). The price is cyclic garbage that outlives two
collections waiting longer to be freed; a finished game leaves none (``tests/trivia/test_session.py``).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# Container allocations (less frees) between two collections of the youngest generation.
YOUNG_COLLECTION_EVERY = 5_000
# Collections of the middle generation before a full one is considered (CPython's default is 10).
FULL_COLLECTION_AFTER = 100


@contextlib.contextmanager
def collecting_less_often() -> Iterator[None]:
    """Run the body with the young generation collected every ``YOUNG_COLLECTION_EVERY`` allocations and
    a full collection considered after ``FULL_COLLECTION_AFTER`` middle ones, then put back the thresholds
    there were (the collector is process-wide, and tests share a process)."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, before[1], FULL_COLLECTION_AFTER)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cycle collector off: for work that builds many long-lived objects and no
    reference cycles (reading a pack, generating its questions). The collector runs each time enough
    new container objects pile up and walks every young (now and then every) object again; over a
    pack's hundreds of thousands of values it would do that again and again and find nothing.

    Nests: only the outermost pause turns the collector back on, and only if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
