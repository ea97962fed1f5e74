"""The SQLite implementation of ``Store``: one file, no server, good enough for one bot process.

Why it is built the way it is:

* One aiosqlite connection and one ``asyncio.Lock``. SQLite allows one writer at a time anyway, and
  sharing the connection means a read issued while a write is half done would see that half; the
  lock makes every operation see only committed states. Transactions are a handful of statements,
  so nobody waits long.
* A game's writes are group-committed: the ``start_game``, ``record_answers``, ``record_asked``
  and ``finish_game`` calls that arrive while a commit is under way share the next transaction,
  run in one call on aiosqlite's thread, and each call returns only once its transaction has
  committed. Under load
  that is one commit (and one WAL append of the pages they share) and one trip to the database
  thread for many games' writes instead of several each.
* The long-running bot runs those group commits in a writer process instead (``writer="process"``,
  ``bot/storage/sqlite_writer.py``): a thread in this process shares the GIL with the event loop,
  and under load each keeps waiting for the other. The writer process has a connection of its own
  to the file; SQLite's write lock (``BEGIN IMMEDIATE`` and ``busy_timeout``) orders its
  transactions against this connection's other writes.
* Writes use ``BEGIN IMMEDIATE`` so that the write lock is taken up front: a deferred transaction
  that later upgrades to a writer can fail with SQLITE_BUSY half way, which ``busy_timeout`` cannot
  retry.
* WAL with ``synchronous=NORMAL``: readers in other processes (a backup, a CLI) do not block the
  bot, and a crash of the process never loses a commit; only a power cut can lose the last few,
  never corrupt the file. That is the right trade for trivia scores.
* Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a thread and
  connection of their own rather than inside whichever commit happened to fill the log, so no
  player waits for one. The committing connection only checkpoints itself if that thread falls far
  behind, which keeps the log bounded; closing the store empties it.
* The schema lives in numbered SQL files under ``bot.storage.migrations`` and ``PRAGMA
  user_version`` records how far a database has got.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal

import aiosqlite

from bot.sharding import EVERY_SHARD, ShardScope
from bot.storage import erasure, sqlite_writes
from bot.storage.base import (
    DailyAnswer,
    DailyChannel,
    DailyTally,
    Erased,
    GameScope,
    LeaderboardRow,
    OneChannel,
    PlayerResult,
    PlayerStats,
    Scope,
    ScoredAnswer,
    Season,
    Standing,
    StoredPack,
    UnfinishedGame,
)
from bot.storage.errors import StoreError
from bot.storage.groupcommit import GroupCommit, outcome_of
from bot.storage.sqlite_writes import AnswerRow, GroupTransaction
from bot.trivia.daily import DailyStreak, next_streak
from bot.trivia.reports import Report, ReportReason

if TYPE_CHECKING:
    from bot.storage.sqlite_writer import WriterProcess

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "bot.storage.migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")

# Long enough to ride out another process's checkpoint or a backup, short enough that a stuck
# lock shows up as an error instead of a silently frozen game.
BUSY_TIMEOUT_MS = 5_000

# The background checkpointer runs at most this often, so under load a checkpoint copies many
# commits' pages at once, and on a quiet bot one runs shortly after each burst of writes.
CHECKPOINT_INTERVAL_S = 0.1

# The page size of every database file Crate Digger creates. A commit appends each page it changed to
# the WAL whole, and one answer changes a leaf in each of four B-trees (the answers' two indexes, the
# player's row, the leaderboard index), hardly ever the same leaves as the answers committed with it:
# at 1 KiB each of those costs a quarter of what it does at SQLite's default 4 KiB. bench/engine.py's
# offered load wrote about half the bytes (5 against 9 to 11 KiB an answer) for the same writer CPU
# within the noise, and the reads that scan many rows (a season's or a pack's board) cost at most a
# few ms more (bench/store_reads.py). SQLite fixes the size when the first table is created; a database created
# before keeps its own.
NEW_DATABASE_PAGE_SIZE = 1024

# Stamped into every database file Crate Digger creates (``PRAGMA application_id``, "CrDg" in ASCII), so
# that a DATABASE_PATH pointing at another program's SQLite file is refused instead of migrated into.
APPLICATION_ID = 0x43724467
# Tables the first migration creates; an unstamped file with a schema version and all of these is ours.
OWN_TABLES = frozenset({"games", "answers", "players", "guild_packs"})


def _on_the_board(table: str) -> str:
    """Who appears on a leaderboard, stated once so the leaderboard and a player's rank agree.

    Every write that creates a player row counts a game or an answer, so this only excludes rows
    that some future write might create with neither.
    """
    return f"({table}.games > 0 OR {table}.answered > 0)"


# RANK() is computed over the whole guild before LIMIT applies, so ranks stay right even when a
# tie straddles the cut.
_LEADERBOARD_SQL = f"""
    SELECT RANK() OVER (ORDER BY points DESC, correct DESC) AS rank,
           user_id, display_name, points, correct, games, wins
    FROM players
    WHERE guild_id = ? AND {_on_the_board("players")}
    ORDER BY points DESC, correct DESC, user_id
    LIMIT ?
"""

# Same ranking as the leaderboard, for one player: 1 + the number of players strictly ahead.
_PLAYER_STATS_SQL = f"""
    SELECT me.*,
           CASE WHEN {_on_the_board("me")} THEN 1 + (
               SELECT COUNT(*) FROM players AS other
               WHERE other.guild_id = me.guild_id
                 AND {_on_the_board("other")}
                 AND (other.points > me.points
                      OR (other.points = me.points AND other.correct > me.correct))
           ) END AS rank
    FROM players AS me
    WHERE me.guild_id = ? AND me.user_id = ?
