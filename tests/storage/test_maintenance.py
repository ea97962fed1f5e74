"""`db check` and `db backup`: integrity checks, schema versions, and SQLite backups taken while the bot writes."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from bot.storage.base import ScoredAnswer
from bot.storage.errors import StoreError
from bot.storage.maintenance import backup_sqlite, check_postgres, check_sqlite
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore, load_migrations
from tests.postgres_server import PostgresServer

GUILD = 1001


def answer(user_id: int, question: str) -> ScoredAnswer:
    return ScoredAnswer(user_id, f"player{user_id}", question, True, 10, 1_000.0)


async def _database_with_a_game(path: Path) -> None:
    async with SqliteStore(path) as store:
        game = await store.start_game(GUILD, 5, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(1, "q1"), answer(2, "q1")])


def _query(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


# -- backup -------------------------------------------------------------------------------------


async def test_a_backup_taken_while_games_are_writing_is_whole_and_consistent(tmp_path: Path) -> None:
    source, target = tmp_path / "crate.db", tmp_path / "backups" / "crate-backup.db"
    written = 0
    stop = asyncio.Event()

    async with SqliteStore(source) as store:
        games = [await store.start_game(GUILD, channel, "pack", "classic", 1.0) for channel in (5, 6)]

        async def keep_writing(game: int) -> None:
            nonlocal written
            while not stop.is_set():
                batch = [answer(user, f"q{written}") for user in range(1, 6)]
                await store.record_answers(game, GUILD, batch)
                written += 1

        writers = [asyncio.create_task(keep_writing(game)) for game in games]
        while written < 20:
            await asyncio.sleep(0.01)
        report = await asyncio.to_thread(backup_sqlite, source, target)
        stop.set()
        await asyncio.gather(*writers)

    assert report.path == target and report.size_bytes == target.stat().st_size
    assert report.schema_version == len(load_migrations())
    assert _query(target, "PRAGMA integrity_check") == [("ok",)]
    assert _query(target, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    (answers_in_copy,) = _query(target, "SELECT COUNT(*) FROM answers")[0]
    (answered_in_copy,) = _query(target, "SELECT SUM(answered) FROM players")[0]
    # Whole transactions only: every answer copied was also counted in its player's totals.
    assert answers_in_copy == answered_in_copy
    assert 20 * 5 <= answers_in_copy <= written * 5


async def test_a_backup_never_waits_for_or_copies_an_uncommitted_write(tmp_path: Path) -> None:
    source, target = tmp_path / "crate.db", tmp_path / "copy.db"
    await _database_with_a_game(source)
    writer = sqlite3.connect(source, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as the bot does mid-write
        writer.execute("INSERT INTO guild_packs VALUES (1, 'half-written', 'x', 1, 1.0)")
        backup_sqlite(source, target)
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert _query(target, "SELECT COUNT(*) FROM answers") == [(2,)]
    assert _query(target, "SELECT COUNT(*) FROM guild_packs") == [(0,)]


async def test_a_backup_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    source, target = tmp_path / "crate.db", tmp_path / "copy.db"
    await _database_with_a_game(source)
    target.write_text("an older backup")
    with pytest.raises(StoreError, match="already exists"):
        backup_sqlite(source, target)
    assert target.read_text() == "an older backup"
    backup_sqlite(source, target, replace=True)
    assert _query(target, "SELECT COUNT(*) FROM answers") == [(2,)]
    assert [path.name for path in tmp_path.iterdir() if "partial" in path.name] == []


def test_a_backup_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="there is no database at"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "copy.db")
    assert list(tmp_path.iterdir()) == []


async def test_a_failed_backup_leaves_no_partial_file(tmp_path: Path) -> None:
    source = tmp_path / "crate.db"
    await _database_with_a_game(source)
    (tmp_path / "not-a-folder").write_text("")
    with pytest.raises(StoreError, match="cannot write the backup"):
        backup_sqlite(source, tmp_path / "not-a-folder" / "copy.db")
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith("crate.db")) == ["not-a-folder"]


# -- check (SQLite) -----------------------------------------------------------------------------


async def test_check_passes_a_healthy_database(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    await _database_with_a_game(path)
    report = check_sqlite(path)
    assert report.ok, report.problems
    assert report.schema_version == report.known_version == len(load_migrations())


async def test_check_finds_a_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    await _database_with_a_game(path)
    with sqlite3.connect(path) as conn:  # fold the WAL in, so the damage below hits the only copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = _query(path, "PRAGMA page_size")[0][0]
    (root_page,) = _query(path, "SELECT rootpage FROM sqlite_master WHERE name = 'answers_by_guild_time'")[0]
    with path.open("r+b") as file:  # scribble over an index page, as a failing disk might
        file.seek((root_page - 1) * page_size + 8)
        file.write(b"\xff" * 64)
    report = check_sqlite(path)
    assert not report.ok
    assert any(problem.startswith("integrity:") for problem in report.problems)


async def test_check_reports_a_schema_newer_than_this_code(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    await _database_with_a_game(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    report = check_sqlite(path)
    assert report.schema_version == 999
    assert any("newer than this Crate Digger knows" in problem for problem in report.problems)


def test_check_refuses_what_is_not_a_crate_digger_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    assert any("not a Crate Digger database" in problem for problem in check_sqlite(other).problems)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot read .* as a SQLite database"):
        check_sqlite(garbage)


# -- check (PostgreSQL) -------------------------------------------------------------------------


async def test_check_postgres_reports_the_version_and_verifies_indexes(postgres_server: PostgresServer) -> None:
    url = await postgres_server.create_database()
    async with PostgresStore(url) as store:
        game = await store.start_game(GUILD, 5, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(1, "q1")])
    report = await check_postgres(url)
    assert report.ok, report.problems
    assert report.schema_version == report.known_version
    assert postgres_server.password not in report.database
    assert any("amcheck extension is not installed" in note for note in report.notes)

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION amcheck")
    finally:
        await conn.close()
    report = await check_postgres(url)
    assert report.ok, report.problems
    verified = [int(match[1]) for note in report.notes if (match := re.match(r"amcheck verified (\d+) ", note))]
    assert verified and verified[0] > 0


async def test_check_postgres_finds_an_invalid_index_and_an_empty_database(postgres_server: PostgresServer) -> None:
    url = await postgres_server.create_database()
    assert any("not a Crate Digger database" in problem for problem in (await check_postgres(url)).problems)
    async with PostgresStore(url):
        pass
    conn = await asyncpg.connect(url)
    try:
        # What a failed CREATE INDEX CONCURRENTLY leaves behind.
        await conn.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'answers_by_guild_time'::regclass"
        )
    finally:
        await conn.close()
    report = await check_postgres(url)
    assert [problem for problem in report.problems if "answers_by_guild_time is invalid" in problem]


# -- the CLI ------------------------------------------------------------------------------------


async def test_cli_db_check_and_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    path = tmp_path / "crate.db"
    await _database_with_a_game(path)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env

    assert await asyncio.to_thread(main, ["db", "check"]) == 0
    assert await asyncio.to_thread(main, ["db", "backup", str(tmp_path / "copy.db")]) == 0
    assert await asyncio.to_thread(main, ["db", "backup", str(tmp_path / "copy.db")]) == 2
    out, err = capsys.readouterr()
    known = len(load_migrations())
    assert f"schema version: {known} (this Crate Digger knows {known})\nok\n" in out
    assert f"backed up {path} to {tmp_path / 'copy.db'}" in out
    assert "already exists" in err and "Traceback" not in err

    monkeypatch.setenv("DATABASE_URL", "postgresql://crate:hunter2@127.0.0.1:1/crate")
    assert await asyncio.to_thread(main, ["db", "backup", str(tmp_path / "other.db")]) == 2
    assert await asyncio.to_thread(main, ["db", "check"]) == 2
    out, err = capsys.readouterr()
    assert "pg_dump" in err and "cannot connect to PostgreSQL at postgresql://crate:***@127.0.0.1:1" in err
    assert "hunter2" not in out + err
