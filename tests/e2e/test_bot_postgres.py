"""The real bot on PostgreSQL: a game against the Discord double lands in the shared database, where
another process reads it, and the leaderboard comes back from it."""

from __future__ import annotations

from bot.client import CrateDigger
from bot.storage.postgres import PostgresStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.e2e.test_bot import FastTime, button_for, final_standings, question_message, start_trivia, sync
from tests.postgres_server import PostgresServer


async def test_a_button_game_on_postgres_is_seen_by_another_process(
    discord_double: DiscordDouble, postgres_server: PostgresServer
):
    double = discord_double
    catalog = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]
    url = await postgres_server.empty_shared_database()
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    fast = FastTime()

    def factory() -> CrateDigger:
        return CrateDigger(
            store=PostgresStore(url),
            catalog=catalog,
            message_content=False,
            monotonic=fast.monotonic,
            sleep=fast.sleep,
        )

    async with connected_bot(factory, double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 1, "seconds": 10, "hints": False})
        asked = await question_message(double, channel, 1)
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current
        wrong = next(choice for choice in question.choices if choice != question.answer)
        await double.click(asked, button_for(asked, question.answer), ann)
        await double.click(asked, button_for(asked, wrong), bob)
        await final_standings(double, channel)

        # Another process on the same database sees the committed game at once.
        async with PostgresStore(url) as other_process:
            ann_stats = await other_process.player_stats(double.guild.id, ann.id)
            bob_stats = await other_process.player_stats(double.guild.id, bob.id)
        assert ann_stats is not None and bob_stats is not None
        assert (ann_stats.correct, ann_stats.games, ann_stats.wins) == (1, 1, 1) and ann_stats.points > 0
        assert (bob_stats.points, bob_stats.games, bob_stats.wins) == (0, 1, 0)

        board = await double.slash(double.guild, channel, bob, "trivia", subcommand="leaderboard")
        lines = board.message.embeds[0]["description"].splitlines()
        assert lines[0].startswith("**1.** ann") and lines[1].startswith("**2.** bob")
