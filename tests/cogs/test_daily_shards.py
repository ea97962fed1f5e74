"""Each process posts the daily question for the servers of its own shards, and a day is posted once."""

from __future__ import annotations

from datetime import date

import discord

from bot.client import CrateDigger
from bot.cogs.daily import DailyCog
from bot.sharding import ShardScope, shard_of
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog

NOON = 1_767_268_800.0  # 2026-01-01 12:00 UTC
TODAY = date(2026, 1, 1)


class Channel(discord.abc.Messageable):
    def __init__(self, channel_id: int) -> None:
        self.id = channel_id

    async def _get_channel(self) -> Channel:
        return self


def process(path, shard: int) -> tuple[CrateDigger, DailyCog, list[int]]:
    """One bot process of two, every channel visible, posts recorded by server instead of sent."""
    bot = CrateDigger(
        store=SqliteStore(path), catalog=Catalog([]), wall_clock=lambda: NOON, shard_scope=ShardScope(2, (shard,))
    )
    bot.get_channel = Channel  # type: ignore[method-assign]
    cog = DailyCog(bot)
    posted: list[int] = []

    async def post(channel, guild_id: int, day: date) -> None:
        posted.append(guild_id)

    cog._post = post  # type: ignore[method-assign]
    return bot, cog, posted


async def test_each_process_posts_for_its_own_shards_once_a_day(tmp_path) -> None:
    path = tmp_path / "shared.db"
    guilds = [(n << 22) | 5 for n in range(4)]  # shards 0, 1, 0, 1 of 2
    first, first_cog, first_posted = process(path, 0)
    second, second_cog, second_posted = process(path, 1)
    await first.store.open()
    await second.store.open()
    try:
        for guild_id in guilds:
            await first.store.set_daily_channel(guild_id, 77, hour=9)
        assert await first_cog.post_due() == 2
        assert await second_cog.post_due() == 2
        assert await first_cog.post_due() == 0  # once a day
        assert sorted(first_posted) == [g for g in guilds if shard_of(g, 2) == 0]
        assert sorted(second_posted) == [g for g in guilds if shard_of(g, 2) == 1]
        assert all(s.last_posted_day == TODAY for s in await first.store.daily_channels())
    finally:
        await first.store.close()
        await second.store.close()
        first.library.close()
        second.library.close()
