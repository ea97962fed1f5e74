"""A starting bot closes the games a crash left open in the servers of its own shards, and no others."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from bot.client import CrateDigger
from bot.sharding import ShardScope
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog


async def test_a_starting_bot_closes_only_the_leftover_games_of_its_own_shards(tmp_path) -> None:
    path = tmp_path / "shared.db"
    mine, theirs = (0 << 22) | 7, (1 << 22) | 7
    async with SqliteStore(path) as other_process:
        left_over = await other_process.start_game(mine, 1, "pack", "choices", 1.0)
        running = await other_process.start_game(theirs, 1, "pack", "choices", 1.0)
        terminal = await other_process.start_game(0, 0, "pack", "choices", 1.0)

    bot = CrateDigger(
        store=SqliteStore(path), catalog=Catalog([]), wall_clock=lambda: 100.0, shard_scope=ShardScope(2, (0,))
    )
    try:
        await bot.setup_hook()
    finally:
        await bot.store.close()
        bot.library.close()

    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT id, finished_at, interrupted FROM games ORDER BY id").fetchall()
    assert rows == [(left_over, 100.0, 1), (running, None, 0), (terminal, None, 0)]
