"""SIGKILL at random points of real games: nothing announced is lost, the database stays sound.

A child process (``tests/crash_child.py``) plays games with the real ``Game``, ``GameSession`` and
``SqliteStore`` and logs every score the session announces; the test kills it with SIGKILL at a
random moment, again and again on the same database, then reopens the database and checks it. The
figures (kills, announcements, games cut short) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from bot.sharding import EVERY_SHARD
from bot.storage.sqlite import SqliteStore
from tests import crash_child

KILLS = 24
# The children only ever live this long, so a run stays within a few seconds of KILLS * 0.3 s.
LONGEST_LIFE = 0.35

pytestmark = pytest.mark.reliability


def read_announced(path: Path) -> tuple[list[tuple[int, str, int, int]], set[int]]:
    answers: list[tuple[int, str, int, int]] = []
    finished: set[int] = set()
    for line in path.read_text().splitlines():
        kind, game_id, *rest = line.split()
        if kind == "answer":
            question_id, user_id, points = rest
            answers.append((int(game_id), question_id, int(user_id), int(points)))
        elif kind == "over":
            finished.add(int(game_id))
    return answers, finished


def wait_for_the_writers_to_exit(path: Path) -> None:
    """A killed child's writer process ends its group commit, sees its socket closed and exits."""
    writers = [int(line.split()[1]) for line in path.read_text().splitlines() if line.startswith("writer ")]
    assert writers, "no child ran the writer process"
    deadline = time.monotonic() + 10
    for pid in writers:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # exited; only reaping by whoever adopted it is left


def test_sigkill_at_random_points_loses_nothing_announced(tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    announced = tmp_path / "announced.log"
    rng = random.Random(os.getpid())
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.crash_child"])

    for kill in range(KILLS):
        ready = context.Event()
        # Every other child commits in a writer process, as the bot does; the others on the thread.
        writer = "process" if kill % 2 else "thread"
        child = context.Process(target=crash_child.play, args=(str(database), str(announced), kill, ready, writer))
        child.start()
        assert ready.wait(20), "the child never opened the database"
        assert child.pid is not None
        # Anywhere from right after opening (the first writes) to a few games in.
        time.sleep(rng.uniform(0, LONGEST_LIFE))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL, f"kill {kill}: the child ended by itself ({child.exitcode})"

    wait_for_the_writers_to_exit(announced)
    answers, finished = read_announced(announced)
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = Counter(db.execute("SELECT game_id, question_id, user_id, points FROM answers").fetchall())
        missing = Counter(answers) - stored
        assert not missing, f"announced but not stored: {sorted(missing)[:5]}"
        unfinished = {game_id for (game_id,) in db.execute("SELECT id FROM games WHERE finished_at IS NULL")}
        assert not finished & unfinished, "a game's end was announced but it is not finished in storage"
        # Answers and totals are written in one transaction: a kill never leaves one without the other.
        totals = db.execute("SELECT user_id, points, answered FROM players ORDER BY user_id").fetchall()
        sums = db.execute(
            "SELECT user_id, SUM(points), COUNT(*) FROM answers GROUP BY user_id ORDER BY user_id"
        ).fetchall()
        assert totals == sums

    async def restart() -> int:
        async with SqliteStore(database) as store:
            return await store.close_interrupted_games(finished_at=2e9, started_before=2e9, scope=EVERY_SHARD)

    assert asyncio.run(restart()) == len(unfinished)
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT COUNT(*) FROM games WHERE finished_at IS NULL").fetchone() == (0,)
        interrupted = db.execute("SELECT COUNT(*) FROM games WHERE interrupted = 1").fetchone()[0]
    print(
        f"crash test: {KILLS} kills (every other child with the writer process), {len(answers)} answers and "
        f"{len(finished)} game ends announced, "
        f"all stored; {interrupted} games cut short and closed as interrupted at the restart"
    )
    # The kills really did land in the middle of play, not only between games or before any.
    assert answers and interrupted >= KILLS // 2
