"""The group commit's writes and the transaction that runs them: the code that runs where a
``SqliteStore``'s game writes are committed, on aiosqlite's thread or in the writer process.

Kept apart from ``sqlite.py`` and free of asyncio, aiosqlite and the storage dataclasses (writes carry
plain tuples), so that the writer process (``sqlite_writer.py``) starts by importing only this.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.storage.errors import GameAlreadyRunning, StoreError

if TYPE_CHECKING:
    from bot.storage.groupcommit import Outcome

log = logging.getLogger(__name__)


# A ``ScoredAnswer`` as a write carries it: a plain tuple of these fields, in this order. Plain, because
# pickling a named tuple calls back into Python for every row (``__getnewargs__``) and unpickling it
# needs its class: a plain tuple crosses to the writer process at C speed and imports nothing.
ANSWER_ROW_FIELDS = ("user_id", "display_name", "question_id", "correct", "points", "answered_at")
AnswerRow = tuple[int, str, str, bool, int, float]

# What ``finish_game`` stores of a ``PlayerResult``, the same way.
ResultRow = tuple[int, str, bool]  # user_id, display_name, won


# Past this many pages of WAL (10 MB at the 1 KiB pages of a database made since they became the
# default, 40 MB at the 4 KiB of one made before) the committing connection checkpoints by itself,
# as SQLite does by default at 1,000: a backstop for when the background checkpointer falls behind
# (a reader in another process pinning the log, a slow disk), paid for by that one commit. Under
# steady load it is also what starts the log over (each passive checkpoint ends with newer commits
# already behind it); at 1 KiB pages, 40,000 pages instead wrote no fewer bytes in bench/engine.py.
WAL_BACKSTOP_PAGES = 10_000

# The season a guild is in: the one after its last ended season.
_CURRENT_SEASON_SQL = "SELECT COALESCE(MAX(number), 0) + 1 FROM seasons WHERE guild_id = ?"
_RUNNING_GAME_SQL = "SELECT id FROM games WHERE guild_id = ? AND channel_id = ? AND finished_at IS NULL"

# A streak already at 0 is left alone: rewriting the row would dirty its page for nothing, and most
# misses find it there (anyone who missed the last question too).
_MISS_SQL = "UPDATE players SET current_streak = 0 WHERE guild_id = ? AND user_id = ? AND current_streak <> 0"
_ANSWER_SQL = (
    "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at, season)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# In an UPDATE SQLite evaluates every right-hand side against the row as it was before, so
# best_streak sees the old current_streak and recomputes the new one.
_PLAYER_ANSWERED_SQL = """
    INSERT INTO players
        (guild_id, user_id, display_name, points, correct, answered, current_streak, best_streak)
    VALUES (?, ?, ?, ?, ?, 1, ?, ?)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        display_name = excluded.display_name,
        points = points + excluded.points,
        correct = correct + excluded.correct,
        answered = answered + 1,
        current_streak = CASE WHEN excluded.correct THEN current_streak + 1 ELSE 0 END,
        best_streak = max(best_streak, CASE WHEN excluded.correct THEN current_streak + 1 ELSE 0 END)
"""


class GroupTransaction:
    """What the writes of one group commit share on the database thread: the connection, and each
    guild's current season, read once per transaction (no ``end_season`` can run inside it)."""

    __slots__ = ("db", "_seasons")

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._seasons: dict[int, int] = {}

    def season(self, guild_id: int) -> int:
        season = self._seasons.get(guild_id)
        if season is None:
            (season,) = self.db.execute(_CURRENT_SEASON_SQL, (guild_id,)).fetchone()
            self._seasons[guild_id] = season
        return season


def connection_settings(busy_timeout_ms: int, wal: bool) -> list[str]:
    """The per-connection settings of every connection that writes the file: the store's own, and
    its writer process's."""
    settings = [
        f"PRAGMA busy_timeout = {busy_timeout_ms:d}",
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = NORMAL",
    ]
    if wal:
        settings += [
            f"PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES:d}",
            # The log file is reused from its start after each full checkpoint; this also gives
            # back the disk space of a log that grew past the backstop (at 4 KiB pages, the largest
            # a Crate Digger database has).
            f"PRAGMA journal_size_limit = {WAL_BACKSTOP_PAGES * 4096:d}",
        ]
    return settings


def connect_writer(path: str, busy_timeout_ms: int, wal: bool) -> sqlite3.Connection:
    """The writer process's connection (made in that process): set up as the store's own."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for setting in connection_settings(busy_timeout_ms, wal):
            db.execute(setting)
    except BaseException:
        db.close()
        raise
    return db


def apply_in_one_transaction(
    db: sqlite3.Connection, writes: Sequence[Callable[[GroupTransaction], object]]
) -> list[Outcome]:
    """Runs on the database thread or in the writer process: every write in one transaction, committed once.

    Returns each write's outcome. The writes run one after the other, as they are; only if one of
    them raises is that rolled back and the group run again with each write in a savepoint of its
    own, so that the failing one is rolled back alone. A savepoint around every write of every
    commit would cost two more statements and a copy of each page the write changes, for a failure
    that hardly ever comes. An error the transaction cannot survive (the commit itself, a full disk)
    rolls everything back and is raised, failing every write.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        try:
            transaction = GroupTransaction(db)
            outcomes: list[Outcome] = [(None, write(transaction)) for write in writes]
        except Exception:
            _rollback_quietly(db)
            db.execute("BEGIN IMMEDIATE")
            outcomes = _each_in_a_savepoint(db, writes)
        db.execute("COMMIT")
    except BaseException:
        _rollback_quietly(db)
        raise
    return outcomes


