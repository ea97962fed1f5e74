"""Moving up: copying a SQLite database into PostgreSQL (``crate-digger db copy``), verified.

How it stays safe:

* The source is read through a connection that cannot write (``PRAGMA query_only``), inside ONE read
  transaction: in WAL mode that is a snapshot of one moment, and a bot still running on the file keeps
  writing undisturbed (what it writes after the snapshot is not copied, hence "stop the bot first").
* The target is migrated first (by ``PostgresStore``, under its advisory lock), then every row is
  copied, identity sequences moved past the copied ids, and the copy verified (row counts and a
  checksum of every table), all in ONE PostgreSQL transaction that commits only if the verification
  passed. Any failure rolls the target back to exactly what it was.
* Tables, columns and foreign keys are read from the two schemas, not listed here, so a table a later
  migration adds is copied without touching this file; a table or column with no twin on the other
  side stops the copy before anything is written.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.storage.errors import StoreError
from bot.storage.maintenance import connect_existing_sqlite
from bot.storage.sqlite import load_migrations
from bot.storage.urls import redact_url, url_password

if TYPE_CHECKING:
    import asyncpg

# Rows per COPY batch: large enough that the per-batch overhead vanishes, small enough to keep memory flat.
BATCH_ROWS = 5_000
# The bookkeeping table of the PostgreSQL migrations; SQLite keeps the same in PRAGMA user_version.
_TARGET_ONLY_TABLES = frozenset({"schema_migrations"})
# A checksum is the sum of the rows' digests modulo this: independent of the order rows come in.
_CHECKSUM_MODULUS = 2**128

_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})
_FLOAT_TYPES = frozenset({"double precision", "real"})
_TEXT_TYPES = frozenset({"text", "character varying", "character"})
_KNOWN_TYPES = _INTEGER_TYPES | _FLOAT_TYPES | _TEXT_TYPES | {"boolean", "date"}


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    target_rows: int
    checksums_match: bool

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.checksums_match


@dataclass(frozen=True)
class CopyReport:
    source: Path
    target: str  # the URL with its password redacted
    schema_version: int
    tables: tuple[TableCopy, ...]
    replaced_rows: int  # rows the target held before, deleted because the copy was told to replace them
    seconds: float

    @property
    def rows(self) -> int:
        return sum(table.target_rows for table in self.tables)


@dataclass(frozen=True)
class _Column:
    name: str
    pg_type: str
    identity: bool  # the id comes from a sequence (identity or serial) that must be moved past the copy


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[_Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


class _VerificationFailed(Exception):
    def __init__(self, tables: Sequence[TableCopy]) -> None:
        super().__init__("verification failed")
        self.tables = tuple(tables)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# -- values --------------------------------------------------------------------------------------


def _to_target(pg_type: str, value: Any) -> Any:
    """A SQLite value as the PostgreSQL column takes it (SQLite keeps booleans as 0/1, days as text)."""
    if value is None:
        return None
    if pg_type == "boolean":
        if value not in (0, 1):
            raise ValueError(f"{value!r} is not 0 or 1")
        return bool(value)
    if pg_type == "date":
        return date.fromisoformat(value)
    if pg_type in _INTEGER_TYPES:
        if not isinstance(value, int):
            raise ValueError(f"{value!r} is not an integer")
        return value
    if pg_type in _FLOAT_TYPES:
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def _canonical(pg_type: str, value: Any) -> Any:
    """One form for a value read from either database, so that equal data digests alike.

    Applied to the raw SQLite value and to the value PostgreSQL returns, never to the converted
    one, so a conversion that changed a value shows up as a checksum mismatch.
    """
    if value is None:
        return None
    if pg_type == "date":
        return value if isinstance(value, str) else value.isoformat()
    if pg_type == "boolean":
        return int(value)
    if pg_type in _FLOAT_TYPES:
        return float(value)
    return value


def _row_digest(table: _Table, row: Sequence[Any]) -> int:
    canonical = tuple(_canonical(column.pg_type, value) for column, value in zip(table.columns, row, strict=True))
    return int.from_bytes(hashlib.blake2b(repr(canonical).encode(), digest_size=16).digest(), "big")


# -- the source ----------------------------------------------------------------------------------


class _Source:
    """The SQLite database as one snapshot, read on a worker thread so the event loop never waits on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> int:
        """Open, start the snapshot and return the schema version; refuse a version the code does not have."""
        # check_same_thread=False: every call runs on some worker thread, one at a time.
        self._conn = await asyncio.to_thread(connect_existing_sqlite, self.path, "rw", check_same_thread=False)
        return await asyncio.to_thread(self._begin)

    def _begin(self) -> int:
        assert self._conn is not None
        self._conn.execute("PRAGMA query_only = ON")  # this connection cannot write, whatever runs on it
        # The first read inside BEGIN fixes the snapshot every later read sees.
        self._conn.execute("BEGIN")
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        known = len(load_migrations())
        if version == 0:
            raise StoreError(f"{self.path} is not a Crate Digger database (schema version 0: no migration applied)")
        if version > known:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this Crate Digger knows ({known}); "
                "upgrade Crate Digger first"
            )
        if version < known:
            raise StoreError(
                f"{self.path} has schema version {version} but this Crate Digger's is {known}: run the bot "
                "(or `crate-digger play`) once with DATABASE_PATH pointing at it so it migrates, then copy again"
            )
        return version

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.to_thread(conn.close)

    async def tables(self) -> dict[str, tuple[str, ...]]:
        """Every table of the schema and its column names."""
        return await asyncio.to_thread(self._tables)

    def _tables(self) -> dict[str, tuple[str, ...]]:
        assert self._conn is not None
        names = [
            row[0]
            for row in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                " ORDER BY name"
            )
        ]
        return {
            name: tuple(row[1] for row in self._conn.execute(f"PRAGMA table_info({_quote(name)})")) for name in names
        }

    async def count(self, table: _Table) -> int:
        return await asyncio.to_thread(self._count, table)

    def _count(self, table: _Table) -> int:
        assert self._conn is not None
        return int(self._conn.execute(f"SELECT COUNT(*) FROM {_quote(table.name)}").fetchone()[0])

    async def batches(self, table: _Table) -> Any:
        """The table's rows, ``BATCH_ROWS`` at a time, columns in ``table.columns`` order."""
        assert self._conn is not None
        columns = ", ".join(_quote(name) for name in table.column_names)
        cursor = await asyncio.to_thread(self._conn.execute, f"SELECT {columns} FROM {_quote(table.name)}")
        try:
            while rows := await asyncio.to_thread(cursor.fetchmany, BATCH_ROWS):
                yield rows
        finally:
            await asyncio.to_thread(cursor.close)


