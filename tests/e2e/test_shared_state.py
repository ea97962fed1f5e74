"""State two bot processes could both touch lives in the store: a channel's running game, end to end.

"Another process" here is a second store on the same database, as a second bot process would be.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from bot.storage.errors import StoreError
from bot.storage.sqlite import SqliteStore
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.e2e.test_bot import builtin_catalog, final_standings, make_bot, start_trivia, store_path, sync  # noqa: F401


async def test_a_game_another_process_runs_in_the_channel_is_not_doubled(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
) -> None:
    double = discord_double
    channel = double.channel("trivia")
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        async with SqliteStore(store_path) as other_process:
            theirs = await other_process.start_game(double.guild.id, channel.id, "amen-break", "choices", 1.0)

            refused = await start_trivia(double, channel, ann)
            assert refused.ephemeral and "A game is already running here" in refused.content
            assert bot.get_cog("TriviaCog").sessions.running() == 0
            assert not [m for m in double.messages if m.channel_id == channel.id and m.source == "channel"]

            await other_process.finish_game(theirs, double.guild.id, 2.0, [], stopped=True)
        started = await start_trivia(double, channel, ann)
        assert "started a game" in started.content
        await double.slash(double.guild, channel, ann, "trivia", subcommand="stop")
        await final_standings(double, channel)


class FinishFailsOnce(SqliteStore):
    """The database refuses one ``finish_game``: the game ends in the channel but not in storage."""

    failed = False

    async def finish_game(self, *args, **kwargs) -> None:
        if not self.failed:
            FinishFailsOnce.failed = True
            raise StoreError("database write failed: disk I/O error")
        await super().finish_game(*args, **kwargs)


async def test_a_game_whose_end_could_not_be_saved_does_not_hold_the_channel(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
    monkeypatch,
) -> None:
    double = discord_double
    channel = double.channel("trivia")
    ann = User.member("ann")
    monkeypatch.setattr(FinishFailsOnce, "failed", False)
    monkeypatch.setattr("tests.e2e.test_bot.SqliteStore", FinishFailsOnce)
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann)
        await double.slash(double.guild, channel, ann, "trivia", subcommand="stop")
        await final_standings(double, channel)
        trivia = bot.get_cog("TriviaCog")
        await double.wait_for(lambda: trivia.sessions.running() == 0, what="the game ended")
        assert FinishFailsOnce.failed

        again = await start_trivia(double, channel, ann)
        assert "started a game" in again.content
        await double.slash(double.guild, channel, ann, "trivia", subcommand="stop")
        await double.wait_for(lambda: trivia.sessions.running() == 0, what="the second game ended")
    with closing(sqlite3.connect(store_path)) as db:
        games = db.execute("SELECT interrupted, finished_at IS NOT NULL FROM games ORDER BY id").fetchall()
    assert games == [(1, 1), (0, 1)]  # the first closed as interrupted, the second finished normally
