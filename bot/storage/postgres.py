"""The PostgreSQL implementation of ``Store``: one database shared by several bot processes.

Why it is built the way it is:

* An asyncpg connection pool. Unlike SQLite there is no single writer to queue behind: each
  operation borrows a connection, runs one short transaction and gives it back, and PostgreSQL's
  row locks keep concurrent writers (other shards, other processes) correct.
* Every write is one transaction that has committed (with the server's default
  ``synchronous_commit``: flushed to its WAL) before the method returns, so a score the bot
  announces is never lost to a crash of either process.
* Player rows are always updated in ``user_id`` order. Two games writing the same players at once
  then take their row locks in the same order and cannot deadlock; a deadlock or serialization
  failure that happens anyway (the server guarantees a full rollback then) is retried a few times.
* Numbered migrations in ``bot.storage.migrations.postgres``, recorded in ``schema_migrations``, each
  applied in its own transaction under ``pg_advisory_xact_lock``: processes that start together
  queue on the lock, and each one re-reads the version once it holds it, so a migration runs
  exactly once.
* The password in the URL is never shown: reprs, logs and errors use the redacted URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from types import TracebackType
from typing import TypeVar

import asyncpg

from bot.sharding import EVERY_SHARD, ShardScope
from bot.storage import erasure
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
from bot.storage.erasure import numbered
from bot.storage.errors import GameAlreadyRunning, StoreError
from bot.storage.groupcommit import GroupCommit, Outcome, outcome_of
from bot.storage.sqlite import load_migrations
from bot.storage.urls import redact_url, url_password
from bot.trivia.daily import DailyStreak, next_streak
from bot.trivia.reports import Report, ReportReason

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "bot.storage.migrations.postgres"

# Any 64-bit number that no other program using the same database would pick: "CrateDig" in ASCII.
MIGRATION_LOCK_KEY = 0x4372_6174_6544_6967

POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
# Like SQLite's busy timeout: long enough to ride out a busy moment, short enough that a stuck lock
# or an unreachable server shows up as an error instead of a silently frozen game.
COMMAND_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 10.0
# Waiting this long for a free pooled connection means the pool is stuck, not busy.
ACQUIRE_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 10.0

# SQLSTATEs after which the server has rolled the whole transaction back, so running it again is safe.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
_WRITE_ATTEMPTS = 3

# What asyncpg and the network raise; everything else (our own StoreError, ValueError for a bad
# argument, cancellation) passes through untouched.
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

_T = TypeVar("_T")


def _on_the_board(table: str) -> str:
    """Who appears on a leaderboard; the same rule as the SQLite store, so both rank alike."""
    return f"({table}.games > 0 OR {table}.answered > 0)"


# RANK() is computed over the whole guild before LIMIT applies, so ranks stay right even when a
# tie straddles the cut.
_LEADERBOARD_SQL = f"""
    SELECT RANK() OVER (ORDER BY points DESC, correct DESC) AS rank,
           user_id, display_name, points, correct, games, wins
    FROM players
    WHERE guild_id = $1 AND {_on_the_board("players")}
    ORDER BY points DESC, correct DESC, user_id
    LIMIT $2
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
    WHERE me.guild_id = $1 AND me.user_id = $2
"""

# A per-server lock (namespace, hash of the guild id) for seasons: recording answers takes it shared,
# ending a season alone. So an answer is stamped with the season that is current when it commits, and
# a season's archive is taken when no answer of it is still in flight. A hash collision between two
# servers only makes one wait for the other, never wrong.
SEASON_LOCK_NAMESPACE = 0x4344  # "CD"
_SEASON_LOCK_SQL = "SELECT pg_advisory_xact_lock($1, hashint8($2))"

_STANDING_COLUMNS = "rank, user_id, display_name, points, correct, answered, games"


def _ranked_answers(guild_id: int, scope: Scope) -> tuple[str, list[object]]:
    """A ``WITH ... ranked`` prefix: every player with an answer in ``scope``, totalled and ranked.

    The same ranking as the leaderboard (points, then right answers; ties share a rank), computed
    over everyone in scope before any LIMIT or player filter. The filters are fixed SQL fragments;
    only values travel, as parameters ``$1..$n`` (the caller numbers its own from ``n + 1``).
    """
    params: list[object] = []

    def param(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    joins = ""
    conditions = [f"a.guild_id = {param(guild_id)}"]
    if scope.pack_id is not None:
        joins = " JOIN games AS g ON g.id = a.game_id AND g.guild_id = a.guild_id"
        conditions.append(f"g.pack_id = {param(scope.pack_id)}")
    if scope.since is not None:
        conditions.append(f"a.answered_at >= {param(scope.since)}")
    if scope.until is not None:
        conditions.append(f"a.answered_at < {param(scope.until)}")
    if scope.season is not None:
        conditions.append(f"a.season = {param(scope.season)}")
    sql = f"""
        WITH totals AS (
            SELECT a.user_id, SUM(a.points) AS points, COUNT(*) FILTER (WHERE a.correct) AS correct,
                   COUNT(*) AS answered, COUNT(DISTINCT a.game_id) AS games
            FROM answers AS a{joins}
            WHERE {" AND ".join(conditions)}
            GROUP BY a.user_id
        ),
        ranked AS (
            SELECT RANK() OVER (ORDER BY t.points DESC, t.correct DESC) AS rank,
                   t.user_id, p.display_name, t.points, t.correct, t.answered, t.games
            FROM totals AS t
            JOIN players AS p ON p.guild_id = $1 AND p.user_id = t.user_id
        )
    """
    return sql, params


# The season locks of a group's servers, taken shared (ending a season takes one alone) in the order
# of the sorted array: two groups, or a group and a player's erasure, never wait on each other in a circle.
_SEASON_LOCKS_SHARED_SQL = (
    "SELECT pg_advisory_xact_lock_shared($1, hashint8(guild_id)) FROM unnest($2::bigint[]) AS guild_id"
)

# A group's answers in one statement, each stamped with its guild's current season (the one after its
# last ended season), and a row (zero totals, for the next statement to fill) for each answering player
# who has none. It runs after the season locks are held, so its snapshot sees a season that ended before.
# The new rows go in (guild_id, user_id) order, the order of the arrays: a second process inserting one
# of them waits for this one's commit, and then finds it there.
_INSERT_ANSWERS_AND_NEW_PLAYERS_SQL = """
    WITH stored AS (
        INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at, season)
        SELECT given.game_id, given.guild_id, given.user_id, given.question_id, given.correct, given.points,
               given.answered_at,
               (SELECT COALESCE(MAX(number), 0) + 1 FROM seasons WHERE seasons.guild_id = given.guild_id)
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::boolean[], $6::integer[],
                    $7::double precision[])
            AS given (game_id, guild_id, user_id, question_id, correct, points, answered_at)
    )
    INSERT INTO players (guild_id, user_id, display_name)
    SELECT * FROM unnest($8::bigint[], $9::bigint[], $10::text[])
    ON CONFLICT (guild_id, user_id) DO NOTHING