# -- the target ----------------------------------------------------------------------------------

_COLUMNS_SQL = """
    SELECT c.table_name, c.column_name, c.data_type,
           (c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%') AS from_sequence
    FROM information_schema.columns AS c
    JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position
"""

_FOREIGN_KEYS_SQL = """
    SELECT child.relname AS child, parent.relname AS parent
    FROM pg_constraint AS con
    JOIN pg_class AS child ON child.oid = con.conrelid
    JOIN pg_class AS parent ON parent.oid = con.confrelid
    WHERE con.contype = 'f' AND child.relnamespace = current_schema()::regnamespace
"""


async def _target_tables(conn: asyncpg.Connection) -> dict[str, _Table]:
    columns: dict[str, list[_Column]] = {}
    for row in await conn.fetch(_COLUMNS_SQL):
        if row["table_name"] in _TARGET_ONLY_TABLES:
            continue
        columns.setdefault(row["table_name"], []).append(
            _Column(row["column_name"], row["data_type"], bool(row["from_sequence"]))
        )
    return {name: _Table(name, tuple(found)) for name, found in columns.items()}


async def _copy_order(conn: asyncpg.Connection, tables: Iterable[str]) -> list[str]:
    """Parents before children, so every foreign key finds its row; otherwise alphabetical."""
    names = set(tables)
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name in sorted(names):
        sorter.add(name)
    for row in await conn.fetch(_FOREIGN_KEYS_SQL):
        if row["child"] != row["parent"] and row["child"] in names:
            sorter.add(row["child"], row["parent"])
    return list(sorter.static_order())


