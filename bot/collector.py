"""How often the cyclic garbage collector runs in the bot's process.

CPython collects its youngest generation after every 700 allocations (less frees) of container
objects, and every tenth of those collections walks the middle generation too. A busy bot holds, for
each game waiting on its commit, a chain of suspended coroutines, the events and the lists in flight:
with 1,000 busy games that is tens of thousands of young objects that are alive at every collection,
so each is walked, promoted and walked again before reference counting frees it a few milliseconds
later. Measured with ``bench/engine.py`` that was a third of the event loop's CPU. Collecting the
young generation after 50,000 allocations instead lets nearly all of them die first; the price is at
most that many young objects (a few MB) waiting for a collection, and cyclic garbage freed a little
later. The older generations keep CPython's ratios.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# Container allocations (less frees) between two collections of the youngest generation.
YOUNG_COLLECTION_EVERY = 50_000


@contextlib.contextmanager
def collecting_less_often() -> Iterator[None]:
    """Run the body with the young generation collected every ``YOUNG_COLLECTION_EVERY`` allocations,
    then put back the thresholds there were (the collector is process-wide, and tests share a process)."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
