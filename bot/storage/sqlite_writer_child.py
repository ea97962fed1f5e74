"""The writer process itself (see ``sqlite_writer.py`` for the bot's side): reads groups of writes
from its socket, runs each in one transaction on its own ``sqlite3`` connection, and replies with the
outcomes, until the bot goes away.

It imports no asyncio and nothing of the bot but what its writes need, so that it starts fast.
"""

from __future__ import annotations

import pickle
import signal
import socket
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from bot.storage.errors import StoreError

if TYPE_CHECKING:
    from bot.storage.groupcommit import Outcome

# Frames both ways: this many bytes of big-endian length, then a pickle.
HEADER_BYTES = 4
PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL

# What the child runs: it opens its connection with ``Connect``, runs each group with ``Apply``
# (one transaction, one outcome per write) and turns an error that fails a whole group into what
# the callers see with ``Failed``.
Connect = Callable[[], sqlite3.Connection]
Apply = Callable[[sqlite3.Connection, Sequence[Any]], "list[Outcome]"]
Failed = Callable[[BaseException], BaseException]


def serve(channel: socket.socket, connect: Connect, apply: Apply, failed: Failed) -> None:
    """The writer process: run each group it is sent, reply with the outcomes, until the bot goes."""
    # Ctrl-C in a terminal reaches the whole process group; the bot stops its games gracefully and
    # still needs its writer for that. SIGTERM keeps its default: multiprocessing sends it at exit
    # to a child of a store never closed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stream = channel.makefile("rwb")
    db: sqlite3.Connection | None = None
    unusable: BaseException | None = None
    try:
        db = connect()
    except Exception as exc:
        # Every group then fails saying why, rather than the bot seeing a process that died.
        unusable = failed(exc)
    try:
        while (frame := _read_frame(stream)) is not None:
            reply = unusable if db is None else _run_group(db, frame, apply, failed)
            stream.write(frame_of(reply))
            stream.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the bot is gone: nothing is waiting for the reply
    finally:
        if db is not None:
            db.close()


def _read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES:
        return None
    size = int.from_bytes(header, "big")
    payload = stream.read(size)
    return payload if len(payload) == size else None


def _run_group(db: sqlite3.Connection, frame: bytes, apply: Apply, failed: Failed) -> list[Outcome] | BaseException:
    try:
        return apply(db, pickle.loads(frame))
    except Exception as exc:
        return failed(exc)


def frame_of(reply: list[Outcome] | BaseException | None) -> bytes:
    try:
        payload = pickle.dumps(reply, protocol=PICKLE_PROTOCOL)
    except Exception:
        payload = pickle.dumps(_picklable(reply), protocol=PICKLE_PROTOCOL)
    return len(payload).to_bytes(HEADER_BYTES, "big") + payload


def _picklable(reply: list[Outcome] | BaseException | None) -> list[Outcome] | BaseException:
    """The reply with each result or error that does not pickle replaced by a ``StoreError`` saying so."""
    if not isinstance(reply, list):
        return StoreError(f"the database writer could not send back an error: {reply!r}")
    outcomes: list[Outcome] = []
    for outcome in reply:
        try:
            pickle.dumps(outcome, protocol=PICKLE_PROTOCOL)
        except Exception as exc:
            outcome = (StoreError(f"the database writer could not send back this write's outcome: {exc!r}"), None)
        outcomes.append(outcome)
    return outcomes