"""

# The group's finished games (one finish per game), their rows locked in id order first (FOR NO KEY
# UPDATE, what the UPDATE takes anyway: answers being inserted for them still pass). A game another
# transaction finished first is found but not closed: the UPDATE re-checks it once that one commits.
_CLOSE_GAMES_SQL = """
    WITH given AS (
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::double precision[], $4::boolean[])
            AS finish (game_id, guild_id, finished_at, stopped)
    ), locked AS MATERIALIZED (
        SELECT g.id FROM games AS g JOIN given ON g.id = given.game_id AND g.guild_id = given.guild_id
        ORDER BY g.id FOR NO KEY UPDATE OF g
    ), closed AS (
        UPDATE games SET finished_at = given.finished_at, stopped = given.stopped
        FROM given
        WHERE games.id = given.game_id AND games.guild_id = given.guild_id AND games.finished_at IS NULL
          AND (SELECT COUNT(*) FROM locked) >= 0
        RETURNING games.id
    )
    SELECT ARRAY(SELECT id FROM locked) AS found, ARRAY(SELECT id FROM closed) AS closed
"""

# Every player of the group, answers, misses and finished games folded into one change each (``_PlayerChange``), in
# one statement: the rows are locked first, all of them, in (guild_id, user_id) order (ORDER BY before
# FOR UPDATE locks rows as they come out of the sort; the condition on the count has no column of
# players in it, so PostgreSQL checks it once, before the UPDATE touches a row), so two processes never
# deadlock on them. A player who only missed and has no streak to end is left alone: no new row
# version for nothing; one without a row stays without (a miss never creates a player).
_APPLY_PLAYER_CHANGES_SQL = """
    WITH given AS (
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::integer[], $6::integer[],
                             $7::integer[], $8::boolean[], $9::integer[], $10::integer[], $11::integer[],
                             $12::integer[])
            AS change (guild_id, user_id, display_name, points, correct, answered, leading_run, streak_ended,
                       run, best_run, games, wins)
    ), locked AS MATERIALIZED (
        SELECT p.user_id FROM players AS p JOIN given ON p.guild_id = given.guild_id AND p.user_id = given.user_id
        ORDER BY p.guild_id, p.user_id FOR UPDATE OF p
    )
    UPDATE players AS p SET
        display_name = COALESCE(given.display_name, p.display_name),
        points = p.points + given.points,
        correct = p.correct + given.correct,
        answered = p.answered + given.answered,
        current_streak = CASE WHEN given.streak_ended THEN given.run ELSE p.current_streak + given.leading_run END,
        best_streak = GREATEST(p.best_streak, p.current_streak + given.leading_run, given.best_run),
        games = p.games + given.games,
        wins = p.wins + given.wins
    FROM given
    WHERE p.guild_id = given.guild_id AND p.user_id = given.user_id
      AND (given.answered > 0 OR given.games > 0 OR p.current_streak <> 0)
      AND (SELECT COUNT(*) FROM locked) >= 0
