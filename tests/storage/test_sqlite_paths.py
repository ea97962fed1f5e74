"""Database files the store cannot or must not use: each is a ``StoreError`` saying what to do, nothing changed.

Tests run as root, for whom a chmod'ed folder or file is still writable: the read-only paths here are
made immutable (``chattr +i``), which stops root too; where that is not possible the tests are skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.errors import StoreError
from bot.storage.sqlite import APPLICATION_ID, SqliteStore, load_migrations

pytestmark = pytest.mark.reliability


async def open_fails(path: Path | str) -> str:
    store = SqliteStore(path)
    with pytest.raises(StoreError) as raised:
        await store.open()
    await store.close()
    message = str(raised.value)
    assert "\n" not in message
    return message


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """A folder nobody, root included, can create files in; or a file nobody can write."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield path
        finally:
            path.chmod(mode)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no way to make a path read-only")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_a_folder(tmp_path):
    message = await open_fails(tmp_path)
    assert "is a folder" in message and "DATABASE_PATH" in message


async def test_a_device_file():
    message = await open_fails("/dev/null")
    assert "not a regular file" in message


async def test_a_path_under_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    message = await open_fails(tmp_path / "notes.txt" / "scores.sqlite3")
    assert "cannot create the folder" in message and "DATABASE_PATH" in message
    assert (tmp_path / "notes.txt").read_text() == "hello\n"


async def test_a_file_in_proc():
    message = await open_fails("/proc/x.sqlite3")
    assert "cannot write the database /proc/x.sqlite3" in message and "DATABASE_PATH" in message


async def test_a_new_file_in_a_read_only_folder(tmp_path):
    (tmp_path / "locked").mkdir()
    with read_only(tmp_path / "locked") as folder:
        message = await open_fails(folder / "scores.sqlite3")
    assert "cannot write the database" in message
    assert not (folder / "scores.sqlite3").exists()


async def test_an_existing_database_in_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    async with SqliteStore(folder / "scores.sqlite3"):
        pass
    with read_only(folder):
        message = await open_fails(folder / "scores.sqlite3")
    assert "cannot write the database" in message


async def test_a_read_only_database_file_is_found_out_at_open_not_at_the_first_score(tmp_path):
    path = tmp_path / "scores.sqlite3"
    async with SqliteStore(path):
        pass
    with read_only(path):
        message = await open_fails(path)
    assert "cannot write the database" in message and "readonly" in message


async def test_a_text_file_is_left_as_it_was(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my shopping list\n" * 200)
    before = digest(path)
    message = await open_fails(path)
    assert "is not a SQLite database" in message
    assert digest(path) == before


@pytest.mark.parametrize(
    "schema",
    [
        ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('keep me')"],
        # Another program that also keeps its schema version in user_version.
        ["CREATE TABLE notes (body TEXT)", "PRAGMA user_version = 1"],
        # Even one that happens to use a table name of ours.
        ["CREATE TABLE players (name TEXT)", "PRAGMA user_version = 3"],
        # One that stamps its own application id on an otherwise empty file.
        ["PRAGMA application_id = 1234"],
    ],
    ids=["tables", "versioned", "clashing-name", "other-application-id"],
)
async def test_another_programs_database_is_refused_untouched(tmp_path, schema):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in schema:
            conn.execute(statement)
    before = digest(path)
    message = await open_fails(path)
    assert "another program's SQLite database" in message and "left it untouched" in message
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite3"]  # no -wal/-shm either


async def test_a_newer_schema_says_upgrade(tmp_path):
    path = tmp_path / "scores.sqlite3"
    async with SqliteStore(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 1}")
    message = await open_fails(path)
    assert "newer than this Crate Digger knows" in message and "upgrade Crate Digger" in message


async def test_own_files_are_stamped_and_older_unstamped_ones_still_open(tmp_path):
    path = tmp_path / "scores.sqlite3"
    async with SqliteStore(path):
        pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        conn.execute("PRAGMA application_id = 0")  # as written before the stamp existed
    async with SqliteStore(path) as store:
        await store.player_stats(1, 1)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
