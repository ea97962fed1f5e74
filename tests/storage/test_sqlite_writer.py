"""The SQLite store's writer process: what only it can get wrong (the contract suite runs every other
behaviour against it too, as ``sqlite-writer-process``).

Each store here starts a writer process (about 0.1 s), so the tests share stores where they can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from functools import partial
from pathlib import Path

import pytest

from bot.storage import sqlite_writer
from bot.storage.base import Scope, ScoredAnswer
from bot.storage.errors import GameAlreadyRunning, StoreError
from bot.storage.groupcommit import outcome_of
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite_writer import WriterProcess
from bot.storage.sqlite_writes import ANSWER_ROW_FIELDS, GroupTransaction

GUILD = 1001
REPO = Path(__file__).resolve().parents[2]


def answer(user_id: int, correct: bool, question: str) -> ScoredAnswer:
    return ScoredAnswer(
        user_id=user_id,
        display_name=f"player{user_id}",
        question_id=question,
        correct=correct,
        points=1 if correct else 0,
        answered_at=1_000.0,
    )


# Writes defined here run in the writer process: module-level functions, so they pickle by reference.


def _connection_settings(transaction: GroupTransaction) -> dict[str, object]:
    return {
        name: transaction.db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("busy_timeout", "foreign_keys", "synchronous", "wal_autocheckpoint", "journal_size_limit")
    }


def _process_id(transaction: GroupTransaction) -> int:
    return os.getpid()


def _refuse(transaction: GroupTransaction) -> None:
    transaction.db.execute("UPDATE games SET mode = 'refused'")  # a change of its own to roll back
    raise ValueError("a write that refuses")


def _unpicklable_result(transaction: GroupTransaction) -> object:
    return lambda: None


async def run_write(store: SqliteStore, write: partial[object]) -> object:
    """White-box: run one write through the store's group commit and return its result."""
    committed, index = store._group_commit(write)
    return outcome_of(await committed, index)


def writer_pid(store: SqliteStore) -> int:
    writer = store._writer_process  # white-box: the running child
    assert writer is not None and writer.pid is not None
    return writer.pid


async def test_the_writer_process_commits_apart_with_the_stores_connection_settings(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "crate.db", writer="process") as store:
        assert await run_write(store, partial(_process_id)) == writer_pid(store) != os.getpid()
        writer_settings = await run_write(store, partial(_connection_settings))
        own = {}
        for name in writer_settings:  # type: ignore[union-attr]
            async with store._connection().execute(f"PRAGMA {name}") as cursor:
                row = await cursor.fetchone()
                assert row is not None
                own[name] = row[0]
    assert writer_settings == own
    assert own["foreign_keys"] == 1 and own["synchronous"] == 1 and own["busy_timeout"] > 0


async def test_a_database_in_memory_keeps_the_thread() -> None:
    async with SqliteStore(":memory:", writer="process") as store:
        assert store._writer_process is None
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(1, True, "q1")])
        stats = await store.player_stats(GUILD, 1)
    assert stats is not None and stats.points == 1


def test_an_event_loop_that_cannot_watch_a_socket_keeps_the_thread(tmp_path: Path) -> None:
    class NoReaders(asyncio.SelectorEventLoop):  # as Windows' default loop
        def add_reader(self, *arguments: object) -> None:
            raise NotImplementedError

    async def play() -> tuple[str, int | None]:
        async with SqliteStore(tmp_path / "crate.db", writer="process") as store:
            game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
            await store.record_answers(game, GUILD, [answer(1, True, "q1")])
            stats = await store.player_stats(GUILD, 1)
            return store.writer, stats.points if stats else None

    loop = NoReaders()
    try:
        assert loop.run_until_complete(play()) == ("thread", 1)
    finally:
        loop.close()


def test_an_unknown_writer_is_refused() -> None:
    with pytest.raises(ValueError, match="writer must be 'thread' or 'process'"):
        SqliteStore("crate.db", writer="fork")  # type: ignore[arg-type]


def test_a_write_carries_an_answer_field_for_field() -> None:
    assert ANSWER_ROW_FIELDS == ScoredAnswer._fields  # the store copies one into the other by position


def test_game_already_running_survives_a_pickle() -> None:
    error = pickle.loads(pickle.dumps(GameAlreadyRunning(1, 2, 3)))
    assert isinstance(error, GameAlreadyRunning)
    assert (error.guild_id, error.channel_id, error.game_id) == (1, 2, 3)
    assert str(error) == str(GameAlreadyRunning(1, 2, 3))


