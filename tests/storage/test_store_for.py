from pathlib import Path

from bot.config import load_settings
from bot.storage import store_for
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore


def test_sqlite_is_the_default(tmp_path: Path):
    store = store_for(load_settings({"DATABASE_PATH": str(tmp_path / "crate.db")}))
    assert isinstance(store, SqliteStore) and store.path == str(tmp_path / "crate.db")
    assert store.writer == "thread"  # a CLI command pays no process start


def test_the_bot_commits_in_a_writer_process(tmp_path: Path):
    from bot.launcher import build_bot

    bot = build_bot(load_settings({"DATABASE_PATH": str(tmp_path / "crate.db")}), sync_on_start=False)
    assert isinstance(bot.store, SqliteStore) and bot.store.writer == "process"


def test_database_url_chooses_postgres_over_the_sqlite_path(tmp_path: Path):
    settings = load_settings(
        {"DATABASE_PATH": str(tmp_path / "crate.db"), "DATABASE_URL": "postgresql://crate:pw@db/crate"}
    )
    store = store_for(settings)
    assert isinstance(store, PostgresStore) and store.url == "postgresql://crate:***@db/crate"