def _each_in_a_savepoint(
    db: sqlite3.Connection, writes: Sequence[Callable[[GroupTransaction], object]]
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    transaction = GroupTransaction(db)
    for write in writes:
        db.execute("SAVEPOINT queued_write")
        try:
            result = write(transaction)
        except Exception as exc:
            db.execute("ROLLBACK TO queued_write")
            db.execute("RELEASE queued_write")
            outcomes.append((write_failed(exc), None))
        else:
            db.execute("RELEASE queued_write")
            outcomes.append((None, result))
    return outcomes


def _rollback_quietly(db: sqlite3.Connection) -> None:
    # Some errors (a full disk, an I/O error) make SQLite roll the transaction back by itself.
    if not db.in_transaction:
        return
    try:
        db.execute("ROLLBACK")
    except sqlite3.Error:
        log.exception("rollback failed")


def nothing(transaction: GroupTransaction) -> None:
    """A write that writes nothing: its transaction proves the connection can take the write lock."""


def start_game(
    guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float, transaction: GroupTransaction
) -> int:
    try:
        cursor = transaction.db.execute(
            "INSERT INTO games (guild_id, channel_id, pack_id, mode, started_at) VALUES (?, ?, ?, ?, ?)",
            (guild_id, channel_id, pack_id, mode, started_at),
        )
    except sqlite3.IntegrityError as exc:
        # The only unique key a new game can collide with: the channel's running game.
        if exc.sqlite_errorname != "SQLITE_CONSTRAINT_UNIQUE":
            raise
        (running,) = transaction.db.execute(_RUNNING_GAME_SQL, (guild_id, channel_id)).fetchone()
        raise GameAlreadyRunning(guild_id, channel_id, running) from exc
    if cursor.lastrowid is None:
        raise StoreError("inserting the game did not produce an id")
    return cursor.lastrowid


def record_asked(
    guild_id: int,
    pack_id: str,
    question_ids: Sequence[str],
    asked_at: float,
    starts_over: bool,
    transaction: GroupTransaction,
) -> None:
    db = transaction.db
    if starts_over:
        db.execute("DELETE FROM asked_questions WHERE guild_id = ? AND pack_id = ?", (guild_id, pack_id))
    db.executemany(
        "INSERT OR IGNORE INTO asked_questions (guild_id, pack_id, question_id, asked_at) VALUES (?, ?, ?, ?)",
        [(guild_id, pack_id, question_id, asked_at) for question_id in question_ids],
    )


def record_answers(
    game_id: int,
    guild_id: int,
    answers: Sequence[AnswerRow],
    missed: Sequence[int],
    transaction: GroupTransaction,
) -> None:
    db = transaction.db
    # No row means no streak to end, so a miss never creates a player.
    if missed:
        db.executemany(_MISS_SQL, [(guild_id, user_id) for user_id in missed])
    if not answers:
        return
    # Read inside the write transaction, so an end_season cannot slip between this and the inserts.
    season = transaction.season(guild_id)
    db.executemany(
        _ANSWER_SQL,
        [
            (game_id, guild_id, user_id, question_id, correct, points, answered_at, season)
            for user_id, _, question_id, correct, points, answered_at in answers
        ],
    )
    db.executemany(
        _PLAYER_ANSWERED_SQL,
        [
            (guild_id, user_id, display_name, points, int(bool(correct)), int(bool(correct)), int(bool(correct)))
            for user_id, display_name, _, correct, points, _ in answers
        ],
    )


def finish_game(
    game_id: int,
    guild_id: int,
    finished_at: float,
    results: Sequence[ResultRow],
    stopped: bool,
    transaction: GroupTransaction,
) -> None:
    db = transaction.db
    closed_now = (
        db.execute(
            "UPDATE games SET finished_at = ?, stopped = ? WHERE id = ? AND guild_id = ? AND finished_at IS NULL",
            (finished_at, int(bool(stopped)), game_id, guild_id),
        ).rowcount
        == 1
    )
    if not closed_now:
        if db.execute("SELECT 1 FROM games WHERE id = ? AND guild_id = ?", (game_id, guild_id)).fetchone() is None:
            raise StoreError(f"there is no game {game_id} in guild {guild_id}")
        log.warning("game %s in guild %s was already finished; not counting it again", game_id, guild_id)
        return
    db.executemany(
        """
        INSERT INTO players (guild_id, user_id, display_name, games, wins)
        VALUES (?, ?, ?, 1, ?)
        ON CONFLICT (guild_id, user_id) DO UPDATE SET
            display_name = excluded.display_name,
            games = games + 1,
            wins = wins + excluded.wins
        """,
        [(guild_id, user_id, display_name, int(bool(won))) for user_id, display_name, won in results],
    )


def write_failed(exc: BaseException) -> BaseException:
    if isinstance(exc, sqlite3.Error):
        error = StoreError(f"database write failed: {exc}")
        error.__cause__ = exc
        return error
    return exc
