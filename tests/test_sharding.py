"""Which servers a process owns (Discord's shard formula), and that a starting bot closes only their games."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from bot.client import CrateDigger
from bot.sharding import Shards, shard_of
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog


def test_shard_of_is_discords_formula() -> None:
    # (guild_id >> 22) % shard_count: the bits above a snowflake's lowest 22 (its timestamp).
    assert shard_of(197038439483310086, 1) == 0
    assert shard_of(197038439483310086, 2) == (197038439483310086 >> 22) % 2
    assert [shard_of(shard << 22, 4) for shard in range(6)] == [0, 1, 2, 3, 0, 1]
    with pytest.raises(ValueError):
        shard_of(1, 0)


def test_shards_own_the_servers_on_them() -> None:
    first, second = Shards.of([0], 2), Shards.of([1], 2)
    guilds = [n << 22 for n in range(10)]
    assert [first.owns(g) for g in guilds] != [second.owns(g) for g in guilds]
    assert all(first.owns(g) != second.owns(g) for g in guilds)
    assert all(Shards.all().owns(g) for g in guilds) and Shards.all().is_all
    assert Shards.of([0, 1], 2).is_all and not first.is_all


@pytest.mark.parametrize("ids, count", [([], 2), ([2], 2), ([-1], 2), ([0], 0)])
def test_impossible_shards_are_refused(ids: list[int], count: int) -> None:
    with pytest.raises(ValueError):
        Shards.of(ids, count)


def test_the_bot_knows_its_shards() -> None:
    bot = CrateDigger(store=SqliteStore(":memory:"), catalog=Catalog([]))
    assert bot.shards == Shards.all()  # one process, every shard
    bot.shard_id, bot.shard_count = 1, 2
    assert bot.shards == Shards.of([1], 2)
    bot.shard_id = None
    bot.shard_ids = [0, 2]  # type: ignore[attr-defined]  # what an AutoShardedBot has
    bot.shard_count = 4
    assert bot.shards == Shards.of([0, 2], 4)


async def test_a_starting_bot_closes_only_the_leftover_games_of_its_own_shards(tmp_path) -> None:
    path = tmp_path / "shared.db"
    mine, theirs = (0 << 22) | 7, (1 << 22) | 7
    async with SqliteStore(path) as other_process:
        left_over = await other_process.start_game(mine, 1, "pack", "choices", 1.0)
        running = await other_process.start_game(theirs, 1, "pack", "choices", 1.0)
        terminal = await other_process.start_game(0, 0, "pack", "choices", 1.0)

    bot = CrateDigger(store=SqliteStore(path), catalog=Catalog([]), wall_clock=lambda: 100.0)
    bot.shard_id, bot.shard_count = 0, 2
    try:
        await bot.setup_hook()
    finally:
        await bot.store.close()
        bot.library.close()

    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT id, finished_at, interrupted FROM games ORDER BY id").fetchall()
    assert rows == [(left_over, 100.0, 1), (running, None, 0), (terminal, None, 0)]
