"""The one exception storage raises on purpose.

Callers (the cogs, the CLI) catch this to tell the user something went wrong with the database
without knowing which backend is behind the ``Store`` interface; driver errors are chained as
``__cause__`` so the log still shows what the backend said.
"""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked: schema too new, constraint violated, not open, etc."""
