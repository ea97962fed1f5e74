"""Storage: the ``Store`` interface (``base.py``), its SQLite and PostgreSQL implementations, and the
one place that picks between them from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.storage.base import Store


def store_for(settings: Settings, *, sqlite_writer: Literal["thread", "process"] = "thread") -> Store:
    """The store the settings name, not yet opened: PostgreSQL when ``DATABASE_URL`` is set, else SQLite.

    ``sqlite_writer`` is where a SQLite store runs its group commits (see ``SqliteStore``): the
    long-running bot asks for its writer process; a CLI command keeps the thread, which costs no
    process start. Imports lazily so that a SQLite user never loads asyncpg, and reading settings
    never loads either.
    """
    if settings.database_url is not None:
        from bot.storage.postgres import PostgresStore

        return PostgresStore(settings.database_url)
    from bot.storage.sqlite import SqliteStore

    return SqliteStore(settings.database_path, writer=sqlite_writer)
