"""`db copy`: a SQLite database copied into PostgreSQL whole, verified, and never half-copied."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.cli import main
from bot.sharding import EVERY_SHARD
from bot.storage.base import DailyAnswer, PlayerResult, Scope, ScoredAnswer, Store
from bot.storage.errors import StoreError
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore, load_migrations
from bot.storage.transfer import copy_sqlite_to_postgres
from bot.trivia.reports import ReportReason
from tests.postgres_server import PostgresServer

GUILDS = (1001, 2002)
DAY = date(2026, 3, 14)


def scored(user_id: int, question: str, correct: bool, at: float) -> ScoredAnswer:
    return ScoredAnswer(user_id, f"player{user_id}", question, correct, 10 if correct else 0, at)


async def _populate(store: Store) -> None:
    """Something in every table: games (finished, stopped, interrupted), answers over two seasons, reports,
    packs, question history and the daily question."""
    for guild in GUILDS:
        for season_game in range(2):
            for pack in ("samples-101", "films"):
                game = await store.start_game(guild, 55, pack, "classic", started_at=1_000.0 + season_game)
                for index in range(3):
                    await store.record_answers(
                        game,
                        guild,
                        [
                            scored(user, f"{pack}-q{index}", (user + index) % 3 != 0, 1_000.0 + 100 * index)
                            for user in (1, 2, 3)
                        ],
                        missed=[4] if index == 1 else (),
                    )
                results = [PlayerResult(user, f"player{user}", 20, 2, won=user == 1) for user in (1, 2, 3)]
                await store.finish_game(game, guild, 2_000.0, results, stopped=pack == "films")
            if season_game == 0:
                assert await store.end_season(guild, 1, ended_at=1_500.0) is not None
        await store.record_asked(guild, "samples-101", ["q1", "q2"], 1_000.0, starts_over=False)
        await store.save_pack(guild, f"uploaded-{guild}", "id: uploaded\n# a pack's YAML\n", 7, 900.0)
        report = await store.add_report(
            guild_id=guild,
            pack_id="samples-101",
            question_id="q1",
            prompt="Which song samples ...?",
            user_id=2,
            reason=ReportReason.WRONG_ANSWER,
            comment="it's the other one",
            reported_at=1_100.0,
        )
        assert report is not None
        await store.disable_question(guild, "q1", "samples-101", disabled_by=7, disabled_at=1_200.0)
        await store.pin_daily_question(guild, DAY, "q2")
        await store.record_daily_answer(guild, DAY, DailyAnswer(1, "player1", "q2", "Akira", True, 1_300.0))
        await store.set_daily_channel(guild, 77, hour=9)
        assert await store.claim_daily_post(guild, DAY)
    # A game whose process died, closed at the next start.
    await store.start_game(GUILDS[0], 56, "films", "classic", started_at=1_000.0)
    assert await store.close_interrupted_games(finished_at=3_000.0, started_before=2_500.0, scope=EVERY_SHARD) == 1


async def _everything_readable(store: Store) -> dict[str, Any]:
    """What the players and moderators see, through the Store API: every board a server has."""
    seen: dict[str, Any] = {}
    for guild in GUILDS:
        seen[f"{guild} leaderboard"] = await store.leaderboard(guild, limit=100)
        for user in (1, 2, 3, 4):
            seen[f"{guild} stats {user}"] = await store.player_stats(guild, user)
            seen[f"{guild} daily streak {user}"] = await store.daily_streak(guild, user)
        scopes = {
            "all time": Scope(),
            "season 1 (archived)": Scope(season=1),
            "season 2 (current)": Scope(season=2),
            "a pack": Scope(pack_id="films"),
            "a period": Scope(since=1_050.0, until=1_250.0),
        }
        for name, scope in scopes.items():
            seen[f"{guild} {name}"] = await store.standings(guild, scope, limit=100)
        seen[f"{guild} current season"] = await store.current_season(guild)
        seen[f"{guild} seasons"] = await store.seasons(guild)
        seen[f"{guild} packs"] = await store.list_packs(guild)
        seen[f"{guild} open reports"] = await store.open_reports(guild)
        seen[f"{guild} disabled"] = await store.disabled_questions(guild)
        seen[f"{guild} asked"] = await store.asked_questions(guild, "samples-101")
        seen[f"{guild} daily question"] = await store.daily_question(guild, DAY)
        seen[f"{guild} daily answer"] = await store.daily_answer(guild, DAY, 1)
        seen[f"{guild} daily tally"] = await store.daily_tally(guild, DAY)
    seen["daily channels"] = await store.daily_channels()
    return seen


async def _populated_sqlite(path: Path) -> dict[str, Any]:
    async with SqliteStore(path) as store:
        await _populate(store)
        return await _everything_readable(store)


def _sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }


async def _target_counts(url: str, tables: set[str]) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {table: await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"') for table in sorted(tables)}
    finally:
        await conn.close()


async def test_the_copy_holds_every_row_and_every_board_reads_the_same(
    tmp_path: Path, postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "crate.db"
    before = await _populated_sqlite(source)
    url = await postgres_server.create_database()

    # main() runs its own event loop, so it runs on a thread here, as it would in a terminal.
    assert await asyncio.to_thread(main, ["db", "copy", "--from", str(source), "--to", url]) == 0

    printed = capsys.readouterr().out
    assert postgres_server.password not in printed
    assert "counts and checksums equal" in printed
    tables = _sqlite_tables(source)
    with sqlite3.connect(source) as conn:
        source_counts = {table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}
    # Every table holds rows here, so the round trip exercises all of them: a table a new migration
    # adds must be filled in _populate too.
    assert [table for table, count in source_counts.items() if count == 0] == []
    assert await _target_counts(url, tables) == source_counts
    for table, count in source_counts.items():
        assert f"{table} " in printed and f" {count} " in printed

    async with PostgresStore(url) as copied:
        assert await _everything_readable(copied) == before
        # The identity sequences moved past the copied ids: new rows get fresh ones.
        game = await copied.start_game(GUILDS[0], 55, "films", "classic", started_at=5_000.0)
        assert game > source_counts["games"]
        await copied.record_answers(game, GUILDS[0], [scored(9, "new", True, 5_000.0)])
        report = await copied.add_report(
            guild_id=GUILDS[0],
            pack_id="films",
            question_id="q9",
            prompt="?",
            user_id=9,
            reason=ReportReason.UNCLEAR,
            comment="",
            reported_at=5_000.0,
        )
        assert report is not None and report.id > source_counts["question_reports"]


async def test_every_table_of_the_sqlite_schema_is_copied(tmp_path: Path, postgres_server: PostgresServer) -> None:
    source = tmp_path / "crate.db"
    async with SqliteStore(source):
        pass  # just the schema, every migration applied
    report = await copy_sqlite_to_postgres(source, await postgres_server.create_database())

    assert {table.table for table in report.tables} == _sqlite_tables(source)
    assert report.schema_version == len(load_migrations())
    assert all(table.ok and table.source_rows == 0 for table in report.tables)


async def test_a_target_with_data_is_refused_unless_told_to_replace_it(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "crate.db"
    await _populated_sqlite(source)
    url = await postgres_server.create_database()
    first = await copy_sqlite_to_postgres(source, url)
    tables = _sqlite_tables(source)
    counts = await _target_counts(url, tables)

    with pytest.raises(StoreError, match=r"already holds Crate Digger data \(.*answers: \d+.*\).*--replace"):
        await copy_sqlite_to_postgres(source, url)
    assert await _target_counts(url, tables) == counts

    again = await copy_sqlite_to_postgres(source, url, replace=True)
    assert again.replaced_rows == first.rows
    assert await _target_counts(url, tables) == counts


async def test_a_failure_mid_copy_leaves_the_target_as_it_was(tmp_path: Path, postgres_server: PostgresServer) -> None:
    source, broken = tmp_path / "crate.db", tmp_path / "broken.db"
    await _populated_sqlite(source)
    url = await postgres_server.create_database()
    await copy_sqlite_to_postgres(source, url)
    tables = _sqlite_tables(source)
    counts = await _target_counts(url, tables)
    async with PostgresStore(url) as store:
        boards = await _everything_readable(store)

    # The broken source holds an answer whose game is gone: PostgreSQL refuses it half way through
    # the copy, after the earlier tables were copied (and the target's rows deleted, by --replace).
    await _populated_sqlite(broken)
    with sqlite3.connect(broken) as conn:
        conn.execute(
            "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at)"
            " VALUES (999, 1001, 1, 'q', 1, 10, 1.0)"
        )
    with pytest.raises(StoreError, match=r"copying table answers failed: .*foreign key.* is unchanged"):
        await copy_sqlite_to_postgres(broken, url, replace=True)
    assert await _target_counts(url, tables) == counts

    def fail_before_commit() -> None:
        raise RuntimeError("the connection dropped")

    with pytest.raises(RuntimeError):
        await copy_sqlite_to_postgres(source, url, replace=True, before_commit=fail_before_commit)
    async with PostgresStore(url) as store:
        assert await _everything_readable(store) == boards


async def test_a_source_on_another_schema_version_is_refused(tmp_path: Path, postgres_server: PostgresServer) -> None:
    source = tmp_path / "crate.db"
    await _populated_sqlite(source)
    with sqlite3.connect(source) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) - 1}")
    url = await postgres_server.create_database()

    with pytest.raises(StoreError, match="run the bot .* once .* so it migrates"):
        await copy_sqlite_to_postgres(source, url)
    conn = await asyncpg.connect(url)
    try:  # refused before the target was even migrated
        assert await conn.fetchval("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()

    with sqlite3.connect(source) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 1}")
    with pytest.raises(StoreError, match="newer than this Crate Digger knows"):
        await copy_sqlite_to_postgres(source, url)


async def test_a_table_postgres_lacks_stops_the_copy_before_anything_is_written(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "crate.db"
    await _populated_sqlite(source)
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE favourite_songs (user_id INTEGER, song TEXT)")
        conn.execute("ALTER TABLE players ADD COLUMN nickname TEXT")
    url = await postgres_server.create_database()

    with pytest.raises(StoreError, match="table favourite_songs is in the SQLite database but not in PostgreSQL"):
        await copy_sqlite_to_postgres(source, url)
    assert sum((await _target_counts(url, _sqlite_tables(source) - {"favourite_songs"})).values()) == 0


async def test_the_copy_reads_a_snapshot_while_the_bot_holds_a_write(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "crate.db"
    await _populated_sqlite(source)
    with sqlite3.connect(source) as conn:
        (answers,) = conn.execute("SELECT COUNT(*) FROM answers").fetchone()
    bot = sqlite3.connect(source, isolation_level=None)
    try:
        bot.execute("BEGIN IMMEDIATE")  # the bot is half way through a write
        bot.execute("DELETE FROM answers")
        report = await copy_sqlite_to_postgres(source, await postgres_server.create_database())
        bot.execute("ROLLBACK")
    finally:
        bot.close()
    assert {table.table: table.target_rows for table in report.tables}["answers"] == answers


def test_the_cli_says_what_is_wrong_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "copy", "--from", str(tmp_path / "crate.db")]) == 2
    assert "needs a PostgreSQL target" in capsys.readouterr().err
    assert (
        main(["db", "copy", "--from", str(tmp_path / "missing.db"), "--to", "postgresql://u:secret@127.0.0.1:1/x"]) == 2
    )
    error = capsys.readouterr().err
    assert "there is no database at" in error and "Traceback" not in error
