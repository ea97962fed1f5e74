"""`crate-digger health`: the container's HEALTHCHECK. Read-only, fast, and right about what it finds."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage.health import sqlite_health
from bot.storage.sqlite import SqliteStore, load_migrations

KNOWN = load_migrations()[-1].number


async def made_by_the_bot(path: Path) -> Path:
    async with SqliteStore(path) as store:
        await store.start_game(1, 2, "pack", "choices", 0.0)
    return path


async def test_a_database_the_bot_made_is_healthy(tmp_path: Path) -> None:
    path = await made_by_the_bot(tmp_path / "bot.sqlite3")
    health = sqlite_health(path)
    assert health.ok, health.detail
    assert f"schema version {KNOWN} of {KNOWN}" in health.detail


def test_a_missing_file_is_unhealthy_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing-yet.sqlite3"
    health = sqlite_health(path)
    assert not health.ok
    assert "no database file" in health.detail
    assert not path.exists()


def test_another_programs_database_is_unhealthy_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("PRAGMA application_id = 42")
        conn.commit()
    before = path.read_bytes()
    health = sqlite_health(path)
    assert not health.ok
    assert "another program" in health.detail
    assert path.read_bytes() == before


def test_an_empty_file_is_not_yet_set_up(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    health = sqlite_health(path)
    assert not health.ok
    assert "not set up yet" in health.detail
    assert path.read_bytes() == b""


async def test_a_newer_schema_is_unhealthy(tmp_path: Path) -> None:
    path = await made_by_the_bot(tmp_path / "bot.sqlite3")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {KNOWN + 1}")
    health = sqlite_health(path)
    assert not health.ok
    assert "newer" in health.detail


async def test_a_file_that_is_not_sqlite_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just text that is long enough to have a header\n" * 20)
    health = sqlite_health(path)
    assert not health.ok
    assert "cannot read" in health.detail


async def test_healthy_while_the_bot_holds_the_write_lock(tmp_path: Path) -> None:
    """WAL readers do not wait for the writer: a busy bot is not reported dead."""
    path = await made_by_the_bot(tmp_path / "bot.sqlite3")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO games (guild_id, channel_id, pack_id, mode, started_at) VALUES (1, 3, 'p', 'x', 0)")
        assert sqlite_health(path).ok
        writer.execute("ROLLBACK")


async def test_the_command_exits_0_or_1_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    path = tmp_path / "data" / "crate-digger.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))

    assert main(["health"]) == 1
    assert "unhealthy: no database file" in capsys.readouterr().err

    await made_by_the_bot(path)
    assert main(["health"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


# -- PostgreSQL (what compose.yaml's bot runs on) -------------------------------------------------


async def test_postgres_health_follows_the_schema(postgres_server) -> None:
    import asyncio

    from bot.storage.health import postgres_health
    from bot.storage.postgres import PostgresStore

    url = await postgres_server.create_database()
    empty = await asyncio.to_thread(postgres_health, url)
    assert not empty.ok and "not set up yet" in empty.detail
    async with PostgresStore(url):
        pass
    health = await asyncio.to_thread(postgres_health, url)
    assert health.ok, health.detail
    assert postgres_server.password not in health.detail


def test_health_with_database_url_probes_postgres_not_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A closed port: nothing listens there, so the probe must say it cannot reach PostgreSQL
    # (before the fix it looked for the SQLite file instead, which compose's bot never has).
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:s3cret@127.0.0.1:{port}/crate")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "absent.sqlite3"))
    assert main(["health"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the database" in err and "127.0.0.1" in err
    assert "s3cret" not in err and "absent.sqlite3" not in err
