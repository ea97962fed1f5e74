"""The SQLite store's group commits run by a process of their own: the writer process.

Why a process and not the thread the store otherwise uses: the ``sqlite3`` module releases the GIL
around each step of a statement but must take it back after every row of every ``executemany``, so
a database thread in the bot's process keeps waiting for the event loop to let go of the GIL, and
the loop for it. Under load the two share one core and commit latency swings with whoever wins.
A child process has its own interpreter, GIL and ``sqlite3`` connection to the same file; the event
loop only pickles each group's writes and unpickles their outcomes.

How the two talk: one socket pair, in frames (a 4-byte big-endian length, then a pickle). The bot
sends a group's writes (``functools.partial``s of module-level functions, which pickle by
reference) and the child runs them in one transaction and replies with their outcomes. Groups are
answered in the order they were sent, so several may be in flight. The bot's side never blocks: it
sends what the socket takes at once and the rest when the loop says the socket is writable, and it
reads replies with ``loop.add_reader``.

When a group goes: while fewer than ``GROUPS_IN_FLIGHT`` groups are in flight, as soon as it holds
``GROUP_WRITES`` writes or at the end of the event loop's pass; otherwise when a reply makes room.
An idle writer gets the first writes of a long pass while the loop produces the rest; a busy one
gets everything that arrived meanwhile as one transaction, as the thread writer does, rather than
many small ones, each a commit and a WAL append of every page it touches.

If the child dies (killed, out of memory), every write in flight fails with a ``StoreError`` (it
may or may not have been committed, as with a lost database connection), that is logged once, and
the next write starts a new child. A child whose bot is gone sees the end of its socket and exits.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import signal
import socket
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.storage.errors import StoreError
from bot.storage.groupcommit import GroupCommit, Outcome
from bot.storage.sqlite_writer_child import HEADER_BYTES, PICKLE_PROTOCOL, Apply, Connect, Failed, serve

log = logging.getLogger(__name__)

# How long ``close`` waits for the child to exit once its socket is closed, before killing it.
EXIT_WAIT_S = 5.0

# bench/engine.py on a shared 2-core machine: groups of 50, 100 and 200 writes, and 1, 2 or any number
# in flight, were alike within its noise in answers/s; 2 in flight had the lowest commit p50 (the
# writer starts on the next group while the loop reads the last reply). Sending at 100 writes even
# with no room in flight wrote twice the WAL per answer flat out (4.5 against 2.0 KiB) for no gain.
GROUP_WRITES = 100
GROUPS_IN_FLIGHT = 2

_RECEIVE_BYTES = 1 << 20


@dataclass
class _Sent:
    """A group handed to the child, waiting for its reply. ``positions`` are the places in the
    group of the writes that were sent (all, unless some would not pickle: those already have
    their failure in ``outcomes``)."""

    committed: GroupCommit
    outcomes: list[Outcome | None]
    positions: list[int] = field(default_factory=list)


class WriterProcess:
    """The bot's side of one writer process: hands it groups of writes and resolves each group's
    ``GroupCommit`` with the outcomes it sends back. Used only on the event loop's thread."""

    def __init__(self, path: str, connect: Connect, apply: Apply, failed: Failed, committed: Callable[[], None]):
        self._path = path
        self._child_runs = (connect, apply, failed)
        self._on_commit = committed
        self._process: Any = None  # a multiprocessing (spawn) Process while a child runs
        self._channel: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsent = bytearray()
        self._received = bytearray()
        self._in_flight: deque[_Sent] = deque()
        # The writes of the group being gathered, and the commit they will wait on.
        self._queued: list[Any] = []
        self._queued_commit: GroupCommit | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The running child's process id (for the benchmarks' CPU accounting), else None."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start a child now if none runs, so the first group does not wait for a new interpreter.

        Raises ``NotImplementedError``, before starting anything, on an event loop that cannot
        watch a socket (Windows' default loop).
        """
        if self._channel is not None:
            return
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        try:
            ours.setblocking(False)
            loop.add_reader(ours.fileno(), self._on_readable)
            try:
                # spawn, not fork: the bot has threads (aiosqlite's, the checkpointer) a fork would copy.
                process = multiprocessing.get_context("spawn").Process(
                    target=serve, args=(theirs, *self._child_runs), name="crate-digger-sqlite-writer", daemon=True
                )
                process.start()
            except BaseException:
                loop.remove_reader(ours.fileno())
                raise
        except BaseException:
            ours.close()
            raise
        finally:
            # Only the child may hold its end: our copy would keep us from seeing the end of the
            # socket when the child dies.
            theirs.close()
        self._loop, self._process, self._channel = loop, process, ours
        log.debug("started the database writer process %s for %s", process.pid, self._path)

    def add(self, write: Any) -> tuple[GroupCommit, int]:
        """Queue ``write`` for the next group: the commit it waits on and its place in the outcomes."""
        committed = self._queued_commit
        if committed is None:
            loop = asyncio.get_running_loop()
            committed = self._queued_commit = GroupCommit(loop=loop)
            loop.call_soon(self._end_of_pass, committed)
        self._queued.append(write)
        if len(self._queued) >= GROUP_WRITES and len(self._in_flight) < GROUPS_IN_FLIGHT:
            self.send_queued()
        return committed, len(self._queued) - 1

    def _end_of_pass(self, committed: GroupCommit) -> None:
        if self._queued_commit is committed and len(self._in_flight) < GROUPS_IN_FLIGHT:
            self.send_queued()

    def send_queued(self) -> None:
        """Send the group being gathered now, if it has any writes."""
        committed, writes = self._queued_commit, self._queued
        if committed is None:
            return
        self._queued_commit, self._queued = None, []
        self.submit(writes, committed)

    def submit(self, writes: Sequence[Any], committed: GroupCommit) -> None:
        """Send a group's writes to the child; ``committed`` gets their outcomes, in order."""
        sent = _Sent(committed, [None] * len(writes), list(range(len(writes))))
        if self._closed:
            self._resolve(sent, StoreError("the store is closed; call open() or use 'async with'"))
            return
        try:
            self.start()
        except Exception as exc:  # whatever stops a process starting (no memory, no processes left...)
            log.error("cannot start the database writer process for %s: %r", self._path, exc)
            self._resolve(sent, StoreError(f"cannot start the database writer process: {exc!r}"))
            return
        try:
            payload = pickle.dumps(list(writes), protocol=PICKLE_PROTOCOL)
        except Exception:
            payload = self._without_unpicklable(writes, sent)
        if writes and not sent.positions:
            self._resolve(sent, [])
            return
        self._in_flight.append(sent)
        self._send(len(payload).to_bytes(HEADER_BYTES, "big") + payload)

    def _without_unpicklable(self, writes: Sequence[Any], sent: _Sent) -> bytes:
        """The group's payload without the writes that do not pickle, which fail alone."""
        sent.positions = []
        sendable = []
        for position, write in enumerate(writes):
            try:
                pickle.dumps(write, protocol=PICKLE_PROTOCOL)
            except Exception as exc:
                sent.outcomes[position] = (StoreError(f"cannot hand this write to the database writer: {exc!r}"), None)
            else:
                sent.positions.append(position)
                sendable.append(write)
        return pickle.dumps(sendable, protocol=PICKLE_PROTOCOL)

    def _send(self, frame: bytes) -> None:
        assert self._channel is not None and self._loop is not None
        if self._unsent:
            self._unsent += frame
            return
        try:
            sent = self._channel.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._stopped()
            return
        if sent < len(frame):
            self._unsent += memoryview(frame)[sent:]
            self._loop.add_writer(self._channel.fileno(), self._on_writable)

    def _on_writable(self) -> None:
        assert self._channel is not None and self._loop is not None
        try:
            sent = self._channel.send(self._unsent)
        except BlockingIOError:
            return
        except OSError:
            self._stopped()
            return
        del self._unsent[:sent]
        if not self._unsent:
            self._loop.remove_writer(self._channel.fileno())

    def _on_readable(self) -> None:
        assert self._channel is not None
        try:
            data = self._channel.recv(_RECEIVE_BYTES)
        except BlockingIOError:
            return
        except OSError:
            self._stopped()
            return
        if not data:
            self._stopped()
            return
        received = self._received
        received += data
        start = 0
        while len(received) - start >= HEADER_BYTES:
            size = int.from_bytes(received[start : start + HEADER_BYTES], "big")
            end = start + HEADER_BYTES + size
            if len(received) < end:
                break
            try:
                reply = pickle.loads(memoryview(received)[start + HEADER_BYTES : end])
            except Exception as exc:
                reply = StoreError(f"the database writer sent back a reply that cannot be read: {exc!r}")
            start = end
            self._resolve(self._in_flight.popleft(), reply)
        del received[:start]
        if self._queued_commit is not None and len(self._in_flight) < GROUPS_IN_FLIGHT:
            self.send_queued()

    def _resolve(self, sent: _Sent, reply: list[Outcome] | BaseException) -> None:
        """Fill in the outcomes of the writes that were sent and wake the group's callers. ``reply``
        is the child's outcomes, in order, or the one error that failed the whole group."""
        if isinstance(reply, BaseException):
            for position in sent.positions:
                sent.outcomes[position] = (reply, None)
        else:
            for position, outcome in zip(sent.positions, reply, strict=True):
                sent.outcomes[position] = outcome
            if sent.positions:
                self._on_commit()
        if not sent.committed.done():
            sent.committed.set_result(sent.outcomes)

    def _stopped(self) -> None:
        """The child is gone: fail what is in flight, forget it, and let the next write start another."""
        process, channel, loop = self._process, self._channel, self._loop
        assert process is not None and channel is not None and loop is not None
        self._process = self._channel = None
        loop.remove_reader(channel.fileno())
        loop.remove_writer(channel.fileno())
        channel.close()
        self._unsent.clear()
        self._received.clear()
        in_flight, self._in_flight = self._in_flight, deque()
        failure = StoreError(
            f"the database writer process for {self._path} stopped, so this write may not have been stored"
        )
        for sent in in_flight:
            self._resolve(sent, failure)
        if self._queued_commit is not None:
            self.send_queued()  # never sent, so safe to hand to a new child
        # Logged once the process is reaped, to say how it ended; a child that closed its socket but
        # lives on (it never should) is killed so that it ends.
        if process.is_alive():
            process.kill()
        loop.add_reader(process.sentinel, self._reap, process, loop, len(in_flight))

    def _reap(self, process: Any, loop: asyncio.AbstractEventLoop, groups_failed: int) -> None:
        loop.remove_reader(process.sentinel)
        process.join()  # it has exited (its sentinel said so): this only collects its status
        log.error(
            "the database writer process for %s stopped (%s); %d group(s) of writes in flight failed, "
            "the next write starts a new one",
            self._path,
            _how_it_ended(process.exitcode),
            groups_failed,
        )
        process.close()

    async def close(self) -> None:
        """Wait for the groups in flight, then end the child (killed if it has not exited in ``EXIT_WAIT_S``)."""
        self.send_queued()
        while self._in_flight:  # groups sent meanwhile are waited for too
            self.send_queued()
            await asyncio.gather(*(sent.committed for sent in self._in_flight), return_exceptions=True)
        self._closed = True
        process, channel, loop = self._process, self._channel, self._loop
        if process is None or channel is None or loop is None:
            return
        self._process = self._channel = None
        loop.remove_reader(channel.fileno())
        loop.remove_writer(channel.fileno())
        channel.close()  # the child reads the end of its socket and exits
        await asyncio.to_thread(process.join, EXIT_WAIT_S)
        if process.exitcode is None:
            log.warning(
                "the database writer process for %s did not exit in %.0f s: killing it", self._path, EXIT_WAIT_S
            )
            process.kill()
            await asyncio.to_thread(process.join)
        process.close()
        log.debug("stopped the database writer process for %s", self._path)


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"