def _matched_tables(source: dict[str, tuple[str, ...]], target: dict[str, _Table]) -> list[_Table]:
    """The target's tables, after checking both schemas hold the same tables and columns."""
    problems = []
    for name in sorted(source.keys() - target.keys()):
        problems.append(f"table {name} is in the SQLite database but not in PostgreSQL")
    for name in sorted(target.keys() - source.keys()):
        problems.append(f"table {name} is in PostgreSQL but not in the SQLite database")
    for name in sorted(source.keys() & target.keys()):
        source_columns, target_columns = set(source[name]), set(target[name].column_names)
        for column in sorted(source_columns ^ target_columns):
            side = "SQLite" if column in source_columns else "PostgreSQL"
            problems.append(f"column {name}.{column} is only in {side}")
        for column in target[name].columns:
            if column.pg_type not in _KNOWN_TYPES:
                problems.append(f"column {name}.{column.name} has type {column.pg_type}, which db copy cannot convert")
    if problems:
        raise StoreError(
            "the two schemas differ, so nothing was copied: " + "; ".join(problems) + ". Give Crate Digger a "
            "PostgreSQL database of its own, and the SQLite file only Crate Digger's migrations"
        )
    return [target[name] for name in sorted(target)]


async def _counts(conn: asyncpg.Connection, tables: Iterable[_Table]) -> dict[str, int]:
    return {table.name: int(await conn.fetchval(f"SELECT COUNT(*) FROM {_quote(table.name)}")) for table in tables}


async def _target_checksum(conn: asyncpg.Connection, table: _Table) -> int:
    columns = ", ".join(_quote(name) for name in table.column_names)
    total = 0
    # A server-side cursor (we are inside the transaction): memory stays flat however big the table.
    async for record in conn.cursor(f"SELECT {columns} FROM {_quote(table.name)}", prefetch=BATCH_ROWS):
        total = (total + _row_digest(table, tuple(record))) % _CHECKSUM_MODULUS
    return total


async def _copy_table(conn: asyncpg.Connection, source: _Source, table: _Table) -> int:
    """Copy every row; return the source's checksum of what was read."""
    checksum = 0
    async for rows in source.batches(table):
        converted = []
        for row in rows:
            checksum = (checksum + _row_digest(table, row)) % _CHECKSUM_MODULUS
            converted.append(_converted(table, row))
        await conn.copy_records_to_table(table.name, records=converted, columns=list(table.column_names))
    return checksum


def _converted(table: _Table, row: Sequence[Any]) -> tuple[Any, ...]:
    values = []
    for column, value in zip(table.columns, row, strict=True):
        try:
            values.append(_to_target(column.pg_type, value))
        except (TypeError, ValueError) as exc:
            raise StoreError(f"table {table.name}, column {column.name}: {exc}; nothing was copied") from None
    return tuple(values)


async def _move_sequences_past_copied_ids(conn: asyncpg.Connection, table: _Table) -> None:
    for column in table.columns:
        if not column.identity:
            continue
        # The next id handed out is one past the largest copied (1 on an empty table), so a new row
        # never collides with a copied one.
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({_quote(column.name)}), 0) + 1, false)"
            f" FROM {_quote(table.name)}",
            _quote(table.name),
            column.name,
        )


# -- the copy ------------------------------------------------------------------------------------