async def test_groups_in_flight_apply_in_arrival_order_and_errors_cross_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small groups in flight at once (a group is sent every 3 writes) keep arrival order across
    groups: one player's right answers and misses alternate, and the streaks come out as that order
    gives. Each kind of error a write can meet crosses back to its own caller alone."""
    monkeypatch.setattr(sqlite_writer, "GROUP_WRITES", 3)
    monkeypatch.setattr(sqlite_writer, "GROUPS_IN_FLIGHT", 100)
    most_in_flight = 0
    submit = WriterProcess.submit

    def counting(writer: WriterProcess, *arguments: object) -> None:
        nonlocal most_in_flight
        submit(writer, *arguments)  # type: ignore[arg-type]
        most_in_flight = max(most_in_flight, len(writer._in_flight))

    monkeypatch.setattr(WriterProcess, "submit", counting)
    async with SqliteStore(tmp_path / "crate.db", writer="process") as store:
        first = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        second = await store.start_game(GUILD, 2, "pack", "classic", 1.0)
        calls = []
        expected_current = expected_best = 0
        for n in range(60):
            if n % 7 == 6:
                calls.append(store.record_answers(second, GUILD, [], missed=[7]))
                expected_current = 0
            else:
                calls.append(store.record_answers(first, GUILD, [answer(7, True, f"q{n}")]))
                expected_current += 1
                expected_best = max(expected_best, expected_current)
        failing = [
            store.start_game(GUILD, 1, "pack", "classic", 2.0),  # the channel runs a game
            store.finish_game(first + 99, GUILD, 2.0, [], False),  # no such game
            run_write(store, partial(_refuse)),
            run_write(store, partial(_unpicklable_result)),
            run_write(store, partial(lambda transaction: None)),  # does not pickle
        ]
        tasks = [asyncio.ensure_future(call) for call in [*calls[:30], *failing, *calls[30:]]]
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        stats = await store.player_stats(GUILD, 7)
        modes = await store._connection().execute_fetchall("SELECT DISTINCT mode FROM games")

    assert outcomes[:30] + outcomes[35:] == [None] * 60
    running, missing, refused, unsent, unpicklable = outcomes[30:35]
    assert isinstance(running, GameAlreadyRunning) and (running.channel_id, running.game_id) == (1, first)
    assert isinstance(missing, StoreError) and f"no game {first + 99}" in str(missing)
    assert isinstance(refused, ValueError) and "refuses" in str(refused)
    assert isinstance(unsent, StoreError) and "send back" in str(unsent)
    assert isinstance(unpicklable, StoreError) and "cannot hand this write" in str(unpicklable)
    assert stats is not None
    assert (stats.answered, stats.current_streak, stats.best_streak) == (52, expected_current, expected_best)
    assert [tuple(row) for row in modes] == [("classic",)]  # the refusing write's change was rolled back
    assert most_in_flight >= 10


async def test_the_writer_killed_with_writes_in_flight_fails_them_once_and_the_next_write_starts_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sqlite_writer, "GROUP_WRITES", 10)
    monkeypatch.setattr(sqlite_writer, "GROUPS_IN_FLIGHT", 10)
    path = tmp_path / "crate.db"
    async with SqliteStore(path, writer="process") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        killed = writer_pid(store)
        # Another connection holds the write lock, so the writer waits on it with every group in flight.
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            with caplog.at_level(logging.ERROR, logger="bot.storage.sqlite_writer"):
                in_flight = [
                    asyncio.ensure_future(store.record_answers(game, GUILD, [answer(user, True, "q1")]))
                    for user in range(100)
                ]
                await asyncio.sleep(0.05)  # sent, in ten groups
                os.kill(killed, signal.SIGKILL)
                outcomes = await asyncio.gather(*in_flight, return_exceptions=True)
                for _ in range(500):  # the death is logged once the process is reaped: soon after
                    if caplog.records:
                        break
                    await asyncio.sleep(0.01)
            holder.execute("ROLLBACK")
        assert all(isinstance(error, StoreError) and "writer process" in str(error) for error in outcomes)
        assert [record.getMessage() for record in caplog.records] == [
            f"the database writer process for {store.path} stopped (killed by SIGKILL); "
            "10 group(s) of writes in flight failed, the next write starts a new one"
        ]

        await store.record_answers(game, GUILD, [answer(500, True, "q2")])  # a new child
        assert writer_pid(store) != killed
        stats = await store.player_stats(GUILD, 500)
        stored = [await store.player_stats(GUILD, user) for user in range(100)]
    assert stats is not None and stats.points == 1
    assert stored == [None] * 100


async def test_writes_waiting_for_room_when_the_writer_dies_go_to_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two groups in flight (and the write lock held elsewhere, so they stay there); the writes that
    arrive meanwhile wait for room. The writer dies: the two groups fail, the waiting writes, never
    sent, are committed by the next writer."""
    monkeypatch.setattr(sqlite_writer, "GROUP_WRITES", 5)
    monkeypatch.setattr(sqlite_writer, "GROUPS_IN_FLIGHT", 2)
    path = tmp_path / "crate.db"
    async with SqliteStore(path, writer="process") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            calls = [
                asyncio.ensure_future(store.record_answers(game, GUILD, [answer(user, True, "q1")]))
                for user in range(30)
            ]
            await asyncio.sleep(0.05)
            assert len(store._writer_process._in_flight) == 2  # type: ignore[union-attr]
            os.kill(writer_pid(store), signal.SIGKILL)
            await asyncio.wait(calls[:10])
            holder.execute("ROLLBACK")
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        stored = [await store.player_stats(GUILD, user) for user in range(30)]
    assert all(isinstance(outcome, StoreError) for outcome in outcomes[:10])
    assert outcomes[10:] == [None] * 20
    assert [found is not None for found in stored] == [False] * 10 + [True] * 20


