"""Pausing Python's cycle collector around work that builds many long-lived objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector runs each time enough new container objects pile up, and walks every young
    (and, now and then, every) object again; building a pack's hundreds of thousands of values that all
    live on, it would do that again and again and find nothing. Nests safely: only the outermost pause
    turns the collector back on, and only if it was on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