async def copy_sqlite_to_postgres(
    source_path: Path,
    url: str,
    *,
    replace: bool = False,
    before_commit: Callable[[], None] | None = None,
) -> CopyReport:
    """Copy every table of the SQLite database at ``source_path`` into the PostgreSQL database at ``url``.

    Refuses a target that holds any row unless ``replace`` (then its rows are deleted first, in the
    same transaction). ``before_commit`` runs after the verification, just before the commit (tests
    use it to fail there). Raises ``StoreError`` saying what went wrong; the target is then unchanged.
    """
    import asyncpg

    from bot.storage.postgres import PostgresStore

    started = time.perf_counter()
    shown = redact_url(url)
    source = _Source(source_path)
    try:
        version = await source.open()
        # Migrating is the store's job (under its advisory lock): the target ends up at the code's version.
        store = PostgresStore(url, min_size=1, max_size=1)
        await store.open()
        await store.close()
        try:
            conn = await asyncpg.connect(url, timeout=10, command_timeout=None)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError, ValueError) as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {shown}: {_scrub(url, exc)}") from None
        try:
            tables = _matched_tables(await source.tables(), await _target_tables(conn))
            by_name = {table.name: table for table in tables}
            ordered = [by_name[name] for name in await _copy_order(conn, by_name)]
            try:
                async with conn.transaction():
                    replaced = await _empty_target(conn, ordered, shown, replace=replace)
                    checksums: dict[str, int] = {}
                    for table in ordered:
                        try:
                            checksums[table.name] = await _copy_table(conn, source, table)
                        except asyncpg.PostgresError as exc:
                            raise StoreError(
                                f"copying table {table.name} failed: {_scrub(url, exc)}; {shown} is unchanged "
                                "(`crate-digger db check` on the source may say why)"
                            ) from exc
                        await _move_sequences_past_copied_ids(conn, table)
                    report = await _verify(conn, source, ordered, checksums)
                    if not all(table.ok for table in report):
                        raise _VerificationFailed(report)
                    if before_commit is not None:
                        before_commit()
            except _VerificationFailed as failed:
                wrong = ", ".join(table.table for table in failed.tables if not table.ok)
                raise StoreError(
                    f"the copy did not verify ({wrong}), so it was rolled back and {shown} is unchanged"
                ) from None
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                raise StoreError(f"copying into {shown} failed: {_scrub(url, exc)}; it is unchanged") from exc
        finally:
            await conn.close()
    finally:
        await source.close()
    return CopyReport(source_path, shown, version, tuple(report), replaced, time.perf_counter() - started)


async def _empty_target(conn: asyncpg.Connection, tables: Sequence[_Table], shown: str, *, replace: bool) -> int:
    """Check the target holds nothing; with ``replace``, delete what it holds. Returns the rows deleted."""
    held = {name: count for name, count in (await _counts(conn, tables)).items() if count}
    if not held:
        return 0
    if not replace:
        listed = ", ".join(f"{name}: {count}" for name, count in sorted(held.items()))
        raise StoreError(
            f"{shown} already holds Crate Digger data ({listed}); nothing was copied. Point --to at an empty "
            "database, or pass --replace to delete that data and copy over it"
        )
    names = ", ".join(_quote(table.name) for table in tables)
    await conn.execute(f"TRUNCATE {names} RESTART IDENTITY")
    return sum(held.values())


async def _verify(
    conn: asyncpg.Connection, source: _Source, tables: Sequence[_Table], checksums: dict[str, int]
) -> list[TableCopy]:
    target_counts = await _counts(conn, tables)
    return [
        TableCopy(
            table=table.name,
            source_rows=await source.count(table),
            target_rows=target_counts[table.name],
            checksums_match=checksums[table.name] == await _target_checksum(conn, table),
        )
        for table in tables
    ]


def _scrub(url: str, exc: BaseException) -> str:
    # One line: PostgreSQL's DETAIL comes on a line of its own.
    text = " ".join((str(exc) or type(exc).__name__).split())
    password = url_password(url)
    return text.replace(password, "***") if password else text