async def test_a_writer_that_cannot_start_fails_its_writes_with_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with SqliteStore(tmp_path / "crate.db", writer="process") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        os.kill(writer_pid(store), signal.SIGKILL)
        with contextlib.suppress(StoreError):  # in flight when it died, or the first to find it gone
            await store.record_answers(game, GUILD, [answer(1, True, "q1")])

        def no_more_processes(self: object) -> None:
            raise BlockingIOError(11, "Resource temporarily unavailable")

        monkeypatch.setattr("multiprocessing.process.BaseProcess.start", no_more_processes)
        for _ in range(100):  # the old child's death noticed, so the next write starts another
            if store._writer_process._channel is None:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.01)
        with caplog.at_level(logging.ERROR, logger="bot.storage.sqlite_writer"):
            with pytest.raises(StoreError, match="cannot start the database writer process"):
                await store.record_answers(game, GUILD, [answer(2, True, "q1")])
        assert any("cannot start" in record.getMessage() for record in caplog.records)
        monkeypatch.undo()
        await store.record_answers(game, GUILD, [answer(3, True, "q1")])  # and the next write tries again
        assert await store.player_stats(GUILD, 3) is not None


async def test_close_waits_for_the_writes_in_flight_then_ends_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    store = SqliteStore(path, writer="process")
    await store.open()
    game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
    child = writer_pid(store)
    calls = [
        asyncio.ensure_future(store.record_answers(game, GUILD, [answer(user, True, "q1")])) for user in range(300)
    ]
    await asyncio.sleep(0)
    await store.close()
    assert all(call.done() and call.exception() is None for call in calls)
    assert not _alive(child)
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 300
    with pytest.raises(StoreError, match="not open"):
        await store.record_answers(game, GUILD, [answer(1, True, "q2")])


async def test_writes_on_both_connections_interleave_without_losing_any(tmp_path: Path) -> None:
    """Seasons end on the store's own connection while answers commit in the writer process: SQLite's
    write lock orders them, every answer is stored once, and each lands in one season or the next."""
    async with SqliteStore(tmp_path / "crate.db", writer="process") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        calls = []
        for n in range(200):
            calls.append(store.record_answers(game, GUILD, [answer(n % 10, True, f"q{n}")]))
            if n % 50 == 25:
                calls.append(store.end_season(GUILD, 1 + n // 50, float(n)))
        await asyncio.gather(*calls)
        players = await store.standings(GUILD, Scope(), limit=100)
        by_season = [await store.standings(GUILD, Scope(season=season), limit=100) for season in (1, 2, 3, 4, 5)]
    assert sum(row.points for row in players) == 200
    assert sum(row.points for rows in by_season for row in rows) == 200


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaping is left


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the child go")
@pytest.mark.parametrize("ending", ["exits without closing", "is killed"])
def test_a_bot_that_goes_without_closing_leaves_no_writer_behind(tmp_path: Path, ending: str) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from bot.storage.sqlite import SqliteStore

        async def main():
            store = SqliteStore({str(tmp_path / "crate.db")!r}, writer="process")
            await store.open()
            await store.start_game(1, 1, "pack", "classic", 1.0)
            print(store._writer_process.pid, flush=True)
            if {ending == "is killed"!r}:
                time.sleep(60)

        asyncio.run(main())
        """
    )
    bot = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert bot.stdout is not None
        child = int(bot.stdout.readline())
        if ending == "is killed":
            bot.kill()
        bot.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(child)
    finally:
        bot.kill()
        bot.wait()