"""

# Everyone who answered in a closed game is counted one game per such game; nobody gets a win.
_START_GAME_SQL = """
    INSERT INTO games (guild_id, channel_id, pack_id, mode, started_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (guild_id, channel_id) WHERE finished_at IS NULL DO NOTHING
    RETURNING id
"""
_RUNNING_GAME_SQL = "SELECT id FROM games WHERE guild_id = $1 AND channel_id = $2 AND finished_at IS NULL"

# $3..$5 are the scope: one channel ($3 guild, $4 channel), or the Discord servers (guild_id > 0;
# the terminal's guild 0 is no shard's) whose shard, by Discord's formula, is among $5 out of $4.
_CLOSE_INTERRUPTED_SQL = """
    WITH closed AS (
        UPDATE games SET finished_at = $1, interrupted = TRUE
        WHERE finished_at IS NULL AND started_at < $2
          AND CASE WHEN $3::bigint IS NOT NULL THEN guild_id = $3 AND channel_id = $4
                   ELSE guild_id > 0 AND ((guild_id >> 22) % $4::bigint) = ANY($5::bigint[]) END
        RETURNING id, guild_id
    ), played AS (
        SELECT answers.guild_id, answers.user_id, COUNT(DISTINCT answers.game_id) AS games
        FROM answers JOIN closed ON answers.game_id = closed.id AND answers.guild_id = closed.guild_id
        GROUP BY answers.guild_id, answers.user_id
    ), counted AS (
        UPDATE players SET games = players.games + played.games
        FROM played
        WHERE players.guild_id = played.guild_id AND players.user_id = played.user_id
    )
    SELECT COUNT(*) FROM closed
"""

_SAVE_PACK_SQL = """
    INSERT INTO guild_packs (guild_id, pack_id, yaml_text, uploaded_by, uploaded_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (guild_id, pack_id) DO UPDATE SET
        yaml_text = EXCLUDED.yaml_text,
        uploaded_by = EXCLUDED.uploaded_by,
        uploaded_at = EXCLUDED.uploaded_at
"""

# The row lock it takes also orders two processes changing one server's packs at once.
_NEXT_PACK_REVISION_SQL = """
    INSERT INTO pack_revisions (guild_id, revision) VALUES ($1, 1)
    ON CONFLICT (guild_id) DO UPDATE SET revision = pack_revisions.revision + 1
"""

_REPORT_SQL = """
    SELECT id, guild_id, pack_id, question_id, prompt, user_id, reason, comment, reported_at
    FROM question_reports
"""

_PACK_SQL = "SELECT guild_id, pack_id, yaml_text, uploaded_by, uploaded_at FROM guild_packs WHERE guild_id = $1"

_SCHEMA_MIGRATIONS_SQL = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        number     INTEGER     PRIMARY KEY,
        name       TEXT        NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )
"""


class PostgresStore:
    """``Store`` on a PostgreSQL database named by a ``postgresql://`` URL."""

    def __init__(self, url: str, *, min_size: int = POOL_MIN_SIZE, max_size: int = POOL_MAX_SIZE) -> None:
        self._url = url
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        # The writes waiting for the next group commit, and the task that commits them.
        self._queued: _WriteGroup | None = None
        self._group_writer: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The URL with its password replaced by ``***``: safe to log or show."""
        return redact_url(self._url)

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r})"

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        async with self._opening:
            if self._pool is not None:
                return
            try:
                pool = await asyncpg.create_pool(
                    self._url,
                    min_size=self._min_size,
                    max_size=self._max_size,
                    command_timeout=COMMAND_TIMEOUT_S,
                    timeout=CONNECT_TIMEOUT_S,
                )
            except (*_DRIVER_ERRORS, ValueError) as exc:
                # ValueError: asyncpg's verdict on a malformed URL.
                raise StoreError(f"cannot connect to PostgreSQL at {self.url}: {self._scrub(exc)}") from None
            try:
                await self._migrate(pool)
            except BaseException:
                pool.terminate()
                raise
            self._pool = pool
        log.debug("opened store %s", self.url)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            # Waits for in-flight operations to give their connections back, so none is cut off.
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("closing %s took over %.0f s; dropping its connections", self.url, CLOSE_TIMEOUT_S)
            pool.terminate()
        log.debug("closed store %s", self.url)

    async def __aenter__(self) -> PostgresStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _migrate(self, pool: asyncpg.Pool) -> None:
        migrations = load_migrations(MIGRATIONS_PACKAGE)
        known = len(migrations)
        async with pool.acquire() as conn:
            while True:
                try:
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
                        # Read only while holding the lock: another process may have just migrated.
                        await conn.execute(_SCHEMA_MIGRATIONS_SQL)
                        current = await conn.fetchval("SELECT COALESCE(MAX(number), 0) FROM schema_migrations")
                        if current > known:
                            raise StoreError(
                                f"database schema version {current} is newer than this Crate Digger knows "
                                f"({known}); upgrade Crate Digger"
                            )
                        if current == known:
                            return
                        # Numbered 1..N without gaps (load_migrations checks), so the next is at [current].
                        migration = migrations[current]
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "INSERT INTO schema_migrations (number, name) VALUES ($1, $2)",
                            migration.number,
                            migration.name,
                        )
                except _DRIVER_ERRORS as exc:
                    raise StoreError(f"migrating {self.url} failed: {self._scrub(exc)}") from exc
                log.info("applied migration %s to %s", migration.name, self.url)

    # -- plumbing ------------------------------------------------------------------------------

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the store is not open; call open() or use 'async with'")
        return self._pool

    def _scrub(self, exc: BaseException) -> str:
        """The error's text without the password, should a driver ever echo the URL back."""
        text = str(exc) or type(exc).__name__
        password = url_password(self._url)
        return text.replace(password, "***") if password else text

    async def _write(self, work: Callable[[asyncpg.Connection], Awaitable[_T]]) -> _T:
        """Run ``work`` in one transaction: committed when this returns, rolled back on any error.

        A cancelled write is rolled back by asyncpg unless its COMMIT already went through, so it
        lands whole or not at all.
        """
        pool = self._require_pool()
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as conn, conn.transaction():
                    return await work(conn)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate in _RETRYABLE_SQLSTATES and attempt < _WRITE_ATTEMPTS:
                    log.info("retrying a write after %s (attempt %d)", exc.sqlstate, attempt)
                    continue
                raise StoreError(f"database write failed: {self._scrub(exc)}") from exc
            except _DRIVER_ERRORS as exc:
                raise StoreError(f"database write failed: {self._scrub(exc)}") from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        pool = self._require_pool()
        try:
            async with pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as conn:
                return await conn.fetch(sql, *args)
        except _DRIVER_ERRORS as exc:
            raise StoreError(f"database read failed: {self._scrub(exc)}") from exc

    # -- games and answers ---------------------------------------------------------------------

    async def start_game(self, guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float) -> int:
        async def insert(conn: asyncpg.Connection) -> int:
            while True:
                # A second process starting a game in the channel at the same moment waits on the
                # unique index until the first commits, then inserts nothing.
                game_id = await conn.fetchval(_START_GAME_SQL, guild_id, channel_id, pack_id, mode, started_at)
                if game_id is not None:
                    return int(game_id)
                running = await conn.fetchval(_RUNNING_GAME_SQL, guild_id, channel_id)
                if running is not None:  # else it finished in between: the channel is free again
                    raise GameAlreadyRunning(guild_id, channel_id, int(running))

        return await self._write(insert)

    async def record_answers(
        self, game_id: int, guild_id: int, answers: Sequence[ScoredAnswer], missed: Sequence[int] = ()
    ) -> None:
        """Store the answers and fold them into the players' totals, all or nothing; return once committed.

        Misses end streaks first; then each player's answers are applied in the order given
        (streaks depend on it).

        Batches that arrive while a commit is under way are committed together, in arrival order, by
        the next one (group commit): every round trip costs client and server CPU, so a thousand busy
        games cost one transaction of five round trips per group (BEGIN, the season locks, the answers
        with the new players, the totals, COMMIT) instead of five each. Each batch still returns only
        after the transaction holding it has committed, and one batch that fails is rolled back alone
        (the group runs again with a savepoint per batch) and only its caller sees the error.
        """
        if not answers and not missed:
            return
        await self._group_commit(_AnswerBatch(game_id, guild_id, tuple(answers), tuple(missed)))

    async def _group_commit(self, write: _QueuedWrite) -> None:
        """Queue ``write`` for the next group commit and return once it is committed (or raise its error)."""
        self._require_pool()  # a closed store says so at once rather than from the writer
        group = self._queued
        if group is None:
            group = self._queued = _WriteGroup(asyncio.get_running_loop())
        index = len(group.writes)
        group.writes.append(write)
        if self._group_writer is None or self._group_writer.done():
            self._group_writer = asyncio.create_task(self._write_queued(), name="postgres-group-writer")
        outcome_of(await group.committed, index)

    async def _write_queued(self) -> None:
        """Commit whatever writes are waiting, one group at a time (per-player arrival order), until none are left."""
        while self._queued is not None:
            group, self._queued = self._queued, None
            try:
                outcomes = await self._write(partial(_commit_group, group.writes))
            except asyncio.CancelledError:
                group.committed.abandon()
                raise
            except BaseException as exc:
                outcomes = [(exc, None) for _ in group.writes]
            group.committed.set_result(outcomes)

    async def finish_game(
        self, game_id: int, guild_id: int, finished_at: float, results: Sequence[PlayerResult], stopped: bool
    ) -> None:
        """Close the game and count it (and any win) for every player in ``results``, once.

        A second finish of the same game (a /stop racing the natural end, or another process) waits
        for the first one's row lock, then finds the game closed and changes nothing. Joins the group
        commit of ``record_answers``: a game's finish shares the transaction of the answers arriving with it.
        """
        user_ids = [result.user_id for result in results]
        if len(set(user_ids)) != len(user_ids):
            raise ValueError(f"finish_game got the same player twice in results: {user_ids}")
        await self._group_commit(_GameFinish(game_id, guild_id, finished_at, tuple(results), stopped))

    async def close_interrupted_games(self, finished_at: float, started_before: float, scope: GameScope) -> int:
        """Close the games a dead process left open, counting one game per player who answered in each.

        One statement: the games closed here are exactly the ones whose rows this UPDATE changed,
        so two processes starting at once never both count the same game.
        """

        async def close(conn: asyncpg.Connection) -> int:
            if isinstance(scope, OneChannel):
                in_scope = (scope.guild_id, scope.channel_id, None)
            else:
                in_scope = (None, *_shard_params(scope))
            return int(await conn.fetchval(_CLOSE_INTERRUPTED_SQL, finished_at, started_before, *in_scope))

        closed = await self._write(close)
        if closed:
            log.info("closed %d game(s) left unfinished, marked interrupted", closed)
        return closed

    async def unfinished_games(self, guild_id: int) -> list[UnfinishedGame]:
        rows = await self._fetch(
            "SELECT id, channel_id, started_at FROM games WHERE guild_id = $1 AND finished_at IS NULL"
            " ORDER BY started_at, id",
            guild_id,
        )
        return [UnfinishedGame(row["id"], row["channel_id"], row["started_at"]) for row in rows]

    # -- question history (no repeats) ----------------------------------------------------------

    async def asked_questions(self, guild_id: int, pack_id: str) -> frozenset[str]:
        rows = await self._fetch(
            "SELECT question_id FROM asked_questions WHERE guild_id = $1 AND pack_id = $2", guild_id, pack_id
        )
        return frozenset(row["question_id"] for row in rows)

    async def record_asked(
        self, guild_id: int, pack_id: str, question_ids: Sequence[str], asked_at: float, *, starts_over: bool
    ) -> None:
        async def remember(conn: asyncpg.Connection) -> None:
            if starts_over:
                await conn.execute(
                    "DELETE FROM asked_questions WHERE guild_id = $1 AND pack_id = $2", guild_id, pack_id
                )
            if question_ids:
                # One statement for the whole round; a question already remembered keeps its first time.
                await conn.execute(
                    "INSERT INTO asked_questions (guild_id, pack_id, question_id, asked_at)"
                    " SELECT $1, $2, question_id, $4 FROM unnest($3::text[]) AS question_id"
                    " ON CONFLICT DO NOTHING",
                    guild_id,
                    pack_id,
                    list(question_ids),
                    asked_at,
                )

        await self._write(remember)

    # -- leaderboard and stats -----------------------------------------------------------------

    async def leaderboard(self, guild_id: int, limit: int = 10) -> list[LeaderboardRow]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        if limit == 0:
            return []
        rows = await self._fetch(_LEADERBOARD_SQL, guild_id, limit)
        return [
            LeaderboardRow(
                rank=int(row["rank"]),
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
        rows = await self._fetch(_PLAYER_STATS_SQL, guild_id, user_id)
        if not rows:
            return None
        row = rows[0]
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
            rank=None if row["rank"] is None else int(row["rank"]),
        )

    # -- periods, packs and seasons ------------------------------------------------------------

    async def standings(self, guild_id: int, scope: Scope, limit: int = 10) -> list[Standing]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        if limit == 0:
            return []
        if await self._is_archive(guild_id, scope):
            rows = await self._fetch(
                f"SELECT {_STANDING_COLUMNS} FROM season_standings WHERE guild_id = $1 AND season = $2"
                " ORDER BY rank, user_id LIMIT $3",
                guild_id,
                scope.season,
                limit,
            )
        else:
            ranked, params = _ranked_answers(guild_id, scope)
            rows = await self._fetch(
                ranked + f"SELECT {_STANDING_COLUMNS} FROM ranked ORDER BY rank, user_id LIMIT ${len(params) + 1}",
                *params,
                limit,
            )
        return [_standing(row) for row in rows]

    async def standing(self, guild_id: int, user_id: int, scope: Scope) -> Standing | None:
        if await self._is_archive(guild_id, scope):
            rows = await self._fetch(
                f"SELECT {_STANDING_COLUMNS} FROM season_standings"
                " WHERE guild_id = $1 AND season = $2 AND user_id = $3",
                guild_id,
                scope.season,
                user_id,
            )
        else:
            ranked, params = _ranked_answers(guild_id, scope)
            rows = await self._fetch(
                ranked + f"SELECT {_STANDING_COLUMNS} FROM ranked WHERE user_id = ${len(params) + 1}",
                *params,
                user_id,
            )
        return _standing(rows[0]) if rows else None

    async def _is_archive(self, guild_id: int, scope: Scope) -> bool:
        """Whether ``scope`` is exactly an ended season, whose frozen standings answer it."""
        if scope.season is None or scope != Scope(season=scope.season):
            return False
        rows = await self._fetch("SELECT 1 FROM seasons WHERE guild_id = $1 AND number = $2", guild_id, scope.season)
        return bool(rows)

    async def current_season(self, guild_id: int) -> Season:
        rows = await self._fetch(_LAST_SEASON_SQL, guild_id)
        return _season_after(rows[0] if rows else None)

    async def end_season(self, guild_id: int, number: int, ended_at: float) -> Season | None:
        async def archive(conn: asyncpg.Connection) -> Season | None:
            # Alone: no answer is in flight while the season's standings are frozen.
            await conn.execute(_SEASON_LOCK_SQL, SEASON_LOCK_NAMESPACE, guild_id)
            current = _season_after(await conn.fetchrow(_LAST_SEASON_SQL, guild_id))
            if current.number != number:
                return None
            await conn.execute(
                "INSERT INTO seasons (guild_id, number, started_at, ended_at, players) VALUES ($1, $2, $3, $4, 0)",
                guild_id,
                number,
                current.started_at,
                ended_at,
            )
            ranked, params = _ranked_answers(guild_id, Scope(season=number))
            first = len(params) + 1
            status = await conn.execute(
                ranked + f"INSERT INTO season_standings (guild_id, season, {_STANDING_COLUMNS})"
                f" SELECT ${first}, ${first + 1}, {_STANDING_COLUMNS} FROM ranked",
                *params,
                guild_id,
                number,
            )
            players = _affected_rows(status)
            await conn.execute(
                "UPDATE seasons SET players = $1 WHERE guild_id = $2 AND number = $3", players, guild_id, number
            )
            return Season(number=number, started_at=current.started_at, ended_at=ended_at, players=players)

        ended = await self._write(archive)
        if ended is not None:
            log.info("guild %s ended season %s (%d players archived)", guild_id, number, ended.players)
        return ended

    async def seasons(self, guild_id: int, limit: int = 25) -> list[Season]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        rows = await self._fetch(
            "SELECT number, started_at, ended_at, players FROM seasons WHERE guild_id = $1"
            " ORDER BY number DESC LIMIT $2",
            guild_id,
            limit,
        )
        return [Season(row["number"], row["started_at"], row["ended_at"], row["players"]) for row in rows]

    # -- packs ---------------------------------------------------------------------------------

    async def save_pack(
        self, guild_id: int, pack_id: str, yaml_text: str, uploaded_by: int, uploaded_at: float
    ) -> None:
        async def upsert(conn: asyncpg.Connection) -> None:
            await conn.execute(_SAVE_PACK_SQL, guild_id, pack_id, yaml_text, uploaded_by, uploaded_at)
            await conn.execute(_NEXT_PACK_REVISION_SQL, guild_id)

        await self._write(upsert)

    async def remove_pack(self, guild_id: int, pack_id: str) -> bool:
        async def delete(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(
                "DELETE FROM guild_packs WHERE guild_id = $1 AND pack_id = $2", guild_id, pack_id
            )
            removed = _affected_rows(status) > 0
            if removed:
                await conn.execute(_NEXT_PACK_REVISION_SQL, guild_id)
            return removed

        return await self._write(delete)

    async def pack_revision(self, guild_id: int) -> int:
        rows = await self._fetch("SELECT revision FROM pack_revisions WHERE guild_id = $1", guild_id)
        return int(rows[0]["revision"]) if rows else 0

    async def get_pack(self, guild_id: int, pack_id: str) -> StoredPack | None:
        rows = await self._fetch(_PACK_SQL + " AND pack_id = $2", guild_id, pack_id)
        return _stored_pack(rows[0]) if rows else None

    async def list_packs(self, guild_id: int) -> list[StoredPack]:
        # Byte order, as SQLite sorts text, whatever collation the database was created with.
        rows = await self._fetch(_PACK_SQL + ' ORDER BY pack_id COLLATE "C"', guild_id)
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

        async def insert(conn: asyncpg.Connection) -> int | None:
            # The partial unique index refuses a second open report by the same player.
            return await conn.fetchval(
                """
                INSERT INTO question_reports
                    (guild_id, pack_id, question_id, prompt, user_id, reason, comment, reported_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (guild_id, question_id, user_id) WHERE resolution IS NULL DO NOTHING
                RETURNING id
                """,
                guild_id,
                pack_id,
                question_id,
                prompt,
                user_id,
                reason.value,
                comment,
                reported_at,
            )

        report_id = await self._write(insert)
        if report_id is None:
            return None
        return Report(int(report_id), guild_id, pack_id, question_id, prompt, user_id, reason, comment, reported_at)

    async def report_times(self, guild_id: int, user_id: int, since: float) -> list[float]:
        rows = await self._fetch(
            "SELECT reported_at FROM question_reports WHERE guild_id = $1 AND user_id = $2 AND reported_at >= $3"
            " ORDER BY reported_at",
            guild_id,
            user_id,
            since,
        )
        return [row["reported_at"] for row in rows]

    async def open_reports(self, guild_id: int, pack_id: str | None = None, limit: int = 500) -> list[Report]:
        if limit <= 0:
            return []
        # ($2 IS NULL OR ...) keeps one statement for both cases; $2 is typed by the comparison.
        rows = await self._fetch(
            f"{_REPORT_SQL} WHERE guild_id = $1 AND resolution IS NULL AND ($2::text IS NULL OR pack_id = $2)"
            " ORDER BY reported_at DESC, id DESC LIMIT $3",
            guild_id,
            pack_id,
            limit,
        )
        return [_report(row) for row in rows]

    async def get_report(self, guild_id: int, report_id: int) -> Report | None:
        rows = await self._fetch(f"{_REPORT_SQL} WHERE guild_id = $1 AND id = $2", guild_id, report_id)
        return _report(rows[0]) if rows else None

    async def disable_question(
        self, guild_id: int, question_id: str, pack_id: str, disabled_by: int, disabled_at: float
    ) -> int:
        async def disable(conn: asyncpg.Connection) -> int:
            await conn.execute(
                "INSERT INTO disabled_questions (guild_id, question_id, pack_id, disabled_by, disabled_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, question_id) DO NOTHING",
                guild_id,
                question_id,
                pack_id,
                disabled_by,
                disabled_at,
            )
            return await _resolve_reports(conn, guild_id, question_id, "disabled", disabled_by, disabled_at)

        return await self._write(disable)

    async def dismiss_reports(self, guild_id: int, question_id: str, dismissed_by: int, dismissed_at: float) -> int:
        async def dismiss(conn: asyncpg.Connection) -> int:
            return await _resolve_reports(conn, guild_id, question_id, "dismissed", dismissed_by, dismissed_at)

        return await self._write(dismiss)

    async def disabled_questions(self, guild_id: int) -> frozenset[str]:
        rows = await self._fetch("SELECT question_id FROM disabled_questions WHERE guild_id = $1", guild_id)
        return frozenset(row["question_id"] for row in rows)

    # -- the daily question --------------------------------------------------------------------

    async def pin_daily_question(self, guild_id: int, day: date, question_id: str) -> str:
        async def pin(conn: asyncpg.Connection) -> str:
            await conn.execute(
                "INSERT INTO daily_questions (guild_id, day, question_id) VALUES ($1, $2, $3)"
                " ON CONFLICT (guild_id, day) DO NOTHING",
                guild_id,
                day,
                question_id,
            )
            # A new statement, so it sees the row another process pinned first.
            return await conn.fetchval(
                "SELECT question_id FROM daily_questions WHERE guild_id = $1 AND day = $2", guild_id, day
            )

        return await self._write(pin)

    async def daily_question(self, guild_id: int, day: date) -> str | None:
        rows = await self._fetch(
            "SELECT question_id FROM daily_questions WHERE guild_id = $1 AND day = $2", guild_id, day
        )
        return rows[0]["question_id"] if rows else None

    async def record_daily_answer(self, guild_id: int, day: date, answer: DailyAnswer) -> bool:
        async def record(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(
                """
                INSERT INTO daily_answers
                    (guild_id, day, user_id, display_name, question_id, choice, correct, answered_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (guild_id, day, user_id) DO NOTHING
                """,
                guild_id,
                day,
                answer.user_id,
                answer.display_name,
                answer.question_id,
                answer.choice,
                bool(answer.correct),
                answer.answered_at,
            )
            if _affected_rows(status) != 1:
                return False
            # FOR UPDATE: the streak is read and written by one transaction at a time, so the rule
            # lives in one place (next_streak).
            row = await conn.fetchrow(_DAILY_STREAK_SQL + " FOR UPDATE", guild_id, answer.user_id)
            streak = next_streak(_daily_streak(row), day, answer.correct)
            await conn.execute(
                """
                INSERT INTO daily_streaks (guild_id, user_id, current_streak, best_streak, last_right_day)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (guild_id, user_id) DO UPDATE SET
                    current_streak = EXCLUDED.current_streak,
                    best_streak = EXCLUDED.best_streak,
                    last_right_day = EXCLUDED.last_right_day
                """,
                guild_id,
                answer.user_id,
                streak.current,
                streak.best,
                streak.last_right_day,
            )
            return True

        return await self._write(record)

    async def daily_answer(self, guild_id: int, day: date, user_id: int) -> DailyAnswer | None:
        rows = await self._fetch(
            "SELECT * FROM daily_answers WHERE guild_id = $1 AND day = $2 AND user_id = $3", guild_id, day, user_id
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
        rows = await self._fetch(
            "SELECT COUNT(*) AS answered, COUNT(*) FILTER (WHERE correct) AS right_answers"
            " FROM daily_answers WHERE guild_id = $1 AND day = $2",
            guild_id,
            day,
        )
        return DailyTally(answered=int(rows[0]["answered"]), right=int(rows[0]["right_answers"]))

    async def daily_streak(self, guild_id: int, user_id: int) -> DailyStreak | None:
        rows = await self._fetch(_DAILY_STREAK_SQL, guild_id, user_id)
        return _daily_streak(rows[0] if rows else None)

    async def set_daily_channel(self, guild_id: int, channel_id: int, hour: int) -> None:
        if not 0 <= hour <= 23:
            raise ValueError(f"hour must be 0-23, got {hour}")

        async def upsert(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO daily_channels (guild_id, channel_id, hour) VALUES ($1, $2, $3)"
                " ON CONFLICT (guild_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, hour = EXCLUDED.hour",
                guild_id,
                channel_id,
                hour,
            )

        await self._write(upsert)

    async def clear_daily_channel(self, guild_id: int) -> bool:
        async def delete(conn: asyncpg.Connection) -> bool:
            return _affected_rows(await conn.execute("DELETE FROM daily_channels WHERE guild_id = $1", guild_id)) > 0

        return await self._write(delete)

    async def daily_channels(self, shards: ShardScope = EVERY_SHARD) -> list[DailyChannel]:
        rows = await self._fetch(
            "SELECT * FROM daily_channels WHERE guild_id > 0 AND ((guild_id >> 22) % $1::bigint) = ANY($2::bigint[])"
            " ORDER BY guild_id",
            *_shard_params(shards),
        )
        return [
            DailyChannel(
                guild_id=row["guild_id"],
                channel_id=row["channel_id"],
                hour=row["hour"],
                last_posted_day=row["last_posted_day"],
            )
            for row in rows
        ]

    async def claim_daily_post(self, guild_id: int, day: date) -> bool:
        async def claim(conn: asyncpg.Connection) -> bool:
            # The row lock makes a second process wait, then re-check the condition and claim nothing.
            status = await conn.execute(
                "UPDATE daily_channels SET last_posted_day = $1"
                " WHERE guild_id = $2 AND (last_posted_day IS NULL OR last_posted_day < $1)",
                day,
                guild_id,
            )
            return _affected_rows(status) == 1

        return await self._write(claim)

    # -- a player's data and a server's reset --------------------------------------------------

    async def forget_player(self, user_id: int, guild_id: int | None = None) -> Erased:
        async def forget(conn: asyncpg.Connection) -> Erased:
            if guild_id is None:
                sql = erasure.GUILDS_OF_PLAYER_SQL
                guilds = [row["guild_id"] for row in await conn.fetch(numbered(sql), *[user_id] * sql.count("?"))]
            else:
                guilds = [guild_id]
            # The servers' season locks first, in one order, as ending a season takes them: an archive is
            # never taken half way through this, and every row of the player's in it is seen here.
            for guild in guilds:
                await conn.execute(_SEASON_LOCK_SQL, SEASON_LOCK_NAMESPACE, guild)
            deleted: Counter[str] = Counter()
            for guild in guilds:
                seasons = [
                    row["season"] for row in await conn.fetch(numbered(erasure.ARCHIVED_SEASONS_SQL), guild, user_id)
                ]
                for table in erasure.PLAYER_TABLES:
                    status = await conn.execute(numbered(erasure.delete_player_sql(table)), guild, user_id)
                    deleted[table] += _affected_rows(status)
                for season in seasons:
                    await conn.execute(numbered(erasure.RERANK_SEASON_SQL), guild, season)
                    await conn.execute(numbered(erasure.RECOUNT_SEASON_SQL), guild, season, guild, season)
            in_guild, params = ("", (user_id,)) if guild_id is None else (" AND guild_id = $2", (user_id, guild_id))
            anonymised = 0
            for table, column in erasure.MODERATOR_COLUMNS:
                status = await conn.execute(f"UPDATE {table} SET {column} = 0 WHERE {column} = $1{in_guild}", *params)
                anonymised += _affected_rows(status)
            return Erased({table: count for table, count in deleted.items() if count}, anonymised)

        return await self._write(forget)

    async def reset_guild(self, guild_id: int) -> Erased:
        async def reset(conn: asyncpg.Connection) -> Erased:
            # Alone on the server's season lock: no answer is half recorded while the boards go.
            await conn.execute(_SEASON_LOCK_SQL, SEASON_LOCK_NAMESPACE, guild_id)
            deleted = {
                table: _affected_rows(await conn.execute(numbered(sql), guild_id))
                for table, sql in erasure.RESET_STATEMENTS
            }
            return Erased({table: count for table, count in deleted.items() if count})

        erased = await self._write(reset)
        log.info("guild %s reset its leaderboard (%s)", guild_id, erased.deleted)
        return erased


@dataclass(frozen=True)
class _AnswerBatch:
    """One ``record_answers`` call, waiting for its group commit."""

    game_id: int
    guild_id: int
    answers: tuple[ScoredAnswer, ...]
    missed: tuple[int, ...]


@dataclass(frozen=True)
class _GameFinish:
    """One ``finish_game`` call, waiting for its group commit."""

    game_id: int
    guild_id: int
    finished_at: float
    results: tuple[PlayerResult, ...]
    stopped: bool


_QueuedWrite = _AnswerBatch | _GameFinish


class _WriteGroup:
    """The writes that share the next group commit, in arrival order, and the future they wait on."""

    __slots__ = ("writes", "committed")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writes: list[_QueuedWrite] = []
        self.committed = GroupCommit(loop=loop)


class _PlayerChange:
    """What a group's answers, misses and finished games do to one player's row, in their order, folded
    into figures one UPDATE applies whatever the row held: the streak is ``run`` if it ended in the
    group (a miss or a wrong answer), else the old one plus ``leading_run``; the best streak is the old
    best, the old streak plus ``leading_run`` (the answers before the first end) or ``best_run`` (after it)."""

    __slots__ = (
        "display_name",
        "points",
        "correct",
        "answered",
        "leading_run",
        "streak_ended",
        "run",
        "best_run",
        "games",
        "wins",
    )

    def __init__(self) -> None:
        self.display_name: str | None = None
        self.points = 0
        self.correct = 0
        self.answered = 0
        self.leading_run = 0
        self.streak_ended = False
        self.run = 0
        self.best_run = 0
        self.games = 0
        self.wins = 0

    def miss(self) -> None:
        self.streak_ended = True
        self.run = 0

    def answer(self, answer: ScoredAnswer) -> None:
        self.display_name = answer.display_name
        self.points += answer.points
        self.answered += 1
        if not answer.correct:
            self.miss()
            return
        self.correct += 1
        if self.streak_ended:
            self.run += 1
            self.best_run = max(self.best_run, self.run)
        else:
            self.leading_run += 1

    def finished(self, result: PlayerResult) -> None:
        self.display_name = result.display_name
        self.games += 1
        self.wins += int(bool(result.won))


async def _commit_group(writes: Sequence[_QueuedWrite], conn: asyncpg.Connection) -> list[Outcome]:
    """One group commit's work, inside its transaction: every write, in as few statements as it takes.

    The season locks come first, before any row lock: a waiter for one must hold nothing others wait
    for. If the group's statements fail, they are rolled back to a savepoint and each write runs again
    in a savepoint of its own, so that a failing write is rolled back alone. A deadlock or
    serialization failure is raised instead: the server has rolled everything back, and the whole
    group is run again.
    """
    guilds = sorted({write.guild_id for write in writes if isinstance(write, _AnswerBatch) and write.answers})
    if guilds:
        await conn.execute(_SEASON_LOCKS_SHARED_SQL, SEASON_LOCK_NAMESPACE, guilds)
    if len(writes) == 1:
        try:
            return await _apply_writes(conn, writes)
        except (TypeError, ValueError) as exc:
            raise _write_failed(exc) from exc
    try:
        async with conn.transaction():
            return await _apply_writes(conn, writes)
    except asyncpg.PostgresError as exc:
        if exc.sqlstate in _RETRYABLE_SQLSTATES:
            raise
    except (TypeError, ValueError):
        pass
    outcomes: list[Outcome] = []
    for write in writes:
        try:
            async with conn.transaction():
                outcomes += await _apply_writes(conn, [write])
        except asyncpg.PostgresError as exc:
            if exc.sqlstate in _RETRYABLE_SQLSTATES:
                raise
            outcomes.append((_write_failed(exc), None))
        except (TypeError, ValueError) as exc:
            outcomes.append((_write_failed(exc), None))
    return outcomes


async def _close_games(conn: asyncpg.Connection, finishes: Sequence[_GameFinish]) -> tuple[set[int], set[int]]:
    """Close the games still running among ``finishes`` (one per game): which games exist, which closed now."""
    row = await conn.fetchrow(
        _CLOSE_GAMES_SQL,
        [finish.game_id for finish in finishes],
        [finish.guild_id for finish in finishes],
        [finish.finished_at for finish in finishes],
        [bool(finish.stopped) for finish in finishes],
    )
    return set(row["found"]), set(row["closed"])


async def _apply_writes(conn: asyncpg.Connection, writes: Sequence[_QueuedWrite]) -> list[Outcome]:
    """The writes' finished games, answers, new players, totals and ended streaks: at most three
    statements for any number of them. Returns each write's outcome.

    A player's misses in a batch come before that batch's answers; writes apply in the order given. A
    game finished twice (here or before) is counted once, by the first finish that closes it.
    """
    first_finishes: dict[int, _GameFinish] = {}
    for write in writes:
        if isinstance(write, _GameFinish):
            first_finishes.setdefault(write.game_id, write)
    found: set[int] = set()
    closed: set[int] = set()
    if first_finishes:
        found, closed = await _close_games(conn, list(first_finishes.values()))

    changes: dict[tuple[int, int], _PlayerChange] = {}

    def change(guild_id: int, user_id: int) -> _PlayerChange:
        found_change = changes.get((guild_id, user_id))
        if found_change is None:
            found_change = changes[guild_id, user_id] = _PlayerChange()
        return found_change

    outcomes: list[Outcome] = []
    answered = []
    for write in writes:
        if isinstance(write, _AnswerBatch):
            for user_id in write.missed:
                change(write.guild_id, user_id).miss()
            for answer in write.answers:
                change(write.guild_id, answer.user_id).answer(answer)
                answered.append((write.game_id, write.guild_id, answer))
            outcomes.append((None, None))
        elif write.game_id not in found:
            outcomes.append((StoreError(f"there is no game {write.game_id} in guild {write.guild_id}"), None))
        elif write.game_id in closed and first_finishes[write.game_id] is write:
            for result in write.results:
                change(write.guild_id, result.user_id).finished(result)
            outcomes.append((None, None))
        else:
            log.warning(
                "game %s in guild %s was already finished; not counting it again", write.game_id, write.guild_id
            )
            outcomes.append((None, None))
    players = sorted(changes.items())
    new = [(key, player) for key, player in players if player.answered or player.games]
    if new:
        await conn.execute(
            _INSERT_ANSWERS_AND_NEW_PLAYERS_SQL,
            [game_id for game_id, _, _ in answered],
            [guild_id for _, guild_id, _ in answered],
            [answer.user_id for _, _, answer in answered],
            [answer.question_id for _, _, answer in answered],
            [bool(answer.correct) for _, _, answer in answered],
            [answer.points for _, _, answer in answered],
            [answer.answered_at for _, _, answer in answered],
            [guild_id for (guild_id, _), _ in new],
            [user_id for (_, user_id), _ in new],
            [player.display_name for _, player in new],
        )
    if players:
        await conn.execute(
            _APPLY_PLAYER_CHANGES_SQL,
            [guild_id for (guild_id, _), _ in players],
            [user_id for (_, user_id), _ in players],
            [player.display_name for _, player in players],
            [player.points for _, player in players],
            [player.correct for _, player in players],
            [player.answered for _, player in players],
            [player.leading_run for _, player in players],
            [player.streak_ended for _, player in players],
            [player.run for _, player in players],
            [player.best_run for _, player in players],
            [player.games for _, player in players],
            [player.wins for _, player in players],
        )
    return outcomes


def _write_failed(exc: BaseException) -> StoreError:
    error = StoreError(f"database write failed: {exc}")
    error.__cause__ = exc
    return error


_DAILY_STREAK_SQL = (
    "SELECT current_streak, best_streak, last_right_day FROM daily_streaks WHERE guild_id = $1 AND user_id = $2"
)


def _shard_params(shards: ShardScope) -> tuple[int, list[int]]:
    """The shard count and ids for Discord's formula in SQL; every shard is one shard of one, as the
    count may not even be known yet."""
    if shards.runs_every_shard:
        return 1, [0]
    assert shards.shard_count is not None and shards.shard_ids is not None
    return shards.shard_count, sorted(shards.shard_ids)


def _daily_streak(row: asyncpg.Record | None) -> DailyStreak | None:
    if row is None:
        return None
    return DailyStreak(row["current_streak"], row["best_streak"], row["last_right_day"])


def _report(row: asyncpg.Record) -> Report:
    return Report(
        id=int(row["id"]),
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
    conn: asyncpg.Connection, guild_id: int, question_id: str, resolution: str, by: int, at: float
) -> int:
    status = await conn.execute(
        "UPDATE question_reports SET resolution = $1, resolved_by = $2, resolved_at = $3"
        " WHERE guild_id = $4 AND question_id = $5 AND resolution IS NULL",
        resolution,
        by,
        at,
        guild_id,
        question_id,
    )
    return _affected_rows(status)


def _stored_pack(row: asyncpg.Record) -> StoredPack:
    return StoredPack(
        guild_id=row["guild_id"],
        pack_id=row["pack_id"],
        yaml_text=row["yaml_text"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=row["uploaded_at"],
    )


_LAST_SEASON_SQL = "SELECT number, ended_at FROM seasons WHERE guild_id = $1 ORDER BY number DESC LIMIT 1"


def _season_after(last_ended: asyncpg.Record | None) -> Season:
    """The current season, given the guild's last ended one (None: still in season 1)."""
    if last_ended is None:
        return Season(number=1, started_at=None, ended_at=None)
    return Season(number=last_ended["number"] + 1, started_at=last_ended["ended_at"], ended_at=None)


def _standing(row: asyncpg.Record) -> Standing:
    return Standing(
        rank=int(row["rank"]),
        user_id=row["user_id"],
        display_name=row["display_name"],
        points=int(row["points"]),
        correct=int(row["correct"]),
        answered=int(row["answered"]),
        games=int(row["games"]),
    )


def _affected_rows(status: str) -> int:
    """The row count at the end of a command status such as ``UPDATE 1`` or ``DELETE 0``."""
    return int(status.rsplit(" ", 1)[-1])
