"""Two bots, shards 0 and 1 of 2, in one process against the sharded Discord double and one database.

A bot (re)starting closes only its own shards' leftover games, so the other's running game plays on.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from bot.client import CrateDigger
from bot.sharding import ShardScope
from bot.storage.sqlite import SqliteStore
from tests.discord_double import User, connected_bot
from tests.e2e.test_bot import FastTime, builtin_catalog, start_trivia, sync  # noqa: F401
from tests.e2e.test_double_shards import double_with_guilds, guild_named


def shard_bot(path, catalog, shard: int):
    fast = FastTime()

    def factory() -> CrateDigger:
        return CrateDigger(
            store=SqliteStore(path),
            catalog=catalog,
            monotonic=fast.monotonic,
            sleep=fast.sleep,
            shard_scope=ShardScope(2, (shard,)),
        )

    return factory


async def test_a_restarting_shard_leaves_the_other_shards_game_running(tmp_path, builtin_catalog) -> None:  # noqa: F811
    double = double_with_guilds(shard_count=2, layout={"zero": 0, "one": 1})
    zero, one = guild_named(double, "zero"), guild_named(double, "one")
    path = tmp_path / "shared.sqlite3"
    ann = User.member("ann")
    async with double, connected_bot(shard_bot(path, builtin_catalog, 0), double) as first:
        async with connected_bot(shard_bot(path, builtin_catalog, 1), double) as second:
            await sync(first, double)
            started = await start_trivia(double, zero.channel("trivia"), ann, guild=zero)
            assert "started a game" in started.content
            theirs = await start_trivia(double, one.channel("trivia"), ann, guild=one)
            assert "started a game" in theirs.content
            assert second.get_cog("TriviaCog").sessions.running() == 1
        # Shard 1's process went away mid-game (its game stopped cleanly); a new one starts.
        async with connected_bot(shard_bot(path, builtin_catalog, 1), double):
            # Shard 0's game was not closed by that start: it still holds its channel, in the store too.
            trivia = first.get_cog("TriviaCog")
            assert trivia.sessions.running() == 1
            again = await start_trivia(double, zero.channel("trivia"), ann, guild=zero)
            assert again.ephemeral and "already running" in again.content
            game = trivia.sessions.get(zero.channel("trivia").id)
            assert game is not None and game.game_id is not None
            with closing(sqlite3.connect(path)) as db:
                row = db.execute("SELECT finished_at, interrupted FROM games WHERE id = ?", (game.game_id,)).fetchone()
            assert row == (None, 0)
            await double.slash(zero, zero.channel("trivia"), ann, "trivia", subcommand="stop")
            await double.wait_for(lambda: trivia.sessions.running() == 0, what="shard 0's game ended")
