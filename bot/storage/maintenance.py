"""Looking after a database from outside the bot: integrity checks, the schema version, SQLite backups.

These run from the CLI (``crate-digger db check``, ``db backup``), possibly while the bot is running on
the same database, so they only read: a check never migrates, and a backup reads one consistent
snapshot through SQLite's online backup API, which in WAL mode never blocks the bot's writer. A file
copy of a WAL database is never used: it can miss committed pages still in the ``-wal`` file, or catch
the main file half way through a checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.request import pathname2url

from bot.storage.errors import StoreError
from bot.storage.sqlite import BUSY_TIMEOUT_MS, load_migrations
from bot.storage.urls import redact_url, url_password

# A damaged file can report thousands of problems; the first few say enough.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class CheckReport:
    database: str  # a path, or a URL with its password redacted
    schema_version: int
    known_version: int
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    schema_version: int
    seconds: float


def _schema_problems(current: int, known: int) -> list[str]:
    if current > known:
        return [f"schema version {current} is newer than this Crate Digger knows ({known}); upgrade Crate Digger"]
    return []


def _schema_notes(current: int, known: int) -> list[str]:
    if current < known:
        return [f"{known - current} migration(s) not applied yet; the bot applies them when it next starts"]
    return []


def _sqlite_uri(path: Path, mode: str) -> str:
    # mode=ro/rw never creates a file, so a mistyped path is reported instead of becoming an empty database.
    return f"file:{pathname2url(str(path.resolve()))}?mode={mode}"


def connect_existing_sqlite(path: Path, mode: str, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection to the SQLite database at ``path`` (``mode`` ro or rw), never creating one."""
    if not path.is_file():
        raise StoreError(f"there is no database at {path}")
    try:
        conn = sqlite3.connect(
            _sqlite_uri(path, mode), uri=True, isolation_level=None, check_same_thread=check_same_thread
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # fails here if it is not a database
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read {path} as a SQLite database: {exc}") from exc
    return conn


def _sqlite_problems(conn: sqlite3.Connection) -> list[str]:
    try:
        problems = [
            f"integrity: {row[0]}" for row in conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})") if row[0] != "ok"
        ]
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchmany(MAX_PROBLEMS):
            problems.append(f"foreign key: {table} row {rowid} points at a missing {parent} row")
    except sqlite3.DatabaseError as exc:
        # Damage bad enough that the check itself cannot walk the file is still a finding, not a crash.
        problems = [f"integrity: {exc}"]
    return problems


def check_sqlite(path: Path) -> CheckReport:
    """``integrity_check``, ``foreign_key_check`` and the schema version of a SQLite database."""
    known = len(load_migrations())
    conn = connect_existing_sqlite(path, "ro")
    try:
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        problems = _schema_problems(current, known)
        if current == 0:
            problems.append("this is not a Crate Digger database (schema version 0: no migration applied)")
        problems += _sqlite_problems(conn)
    except sqlite3.Error as exc:
        raise StoreError(f"checking {path} failed: {exc}") from exc
    finally:
        conn.close()
    return CheckReport(str(path), current, known, tuple(problems), tuple(_schema_notes(current, known)))


async def check_postgres(url: str) -> CheckReport:
    """The schema version and what PostgreSQL can tell about the health of the tables and indexes.

    PostgreSQL enforces constraints as it writes, so what is left to find is what an interrupted
    operation can leave behind (a constraint never validated, an index build that failed) and, when
    the ``amcheck`` extension is installed, B-tree indexes that disagree with their tables.
    """
    import asyncpg

    from bot.storage.postgres import MIGRATIONS_PACKAGE

    shown = redact_url(url)
    known = len(load_migrations(MIGRATIONS_PACKAGE))
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError, ValueError) as exc:
        text = str(exc)
        password = url_password(url)
        raise StoreError(
            f"cannot connect to PostgreSQL at {shown}: {text.replace(password, '***') if password else text}"
        ) from None
    try:
        has_table = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        current = await conn.fetchval("SELECT COALESCE(MAX(number), 0) FROM schema_migrations") if has_table else 0
        problems = _schema_problems(current, known)
        if current == 0:
            problems.append("this is not a Crate Digger database (no schema_migrations recorded)")
        for row in await conn.fetch(
            "SELECT conrelid::regclass::text AS table_name, conname FROM pg_constraint"
            " WHERE NOT convalidated AND connamespace = 'public'::regnamespace"
        ):
            problems.append(f"constraint {row['conname']} on {row['table_name']} was never validated")
        indexes = await conn.fetch(
            "SELECT c.oid, c.relname, i.indisvalid, am.amname FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
            " WHERE c.relnamespace = 'public'::regnamespace ORDER BY c.relname"
        )
        problems += [
            f"index {row['relname']} is invalid (a failed build); rebuild it"
            for row in indexes
            if not row["indisvalid"]
        ]
        notes = _schema_notes(current, known)
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')"):
            checked = 0
            for row in indexes:
                if row["amname"] != "btree" or not row["indisvalid"]:
                    continue
                try:
                    await conn.execute("SELECT bt_index_check($1::oid::regclass, true)", row["oid"])
                    checked += 1
                except asyncpg.PostgresError as exc:
                    problems.append(f"index {row['relname']}: {exc}")
            notes.append(f"amcheck verified {checked} B-tree index(es) against their tables")
        else:
            notes.append(
                "the amcheck extension is not installed, so indexes were not verified (CREATE EXTENSION amcheck)"
            )
    except asyncpg.PostgresError as exc:
        raise StoreError(f"checking {shown} failed: {exc}") from exc
    finally:
        await conn.close()
    return CheckReport(shown, current, known, tuple(problems[:MAX_PROBLEMS]), tuple(notes))


def backup_sqlite(source: Path, target: Path, *, replace: bool = False) -> BackupReport:
    """Copy a SQLite database, consistent to one moment, while the bot may be writing to it.

    The copy is written beside the target, checked with ``integrity_check``, and only then renamed
    onto the target, so an interrupted or failed backup never leaves a half-written file under the
    name a restore would look for, nor destroys an older backup.
    """
    started = time.perf_counter()
    target = target.expanduser()
    if target.exists() and not replace:
        raise StoreError(f"{target} already exists; choose another name or pass --force to replace it")
    if target.exists() and source.exists() and target.resolve() == source.resolve():
        raise StoreError("the backup cannot be the database itself")
    source_conn = connect_existing_sqlite(source, "rw")  # rw, not ro: a WAL reader may need to create the -shm file
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            # One step copies every page inside one read transaction: a single snapshot, and in WAL
            # mode the bot keeps writing meanwhile.
            source_conn.backup(copy)
            # A backup is one self-contained file: no -wal beside it to lose.
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = _sqlite_problems(copy)
            version = int(copy.execute("PRAGMA user_version").fetchone()[0])
        finally:
            copy.close()
        if problems:
            raise StoreError(f"the copy of {source} failed its integrity check: {'; '.join(problems)}")
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except sqlite3.Error as exc:
        raise StoreError(f"backing up {source} failed: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target}: {exc.strerror or exc}") from exc
    finally:
        source_conn.close()
        with contextlib.suppress(OSError):  # best effort: there may be nothing, or no folder, to clean up
            partial.unlink()
    return BackupReport(target, target.stat().st_size, version, time.perf_counter() - started)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