"""

_STANDING_COLUMNS = "rank, user_id, display_name, points, correct, answered, games"


def _ranked_answers(guild_id: int, scope: Scope) -> tuple[str, list[object]]:
    """A ``WITH ... ranked`` prefix: every player with an answer in ``scope``, totalled and ranked.

    The ranking is the leaderboard's (points, then right answers; ties share a rank) and is computed
    over everyone in scope before any LIMIT or player filter applies. The filters are fixed SQL
    fragments; only values travel as parameters.
    """
    joins = ""
    conditions = ["a.guild_id = ?"]
    params: list[object] = [guild_id]
    if scope.pack_id is not None:
        joins = " JOIN games AS g ON g.id = a.game_id AND g.guild_id = a.guild_id"
        conditions.append("g.pack_id = ?")
        params.append(scope.pack_id)
    if scope.since is not None:
        conditions.append("a.answered_at >= ?")
        params.append(scope.since)
    if scope.until is not None:
        conditions.append("a.answered_at < ?")
        params.append(scope.until)
    if scope.season is not None:
        conditions.append("a.season = ?")
        params.append(scope.season)
    sql = f"""
        WITH totals AS (
            SELECT a.user_id, SUM(a.points) AS points, SUM(a.correct) AS correct, COUNT(*) AS answered,
                   COUNT(DISTINCT a.game_id) AS games
            FROM answers AS a{joins}
            WHERE {" AND ".join(conditions)}
            GROUP BY a.user_id
        ),
        ranked AS (
            SELECT RANK() OVER (ORDER BY t.points DESC, t.correct DESC) AS rank,
                   t.user_id, p.display_name, t.points, t.correct, t.answered, t.games
            FROM totals AS t
            JOIN players AS p ON p.guild_id = ? AND p.user_id = t.user_id
        )
    """
    return sql, [*params, guild_id]


_REPORT_SQL = """
    SELECT id, guild_id, pack_id, question_id, prompt, user_id, reason, comment, reported_at
    FROM question_reports
