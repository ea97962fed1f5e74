"""A fast, read-only "is the database there and ours?" probe for container and service health checks.

Docker runs a HEALTHCHECK every 30 seconds for the life of the container, so this must cost a few
milliseconds and never write: it opens the file read-only, reads the header pragmas and the table
list, and never migrates, claims or creates anything. It is not an integrity check (``PRAGMA
integrity_check`` reads every page and takes minutes on a big file); a damaged page shows up there,
not here.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.request import pathname2url

from bot.storage.sqlite import APPLICATION_ID, OWN_TABLES, load_migrations

# Short on purpose: a health check that waits on the bot's write lock for the bot's own five seconds
# would report a busy bot as a dead one. A reader in WAL mode does not wait for the writer anyway.
HEALTH_BUSY_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str


def postgres_health(url: str, timeout: float = HEALTH_BUSY_TIMEOUT_SECONDS * 5) -> Health:
    """Whether the PostgreSQL database answers and has a Crate Digger schema this version knows.

    One connection, two reads, no migration: the same promise as the SQLite probe. The URL is shown
    only with its password redacted.
    """
    import asyncio

    import asyncpg

    from bot.storage.postgres import MIGRATIONS_PACKAGE
    from bot.storage.urls import redact_url

    shown = redact_url(url)
    known = load_migrations(MIGRATIONS_PACKAGE)[-1].number

    async def probe() -> Health:
        conn = await asyncpg.connect(url, timeout=timeout)
        try:
            if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
                return Health(False, f"{shown} has no Crate Digger schema: not set up yet (the bot creates it)")
            version = await conn.fetchval("SELECT COALESCE(MAX(number), 0) FROM schema_migrations")
        finally:
            await conn.close()
        if version > known:
            return Health(False, f"{shown} has schema version {version}, newer than this Crate Digger knows ({known})")
        return Health(True, f"{shown} answers, schema version {version} of {known}")

    try:
        return asyncio.run(asyncio.wait_for(probe(), timeout))
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        return Health(False, f"cannot reach the database {shown} ({type(error).__name__}: {str(error)[:200]})")


def sqlite_health(path: Path) -> Health:
    """Whether the bot's SQLite file exists, is Crate Digger's and has a schema this version knows."""
    if not path.is_file():
        return Health(False, f"no database file at {path} (yet): the bot creates it when it starts")
    known = load_migrations()[-1].number
    try:
        # mode=ro: a probe must never create, migrate or lock the file for writing.
        uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=HEALTH_BUSY_TIMEOUT_SECONDS)) as conn:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            }
    except sqlite3.Error as error:
        return Health(False, f"cannot read the database {path} (SQLite says: {error})")
    if application_id not in (0, APPLICATION_ID):
        return Health(False, f"{path} is another program's SQLite database (application id {application_id:#x})")
    missing = OWN_TABLES - tables
    if missing:
        return Health(False, f"{path} lacks Crate Digger's tables ({', '.join(sorted(missing))}): not set up yet")
    if version > known:
        return Health(False, f"{path} has schema version {version}, newer than this Crate Digger knows ({known})")
    return Health(True, f"{path} is readable, schema version {version} of {known}")
