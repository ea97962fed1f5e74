"""What both stores' group commits share: the one future a group's callers wait on, and their outcomes.

A group commit takes the writes that arrive while a commit is under way and commits them together in
the next transaction; each caller still returns only once the transaction holding its write is over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

# What became of one write of a group commit: (None, its result) if it is in the commit, else
# (the error that kept it out, None).
Outcome = tuple[BaseException | None, object]


class GroupCommit(asyncio.Future):  # type: ignore[type-arg]
    """The one future that every write of a group commit waits on: it resolves with all their
    outcomes once the transaction is over, a wake-up per waiting caller and no future of their own.

    A caller cancelled while it waits must not cancel the others' commit, so this future refuses
    ``cancel``: asyncio then cancels that caller as soon as the commit is over. Its write, already
    handed over, is stored all the same, as a cancelled write always was.
    """

    def cancel(self, msg: Any = None) -> bool:
        return False

    def abandon(self) -> None:
        """The commit itself was cancelled (the store is going away): every waiter is cancelled."""
        super().cancel()


def outcome_of(outcomes: Sequence[Outcome], index: int) -> object:
    """The result of write ``index`` of a group commit, or its error raised."""
    failure, result = outcomes[index]
    if failure is not None:
        raise failure
    return result