"""

_PACK_SQL = "SELECT guild_id, pack_id, yaml_text, uploaded_by, uploaded_at FROM guild_packs WHERE guild_id = ?"


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def load_migrations(package: str = MIGRATIONS_PACKAGE) -> list[Migration]:
    """Read the migration files, in order; refuse a gap or a duplicate number.

    A gap would make ``user_version`` ambiguous (is version 3 "has 0003" or "has everything up to
    0003"?), so the numbering is required to be exactly 1..N.
    """
    migrations: list[Migration] = []
    for entry in resources.files(package).iterdir():
        if not entry.is_file() or not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise StoreError(f"migration file {entry.name!r} is not named NNNN_description.sql")
        migrations.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    if not migrations:
        # Most likely an install that left the .sql files out of the wheel (package data).
        raise StoreError(f"no migration files found in {package}; the installation is incomplete")
    migrations.sort(key=lambda migration: migration.number)
    numbers = [migration.number for migration in migrations]
    if numbers != list(range(1, len(migrations) + 1)):
        raise StoreError(f"migrations must be numbered 1..N without gaps or duplicates, found {numbers}")
    return migrations


def split_sql(script: str) -> list[str]:
    """Split a script into statements without being fooled by ``;`` inside strings or triggers.

    ``executescript`` would be simpler, but on Python 3.11 it commits any open transaction before
    running, which would break the one-transaction-per-migration guarantee.
    """
    statements: list[str] = []
    pending = ""
    pieces = script.split(";")
    for index, piece in enumerate(pieces):
        # Only put back the semicolons that were there: none after the last piece.
        pending += piece if index == len(pieces) - 1 else piece + ";"
        if sqlite3.complete_statement(pending):
            if _strip_sql_comments(pending).strip(" \t\r\n;"):
                statements.append(pending.strip())
            pending = ""
    if _strip_sql_comments(pending).strip(" \t\r\n;"):
        raise StoreError(f"unterminated SQL statement in migration: {pending.strip()[:80]!r}")
    return statements


def _strip_sql_comments(sql: str) -> str:
    # Only used to decide whether a fragment is nothing but comments; never to rewrite SQL.
    return re.sub(r"--[^\n]*", "", sql)


class SqliteStore:
    """``Store`` on a SQLite file (or ``":memory:"`` for tests).

    ``writer`` says where group commits (game starts, questions asked, answers, game ends) run. ``"thread"``, the
    default: on aiosqlite's thread, in this process. ``"process"``: in a writer process of their
    own (``bot/storage/sqlite_writer.py``), whose SQLite work does not compete with the event loop
    for the GIL; the long-running bot uses it. Starting that process costs about 0.2 s, nothing for
    the bot and too much for a CLI command or a test, hence the two. A ``":memory:"`` database
    cannot be shared with another process, so it always uses the thread.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        writer: Literal["thread", "process"] = "thread",
    ) -> None:
        if writer not in ("thread", "process"):
            raise ValueError(f"writer must be 'thread' or 'process', got {writer!r}")
        self._path = os.fspath(path)
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._writer_kind = writer
        # The writer process, once open with writer="process" (else group commits use the thread).
        self._writer_process: WriterProcess | None = None
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        # Writes waiting for the next group commit, and the task that commits them.
        self._queued: _Group | None = None
        self._group_writer: asyncio.Task[None] | None = None
        self._checkpointer: _Checkpointer | None = None

    @property
    def path(self) -> str:
        return self._path

    @property
    def writer(self) -> Literal["thread", "process"]:
        """Where group commits run (are to run, before ``open``): the writer process only for a file
        database, on an event loop that can watch its socket."""
        if self._in_memory or (self._conn is not None and self._writer_process is None):
            return "thread"
        return self._writer_kind

    @property
    def _in_memory(self) -> bool:
        return self._path == ":memory:" or self._path == ""

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Open (creating if needed) and migrate; any reason it cannot becomes a ``StoreError`` saying what to do."""
        if self._conn is not None:
            return
        if not self._in_memory:
            self._check_path()
            try:
                # aiosqlite mishandles a failed connect (its thread later calls into a closed event
                # loop and prints a traceback), so a file SQLite cannot open is found out here first.
                await asyncio.to_thread(_try_connect, self._path)
            except sqlite3.Error as exc:
                raise self._unusable(exc) from exc
        # isolation_level=None: the sqlite3 module must not open transactions behind our back;
        # every transaction here is begun and ended explicitly.
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms:d}")
            # Before anything writes (even the switch to WAL): never change another program's database.
            await self._refuse_foreign_database(conn)
            await self._configure(conn)
            await self._migrate(conn)
            await self._claim(conn)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._unusable(exc) from exc
            raise
        self._conn = conn
        if self._checkpointer is not None:
            self._checkpointer.start()
        if self._writer_kind == "process" and not self._in_memory:
            # Imported here: multiprocessing and sockets are no cost to a CLI command on the thread.
            from bot.storage.sqlite_writer import WriterProcess

            self._writer_process = WriterProcess(
                self._path,
                connect=partial(
                    sqlite_writes.connect_writer, self._path, self._busy_timeout_ms, self._checkpointer is not None
                ),
                apply=sqlite_writes.apply_in_one_transaction,
                failed=sqlite_writes.write_failed,
                # The checkpointer's, not the store's: the writer holding the store would make a
                # cycle that keeps a store nobody closed (and aiosqlite's thread) alive at exit.
                committed=self._checkpointer.nudge if self._checkpointer is not None else _nothing,
            )
            try:
                self._writer_process.start()
            except NotImplementedError:
                # Windows' default event loop cannot watch a socket: the thread it is.
                log.info("group commits for %s run on a thread: this event loop cannot watch a socket", self._path)
                self._writer_process = None
            try:
                # Waits for the new interpreter (about 0.1 s) here rather than in the first game,
                # and finds out now if it cannot write the file.
                if self._writer_process is not None:
                    committed, index = self._group_commit(partial(sqlite_writes.nothing))
                    outcome_of(await committed, index)
            except BaseException:
                await self.close()
                raise
        log.debug("opened store %s", self._path)

    def _check_path(self) -> None:
        path = Path(self._path)
        if path.is_dir():
            raise StoreError(
                f"the database path {path} is a folder: point DATABASE_PATH at a file, "
                f"e.g. {path / 'crate-digger.sqlite3'}"
            )
        if path.exists() and not path.is_file():
            raise StoreError(f"the database path {path} is not a regular file: point DATABASE_PATH at a file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {path.parent} for the database ({exc.strerror or exc}): "
                "point DATABASE_PATH at a file in a folder you can write to"
            ) from exc

    def _unusable(self, exc: sqlite3.Error) -> StoreError:
        """What SQLite's terse errors mean for someone choosing a DATABASE_PATH."""
        reason = str(exc)
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in reason:
            return StoreError(
                f"{self._path} is not a SQLite database (SQLite says: {reason}): "
                "point DATABASE_PATH at Crate Digger's database or at a new file"
            )
        if "readonly" in reason or "unable to open" in reason or "disk I/O" in reason:
            return StoreError(
                f"cannot write the database {self._path} (SQLite says: {reason}): point DATABASE_PATH at "
                "a file in a folder you can write to"
            )
        return StoreError(f"cannot use the database {self._path} (SQLite says: {reason})")

    async def _refuse_foreign_database(self, conn: aiosqlite.Connection) -> None:
        """Refuse a SQLite file that belongs to another program, before anything is written to it.

        Crate Digger stamps its files with ``PRAGMA application_id`` (SQLite's own way of saying
        whose file it is). Files from before the stamp are recognised by their schema: a version
        set by our migrations and our tables.
        """
        application_id = await _pragma_int(conn, "application_id")
        if application_id == APPLICATION_ID:
            return
        if application_id != 0:
            raise self._foreign(f"its application id is {application_id:#x}, not Crate Digger's")
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) as cursor:
            tables = {row[0] for row in await cursor.fetchall()}
        if not tables:
            return  # a new, empty file: ours to set up
        if await _user_version(conn) == 0 or not OWN_TABLES <= tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise self._foreign(f"it has tables Crate Digger did not create ({shown})")

    def _foreign(self, why: str) -> StoreError:
        return StoreError(
            f"{self._path} is another program's SQLite database ({why}); Crate Digger left it untouched: "
            "point DATABASE_PATH at a new file"
        )

    async def _claim(self, conn: aiosqlite.Connection) -> None:
        """Stamp the file as Crate Digger's. Done on every open, even when already stamped: the write
        proves the file is writable now, instead of the first game finding out at its first score."""
        try:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
            await conn.execute("COMMIT")
        except BaseException:
            await _rollback_quietly(conn)
            raise

    async def close(self) -> None:
        if self._group_writer is not None:
            # Writes already handed over are committed before the connection goes.
            await asyncio.gather(self._group_writer, return_exceptions=True)
        if self._writer_process is not None:
            await self._writer_process.close()  # refuses writes from now on
            self._writer_process = None
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.stop)
        conn, self._conn = self._conn, None
        if conn is not None:
            # Wait for an in-flight operation so it is not cut off by the close.
            async with self._lock:
                if checkpointer is not None:
                    await _checkpoint_quietly(conn, "TRUNCATE")  # leave no log behind
                await conn.close()
            log.debug("closed store %s", self._path)

    async def __aenter__(self) -> SqliteStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _configure(self, conn: aiosqlite.Connection) -> None:
        if await _pragma_int(conn, "page_count") == 0:
            # Only a new, empty file (or memory) takes it: before WAL and the first table fix the size.
            await conn.execute(f"PRAGMA page_size = {NEW_DATABASE_PAGE_SIZE:d}")
        wal = False
        if not self._in_memory:
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]).lower() if row else "unknown"
            wal = mode == "wal"
            if not wal:
                # Happens on file systems without shared memory (some network mounts); the store
                # still works, readers just block the writer.
                log.warning("could not switch %s to WAL (journal_mode is %s)", self._path, mode)
            else:
                self._checkpointer = _Checkpointer(self._path, self._busy_timeout_ms)
        for setting in sqlite_writes.connection_settings(self._busy_timeout_ms, wal):
            await conn.execute(setting)

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        migrations = load_migrations()
        known = len(migrations)
        current = await _user_version(conn)
        if current > known:
            raise StoreError(
                f"database schema version {current} is newer than this Crate Digger knows ({known}); "
                "upgrade Crate Digger"
            )
        applied: list[str] = []
        for migration in migrations:
            if migration.number <= current:
                continue
            try:
                # Inside the try for the same reason as in _write: see there.
                await conn.execute("BEGIN IMMEDIATE")
                # Another process may have migrated while we waited for the write lock.
                if await _user_version(conn) >= migration.number:
                    await conn.execute("ROLLBACK")
                    continue
                for statement in split_sql(migration.sql):
                    await conn.execute(statement)
                # PRAGMA does not take parameters; the number is an int we parsed ourselves.
                await conn.execute(f"PRAGMA user_version = {migration.number:d}")
                await conn.execute("COMMIT")
            except BaseException as exc:
                await _rollback_quietly(conn)
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"migration {migration.name} failed: {exc}") from exc
                raise
            applied.append(migration.name)
        if applied:
            # One line however many there are: a fresh database gets them all.
            log.info("applied migrations %s to %s", ", ".join(applied), self._path)

    # -- plumbing ------------------------------------------------------------------------------

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError("the store is not open; call open() or use 'async with'")
        return self._conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One short ``BEGIN IMMEDIATE`` transaction: commit on success, roll back on any error.

        Cancellation needs care: aiosqlite runs statements in order on its own thread, and a
        statement already handed over still runs after the awaiting task is cancelled. So BEGIN
        sits inside the ``try`` and the ROLLBACK is always queued behind whatever we sent: a
        cancelled write therefore lands whole (if its COMMIT was already queued) or not at all,
        and the next write never finds a transaction left open.
        """
        async with self._lock:
            conn = self._connection()
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
                await conn.execute("COMMIT")
            except BaseException as exc:
                await _rollback_quietly(conn)
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"database write failed: {exc}") from exc
                raise
            self._committed()

    def _committed(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.nudge()

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise StoreError(f"database read failed: {exc}") from exc

    # -- games and answers ---------------------------------------------------------------------

    async def start_game(self, guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float) -> int:
        committed, index = self._group_commit(
            partial(sqlite_writes.start_game, guild_id, channel_id, pack_id, mode, started_at)
        )
        return outcome_of(await committed, index)  # type: ignore[return-value]

    async def record_answers(
        self, game_id: int, guild_id: int, answers: Sequence[ScoredAnswer], missed: Sequence[int] = ()
    ) -> None:
        """Store the answers and fold them into the players' totals, all or nothing; return once committed.

        Misses end streaks first; answers are then applied in the order given, which matters for
        streaks when one batch holds several answers by the same player.

        Batches that arrive while a commit is under way are committed together, in arrival order,
        by the next one (group commit): a thousand busy games cost one transaction and one trip to
        the database thread per round instead of several each. Each batch still returns only after
        the transaction holding it has committed, and one batch that fails is rolled back alone (the
        group runs again with a savepoint per batch) and only its caller sees the error.
        """
        if not answers and not missed:
            return
        committed, index = self._group_commit(
            partial(sqlite_writes.record_answers, game_id, guild_id, _answer_rows(answers), tuple(missed))
        )
        outcome_of(await committed, index)

    def _group_commit(self, write: Callable[[GroupTransaction], object]) -> tuple[GroupCommit, int]:
        """Queue ``write`` to run in the next group commit (on the database thread, or in the writer
        process): return the commit to await and the write's place in its outcomes (``outcome_of``
        of both is its result, or its error).

        Not a coroutine of its own, so a write costs its caller no extra coroutine to create and wake.
        If ``write`` raises, only its own changes are rolled back and only its caller sees the error.
        It may run twice (the first run rolled back with its whole group when another write of the
        group failed), so it must do nothing but read and write the database. For the writer
        process it must pickle: a ``functools.partial`` of a module-level function, with values.
        """
        self._connection()  # a closed store says so at once rather than from the writer
        if self._writer_process is not None:
            return self._writer_process.add(write)
        group = self._queued
        if group is None:
            group = self._queued = _Group(asyncio.get_running_loop())
        index = len(group.writes)
        group.writes.append(write)
        if self._group_writer is None or self._group_writer.done():
            self._group_writer = asyncio.create_task(self._write_queued(), name="sqlite-group-writer")
        return group.committed, index

    async def _write_queued(self) -> None:
        """Commit whatever writes are waiting, in one transaction, until none are left."""
        while self._queued is not None:
            group, self._queued = self._queued, None
            try:
                async with self._lock:
                    conn = self._connection()
                    # One call on aiosqlite's thread for the whole transaction: every write, then
                    # the commit. aiosqlite has no public way to run a function there; ``_execute``
                    # is what its own methods use.
                    outcomes = await conn._execute(sqlite_writes.apply_in_one_transaction, conn._conn, group.writes)
            except asyncio.CancelledError:
                group.committed.abandon()
                raise
            except BaseException as exc:
                outcomes = [(sqlite_writes.write_failed(exc), None) for _ in group.writes]
            else:
                self._committed()
            group.committed.set_result(outcomes)

    async def finish_game(
        self, game_id: int, guild_id: int, finished_at: float, results: Sequence[PlayerResult], stopped: bool
    ) -> None:
        """Close the game and count it (and any win) for every player in ``results``.

        Finishing an already finished game changes nothing, so a /stop racing the natural end of a
        game cannot count the game twice. Points and correct answers are not added here: they
        were added answer by answer in ``record_answers``.
        """
        user_ids = [result.user_id for result in results]
        if len(set(user_ids)) != len(user_ids):
            raise ValueError(f"finish_game got the same player twice in results: {user_ids}")
        committed, index = self._group_commit(
            partial(
                sqlite_writes.finish_game,
                game_id,
                guild_id,
                finished_at,
                tuple((result.user_id, result.display_name, result.won) for result in results),
                stopped,
            )
        )
        outcome_of(await committed, index)

    async def close_interrupted_games(self, finished_at: float, started_before: float, scope: GameScope) -> int:
        in_scope, scope_params = _games_in(scope)
        async with self._write() as conn:
            games = list(
                await conn.execute_fetchall(
                    f"SELECT id FROM games WHERE finished_at IS NULL AND started_at < ? AND {in_scope}",
                    (started_before, *scope_params),
                )
            )
            for (game_id,) in games:
                # One game for everyone who answered in it, under the name of their latest answer
                # there (the players row already exists: record_answers created it).
                await conn.execute(
                    """
                    UPDATE players SET games = games + 1
                    WHERE (guild_id, user_id) IN (
                        SELECT DISTINCT guild_id, user_id FROM answers WHERE game_id = ?
                    )
                    """,
                    (game_id,),
                )
                await conn.execute(
                    "UPDATE games SET finished_at = ?, interrupted = 1 WHERE id = ?", (finished_at, game_id)
                )
        if games:
            log.info("closed %d game(s) left unfinished, marked interrupted", len(games))
        return len(games)

    async def unfinished_games(self, guild_id: int) -> list[UnfinishedGame]:
        async with self._read() as conn:
            rows = await conn.execute_fetchall(_UNFINISHED_GAMES_SQL, (guild_id,))
        return [UnfinishedGame(row["id"], row["channel_id"], row["started_at"]) for row in rows]

    # -- question history ----------------------------------------------------------------------

    async def asked_questions(self, guild_id: int, pack_id: str) -> frozenset[str]:
        async with self._read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT question_id FROM asked_questions WHERE guild_id = ? AND pack_id = ?", (guild_id, pack_id)
            )
        return frozenset(row["question_id"] for row in rows)

    async def record_asked(
        self, guild_id: int, pack_id: str, question_ids: Sequence[str], asked_at: float, *, starts_over: bool
    ) -> None:
        # A running game asks this once a question, so it joins the group commit with the answers: one
        # transaction for the calls that arrive together, and, in the bot, written by the writer process
        # rather than competing with it for SQLite's write lock from this process's connection.
        committed, index = self._group_commit(
            partial(sqlite_writes.record_asked, guild_id, pack_id, tuple(question_ids), asked_at, bool(starts_over))
        )
        outcome_of(await committed, index)

    # -- leaderboard and stats -----------------------------------------------------------------

    async def leaderboard(self, guild_id: int, limit: int = 10) -> list[LeaderboardRow]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        if limit == 0:
            return []
        async with self._read() as conn:
            rows = await conn.execute_fetchall(_LEADERBOARD_SQL, (guild_id, limit))
        return [
            LeaderboardRow(
                rank=row["rank"],
                user_id=row["user_id"],
                display_name=row["display_name"],
                points=row["points"],
                correct=row["correct"],
                games=row["games"],
                wins=row["wins"],
            )
            for row in rows
        ]

    async def player_stats(self, guild_id: int, user_id: int) -> PlayerStats | None:
        async with self._read() as conn:
            rows = list(await conn.execute_fetchall(_PLAYER_STATS_SQL, (guild_id, user_id)))
        row = rows[0] if rows else None
        if row is None:
            return None
        return PlayerStats(
            user_id=row["user_id"],
            display_name=row["display_name"],
            points=row["points"],
            correct=row["correct"],
            answered=row["answered"],
            games=row["games"],
            wins=row["wins"],
            best_streak=row["best_streak"],
            current_streak=row["current_streak"],
            rank=row["rank"],
        )

    # -- periods, packs and seasons ------------------------------------------------------------

    async def standings(self, guild_id: int, scope: Scope, limit: int = 10) -> list[Standing]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        if limit == 0:
            return []
        async with self._read() as conn:
            if await self._is_archive(conn, guild_id, scope):
                rows = await conn.execute_fetchall(
                    f"SELECT {_STANDING_COLUMNS} FROM season_standings WHERE guild_id = ? AND season = ?"
                    " ORDER BY rank, user_id LIMIT ?",
                    (guild_id, scope.season, limit),
                )
            else:
                ranked, params = _ranked_answers(guild_id, scope)
                rows = await conn.execute_fetchall(
                    ranked + f"SELECT {_STANDING_COLUMNS} FROM ranked ORDER BY rank, user_id LIMIT ?",
                    (*params, limit),
                )
        return [_standing(row) for row in rows]

    async def standing(self, guild_id: int, user_id: int, scope: Scope) -> Standing | None:
        async with self._read() as conn:
            if await self._is_archive(conn, guild_id, scope):
                rows = list(
                    await conn.execute_fetchall(
                        f"SELECT {_STANDING_COLUMNS} FROM season_standings"
                        " WHERE guild_id = ? AND season = ? AND user_id = ?",
                        (guild_id, scope.season, user_id),
                    )
                )
            else:
                ranked, params = _ranked_answers(guild_id, scope)
                rows = list(
                    await conn.execute_fetchall(
                        ranked + f"SELECT {_STANDING_COLUMNS} FROM ranked WHERE user_id = ?", (*params, user_id)
                    )
                )
        return _standing(rows[0]) if rows else None

    async def _is_archive(self, conn: aiosqlite.Connection, guild_id: int, scope: Scope) -> bool:
        """Whether ``scope`` is exactly an ended season, whose frozen standings answer it."""
        if scope.season is None or scope != Scope(season=scope.season):
            return False
        rows = await conn.execute_fetchall(
            "SELECT 1 FROM seasons WHERE guild_id = ? AND number = ?", (guild_id, scope.season)
        )
        return bool(list(rows))

    async def current_season(self, guild_id: int) -> Season:
        async with self._read() as conn:
            return await _current_season(conn, guild_id)

    async def end_season(self, guild_id: int, number: int, ended_at: float) -> Season | None:
        async with self._write() as conn:
            current = await _current_season(conn, guild_id)
            if current.number != number:
                return None
            await conn.execute(
                "INSERT INTO seasons (guild_id, number, started_at, ended_at, players) VALUES (?, ?, ?, ?, 0)",
                (guild_id, number, current.started_at, ended_at),
            )
            ranked, params = _ranked_answers(guild_id, Scope(season=number))
            await conn.execute(
                ranked + f"INSERT INTO season_standings (guild_id, season, {_STANDING_COLUMNS})"
                f" SELECT ?, ?, {_STANDING_COLUMNS} FROM ranked",
                (*params, guild_id, number),
            )
            # Counted, not cursor.rowcount: the sqlite3 module reports -1 for a statement that opens with WITH.
            async with conn.execute(
                "SELECT COUNT(*) FROM season_standings WHERE guild_id = ? AND season = ?", (guild_id, number)
            ) as cursor:
                (players,) = await cursor.fetchone() or (0,)
            await conn.execute(
                "UPDATE seasons SET players = ? WHERE guild_id = ? AND number = ?", (players, guild_id, number)
            )
        log.info("guild %s ended season %s (%d players archived)", guild_id, number, players)
        return Season(number=number, started_at=current.started_at, ended_at=ended_at, players=players)

    async def seasons(self, guild_id: int, limit: int = 25) -> list[Season]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        async with self._read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT number, started_at, ended_at, players FROM seasons WHERE guild_id = ?"
                " ORDER BY number DESC LIMIT ?",
                (guild_id, limit),
            )
        return [Season(row["number"], row["started_at"], row["ended_at"], row["players"]) for row in rows]

    # -- packs ---------------------------------------------------------------------------------

    async def save_pack(
        self, guild_id: int, pack_id: str, yaml_text: str, uploaded_by: int, uploaded_at: float
    ) -> None:
        async with self._write() as conn:
            await conn.execute(
                """
                INSERT INTO guild_packs (guild_id, pack_id, yaml_text, uploaded_by, uploaded_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, pack_id) DO UPDATE SET
                    yaml_text = excluded.yaml_text,
                    uploaded_by = excluded.uploaded_by,
                    uploaded_at = excluded.uploaded_at
                """,
                (guild_id, pack_id, yaml_text, uploaded_by, uploaded_at),
            )
            await conn.execute(_NEXT_PACK_REVISION_SQL, (guild_id,))

    async def remove_pack(self, guild_id: int, pack_id: str) -> bool:
        async with self._write() as conn:
            cursor = await conn.execute(
                "DELETE FROM guild_packs WHERE guild_id = ? AND pack_id = ?", (guild_id, pack_id)
            )
            removed = cursor.rowcount > 0
            await cursor.close()
            if removed:
                await conn.execute(_NEXT_PACK_REVISION_SQL, (guild_id,))
        return removed

    async def pack_revision(self, guild_id: int) -> int:
        async with self._read() as conn:
            rows = list(
                await conn.execute_fetchall("SELECT revision FROM pack_revisions WHERE guild_id = ?", (guild_id,))
            )
        return rows[0][0] if rows else 0

    async def get_pack(self, guild_id: int, pack_id: str) -> StoredPack | None:
        async with self._read() as conn:
            rows = list(await conn.execute_fetchall(_PACK_SQL + " AND pack_id = ?", (guild_id, pack_id)))
        row = rows[0] if rows else None
        return None if row is None else _stored_pack(row)

    async def list_packs(self, guild_id: int) -> list[StoredPack]:
        async with self._read() as conn:
            rows = await conn.execute_fetchall(_PACK_SQL + " ORDER BY pack_id", (guild_id,))
        return [_stored_pack(row) for row in rows]

    # -- question reports ----------------------------------------------------------------------

    async def add_report(
        self,
        *,
        guild_id: int,
        pack_id: str,
        question_id: str,
        prompt: str,
        user_id: int,
        reason: ReportReason,
        comment: str,
        reported_at: float,
    ) -> Report | None:
        reason = ReportReason(reason)
        async with self._write() as conn:
            # The partial unique index refuses a second open report by the same player.
            cursor = await conn.execute(
                """
                INSERT INTO question_reports
                    (guild_id, pack_id, question_id, prompt, user_id, reason, comment, reported_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, question_id, user_id) WHERE resolution IS NULL DO NOTHING
                """,
                (guild_id, pack_id, question_id, prompt, user_id, reason.value, comment, reported_at),
            )
            report_id = cursor.lastrowid if cursor.rowcount == 1 else None
            await cursor.close()
        if report_id is None:
            return None
        return Report(report_id, guild_id, pack_id, question_id, prompt, user_id, reason, comment, reported_at)

    async def report_times(self, guild_id: int, user_id: int, since: float) -> list[float]:
        async with self._read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT reported_at FROM question_reports WHERE guild_id = ? AND user_id = ? AND reported_at >= ?"
                " ORDER BY reported_at",
                (guild_id, user_id, since),
            )
        return [row[0] for row in rows]

    async def open_reports(self, guild_id: int, pack_id: str | None = None, limit: int = 500) -> list[Report]:
        if limit <= 0:
            return []
        where = "guild_id = ? AND resolution IS NULL" + ("" if pack_id is None else " AND pack_id = ?")
        parameters = (guild_id,) if pack_id is None else (guild_id, pack_id)
        async with self._read() as conn:
            rows = await conn.execute_fetchall(
                f"{_REPORT_SQL} WHERE {where} ORDER BY reported_at DESC, id DESC LIMIT ?", (*parameters, limit)
            )
        return [_report(row) for row in rows]

    async def get_report(self, guild_id: int, report_id: int) -> Report | None:
        async with self._read() as conn:
            rows = list(
                await conn.execute_fetchall(f"{_REPORT_SQL} WHERE guild_id = ? AND id = ?", (guild_id, report_id))
            )
        return _report(rows[0]) if rows else None

    async def disable_question(
        self, guild_id: int, question_id: str, pack_id: str, disabled_by: int, disabled_at: float
    ) -> int:
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO disabled_questions (guild_id, question_id, pack_id, disabled_by, disabled_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, question_id) DO NOTHING",
                (guild_id, question_id, pack_id, disabled_by, disabled_at),
            )
            return await _resolve_reports(conn, guild_id, question_id, "disabled", disabled_by, disabled_at)

    async def dismiss_reports(self, guild_id: int, question_id: str, dismissed_by: int, dismissed_at: float) -> int:
        async with self._write() as conn:
            return await _resolve_reports(conn, guild_id, question_id, "dismissed", dismissed_by, dismissed_at)

    async def disabled_questions(self, guild_id: int) -> frozenset[str]:
        async with self._read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT question_id FROM disabled_questions WHERE guild_id = ?", (guild_id,)
            )
        return frozenset(row[0] for row in rows)

    # -- the daily question --------------------------------------------------------------------

    async def pin_daily_question(self, guild_id: int, day: date, question_id: str) -> str:
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO daily_questions (guild_id, day, question_id) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id, day) DO NOTHING",
                (guild_id, day.isoformat(), question_id),
            )
            rows = list(
                await conn.execute_fetchall(
                    "SELECT question_id FROM daily_questions WHERE guild_id = ? AND day = ?",
                    (guild_id, day.isoformat()),
                )
            )
        return rows[0]["question_id"]

    async def daily_question(self, guild_id: int, day: date) -> str | None:
        async with self._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT question_id FROM daily_questions WHERE guild_id = ? AND day = ?",
                    (guild_id, day.isoformat()),
                )
            )
        return rows[0]["question_id"] if rows else None

    async def record_daily_answer(self, guild_id: int, day: date, answer: DailyAnswer) -> bool:
        async with self._write() as conn:
            cursor = await conn.execute(
                """
                INSERT INTO daily_answers
                    (guild_id, day, user_id, display_name, question_id, choice, correct, answered_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, day, user_id) DO NOTHING
                """,
                (
                    guild_id,
                    day.isoformat(),
                    answer.user_id,
                    answer.display_name,
                    answer.question_id,
                    answer.choice,
                    int(bool(answer.correct)),
                    answer.answered_at,
                ),
            )
            recorded = cursor.rowcount == 1
            await cursor.close()
            if not recorded:
                return False
            # Read and written under the one write lock, so the rule lives in one place (next_streak).
            streak = next_streak(await self._daily_streak(conn, guild_id, answer.user_id), day, answer.correct)
            await conn.execute(
                """
                INSERT INTO daily_streaks (guild_id, user_id, current_streak, best_streak, last_right_day)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, user_id) DO UPDATE SET
                    current_streak = excluded.current_streak,
                    best_streak = excluded.best_streak,
                    last_right_day = excluded.last_right_day
                """,
                (
                    guild_id,
                    answer.user_id,
                    streak.current,
                    streak.best,
                    streak.last_right_day.isoformat() if streak.last_right_day else None,
                ),
            )
        return True

    async def daily_answer(self, guild_id: int, day: date, user_id: int) -> DailyAnswer | None:
        async with self._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT * FROM daily_answers WHERE guild_id = ? AND day = ? AND user_id = ?",
                    (guild_id, day.isoformat(), user_id),
                )
            )
        if not rows:
            return None
        row = rows[0]
        return DailyAnswer(
            user_id=row["user_id"],
            display_name=row["display_name"],
            question_id=row["question_id"],
            choice=row["choice"],
            correct=bool(row["correct"]),
            answered_at=row["answered_at"],
        )

    async def daily_tally(self, guild_id: int, day: date) -> DailyTally:
        async with self._read() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT COUNT(*) AS answered, COALESCE(SUM(correct), 0) AS right_answers"
                    " FROM daily_answers WHERE guild_id = ? AND day = ?",
                    (guild_id, day.isoformat()),
                )
            )
        return DailyTally(answered=rows[0]["answered"], right=rows[0]["right_answers"])

    async def daily_streak(self, guild_id: int, user_id: int) -> DailyStreak | None:
        async with self._read() as conn:
            return await self._daily_streak(conn, guild_id, user_id)

    @staticmethod
    async def _daily_streak(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> DailyStreak | None:
        rows = list(
            await conn.execute_fetchall(
                "SELECT * FROM daily_streaks WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        )
        if not rows:
            return None
        row = rows[0]
        last = row["last_right_day"]
        return DailyStreak(row["current_streak"], row["best_streak"], date.fromisoformat(last) if last else None)

    async def set_daily_channel(self, guild_id: int, channel_id: int, hour: int) -> None:
        if not 0 <= hour <= 23:
            raise ValueError(f"hour must be 0-23, got {hour}")
        async with self._write() as conn:
            await conn.execute(
                """
                INSERT INTO daily_channels (guild_id, channel_id, hour) VALUES (?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour
                """,
                (guild_id, channel_id, hour),
            )

    async def clear_daily_channel(self, guild_id: int) -> bool:
        async with self._write() as conn:
            cursor = await conn.execute("DELETE FROM daily_channels WHERE guild_id = ?", (guild_id,))
            removed = cursor.rowcount > 0
            await cursor.close()
        return removed

    async def daily_channels(self, shards: ShardScope = EVERY_SHARD) -> list[DailyChannel]:
        on_shards, params = _on_shards(shards)
        async with self._read() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT * FROM daily_channels WHERE {on_shards} ORDER BY guild_id", params
            )
        return [
            DailyChannel(
                guild_id=row["guild_id"],
                channel_id=row["channel_id"],
                hour=row["hour"],
                last_posted_day=date.fromisoformat(row["last_posted_day"]) if row["last_posted_day"] else None,
            )
            for row in rows
        ]

    async def claim_daily_post(self, guild_id: int, day: date) -> bool:
        async with self._write() as conn:
            cursor = await conn.execute(
                "UPDATE daily_channels SET last_posted_day = ?"
                " WHERE guild_id = ? AND (last_posted_day IS NULL OR last_posted_day < ?)",
                (day.isoformat(), guild_id, day.isoformat()),
            )
            claimed = cursor.rowcount == 1
            await cursor.close()
        return claimed

    # -- a player's data and a server's reset --------------------------------------------------

    async def forget_player(self, user_id: int, guild_id: int | None = None) -> Erased:
        deleted: Counter[str] = Counter()
        anonymised = 0
        async with self._write() as conn:
            if guild_id is None:
                sql = erasure.GUILDS_OF_PLAYER_SQL
                guilds = [row[0] for row in await conn.execute_fetchall(sql, (user_id,) * sql.count("?"))]
            else:
                guilds = [guild_id]
            for guild in guilds:
                seasons = [
                    row[0] for row in await conn.execute_fetchall(erasure.ARCHIVED_SEASONS_SQL, (guild, user_id))
                ]
                for table in erasure.PLAYER_TABLES:
                    deleted[table] += await _changed_rows(conn, erasure.delete_player_sql(table), (guild, user_id))
                for season in seasons:
                    await conn.execute(erasure.RERANK_SEASON_SQL, (guild, season))
                    await conn.execute(erasure.RECOUNT_SEASON_SQL, (guild, season) * 2)
            in_guild, params = ("", (user_id,)) if guild_id is None else (" AND guild_id = ?", (user_id, guild_id))
            for table, column in erasure.MODERATOR_COLUMNS:
                sql = f"UPDATE {table} SET {column} = 0 WHERE {column} = ?{in_guild}"
                anonymised += await _changed_rows(conn, sql, params)
        return Erased({table: count for table, count in deleted.items() if count}, anonymised)

    async def reset_guild(self, guild_id: int) -> Erased:
        deleted: dict[str, int] = {}
        async with self._write() as conn:
            for table, sql in erasure.RESET_STATEMENTS:
                deleted[table] = await _changed_rows(conn, sql, (guild_id,))
        log.info("guild %s reset its leaderboard (%s)", guild_id, deleted)
        return Erased({table: count for table, count in deleted.items() if count})


_NEXT_PACK_REVISION_SQL = """
    INSERT INTO pack_revisions (guild_id, revision) VALUES (?, 1)
    ON CONFLICT (guild_id) DO UPDATE SET revision = revision + 1
"""
_UNFINISHED_GAMES_SQL = (
    "SELECT id, channel_id, started_at FROM games WHERE guild_id = ? AND finished_at IS NULL ORDER BY started_at, id"
)


def _games_in(scope: GameScope) -> tuple[str, tuple[int, ...]]:
    """A condition on ``games`` for ``scope``, and its parameters."""
    if isinstance(scope, OneChannel):
        return "guild_id = ? AND channel_id = ?", (scope.guild_id, scope.channel_id)
    return _on_shards(scope)


def _on_shards(shards: ShardScope) -> tuple[str, tuple[int, ...]]:
    """A condition on a table's ``guild_id``: the Discord servers of ``shards`` (never the terminal's 0)."""
    if shards.runs_every_shard:
        return "guild_id > 0", ()
    assert shards.shard_count is not None and shards.shard_ids is not None
    # Discord's shard formula; snowflakes are positive 64-bit integers, which SQLite shifts as such.
    ids = ", ".join("?" * len(shards.shard_ids))
    return f"guild_id > 0 AND (guild_id >> 22) % ? IN ({ids})", (shards.shard_count, *sorted(shards.shard_ids))


class _Checkpointer:
    """Copies committed pages from the WAL back into the database file, on a thread and connection
    of its own, after commits and at most every ``CHECKPOINT_INTERVAL_S``.

    Its checkpoints are PASSIVE: they never wait for or block the writer or readers (the writer goes
    on appending meanwhile), and the writer starts the log over once one has copied all of it.
    """

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """Something was committed: checkpoint soon."""
        self._due.set()

    def stop(self) -> None:
        """Finish the checkpoint under way, if any, and end the thread (blocks: call it from a thread)."""
        self._stopping.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("no background checkpoints for %s (%s); commits will checkpoint instead", self._path, exc)
            return
        try:
            db.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms:d}")
            while True:
                self._due.wait()
                if self._stopping.is_set():
                    return
                self._due.clear()
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("background checkpoint of %s failed: %s", self._path, exc)
                if self._stopping.wait(CHECKPOINT_INTERVAL_S):
                    return
        finally:
            db.close()


class _Group:
    """The writes that share the next group commit, in arrival order, and the future they wait on."""

    __slots__ = ("writes", "committed")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writes: list[Callable[[GroupTransaction], object]] = []
        self.committed = GroupCommit(loop=loop)


def _nothing() -> None:
    pass


def _answer_rows(answers: Sequence[ScoredAnswer]) -> tuple[AnswerRow, ...]:
    # The same fields in the same order (a test holds them to it), copied into plain tuples at C speed.
    return tuple(map(tuple, answers))  # type: ignore[arg-type]


def _stored_pack(row: aiosqlite.Row) -> StoredPack:
    return StoredPack(
        guild_id=row["guild_id"],
        pack_id=row["pack_id"],
        yaml_text=row["yaml_text"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=row["uploaded_at"],
    )


def _standing(row: aiosqlite.Row) -> Standing:
    return Standing(
        rank=row["rank"],
        user_id=row["user_id"],
        display_name=row["display_name"],
        points=row["points"],
        correct=row["correct"],
        answered=row["answered"],
        games=row["games"],
    )


async def _current_season(conn: aiosqlite.Connection, guild_id: int) -> Season:
    rows = list(
        await conn.execute_fetchall(
            "SELECT number, ended_at FROM seasons WHERE guild_id = ? ORDER BY number DESC LIMIT 1", (guild_id,)
        )
    )
    if not rows:
        return Season(number=1, started_at=None, ended_at=None)
    return Season(number=rows[0]["number"] + 1, started_at=rows[0]["ended_at"], ended_at=None)


def _report(row: aiosqlite.Row) -> Report:
    return Report(
        id=row["id"],
        guild_id=row["guild_id"],
        pack_id=row["pack_id"],
        question_id=row["question_id"],
        prompt=row["prompt"],
        user_id=row["user_id"],
        reason=ReportReason(row["reason"]),
        comment=row["comment"],
        reported_at=row["reported_at"],
    )


async def _resolve_reports(
    conn: aiosqlite.Connection, guild_id: int, question_id: str, resolution: str, by: int, at: float
) -> int:
    cursor = await conn.execute(
        "UPDATE question_reports SET resolution = ?, resolved_by = ?, resolved_at = ?"
        " WHERE guild_id = ? AND question_id = ? AND resolution IS NULL",
        (resolution, by, at, guild_id, question_id),
    )
    resolved = cursor.rowcount
    await cursor.close()
    return resolved


async def _changed_rows(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> int:
    cursor = await conn.execute(sql, params)
    changed = cursor.rowcount
    await cursor.close()
    return changed


def _try_connect(path: str) -> None:
    sqlite3.connect(path).close()


async def _user_version(conn: aiosqlite.Connection) -> int:
    return await _pragma_int(conn, "user_version")


async def _pragma_int(conn: aiosqlite.Connection, name: str) -> int:
    async with conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _checkpoint_quietly(conn: aiosqlite.Connection, mode: str) -> None:
    try:
        await conn.execute(f"PRAGMA wal_checkpoint({mode})")
    except sqlite3.Error as exc:
        # Another process still reading: the log stays for now, and the next checkpoint takes it.
        log.debug("checkpoint (%s) of the log failed: %s", mode, exc)


async def _rollback_quietly(conn: aiosqlite.Connection) -> None:
    # Deliberately unconditional: ``conn.in_transaction`` is read on this thread and may not yet
    # reflect statements still queued for aiosqlite's thread. ROLLBACK with nothing open is harmless.
    try:
        await conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "no transaction is active" not in str(exc):
            # Called while another exception is on its way up; that one stays the one raised.
            log.exception("rollback failed")
    except sqlite3.Error:
        log.exception("rollback failed")
