"""Seasons and scoped boards end to end: play, boards by week, month and pack, a moderator ends the season."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.client import CrateDigger
from bot.storage.base import ScoredAnswer
from bot.storage.sqlite import SqliteStore
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.e2e.test_bot import (
    FastTime,
    assert_nothing_pings,
    builtin_catalog,  # noqa: F401  (pytest fixture)
    button_for,
    final_standings,
    question_message,
    start_trivia,
    store_path,  # noqa: F401  (pytest fixture)
    sync,
)

PACK = "kanye-stronger-akira"


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


NOW = at("2026-11-25T12:00:00")  # a Wednesday


def make_bot(store_path, catalog):  # noqa: F811
    fast = FastTime()

    def factory() -> CrateDigger:
        return CrateDigger(
            store=SqliteStore(store_path),
            catalog=catalog,
            monotonic=fast.monotonic,
            sleep=fast.sleep,
            wall_clock=lambda: NOW,
        )

    return factory


async def seed(store, guild_id: int, user: User, pack_id: str, points: int, when: float) -> None:
    game = await store.start_game(guild_id, 1, pack_id, "choices", when)
    answer = ScoredAnswer(user.id, user.name, "seeded", True, points, when)
    await store.record_answers(game, guild_id, [answer])
    await store.finish_game(game, guild_id, when, [], stopped=False)  # the channel runs one game at a time


def board_lines(record) -> list[str]:
    return record.message.embeds[0]["description"].splitlines()


async def test_boards_by_period_and_pack_then_a_moderator_ends_the_season(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob, cy, mo = User.member("ann"), User.member("bob"), User.member("cy"), User.moderator("mo")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        guild = double.guild.id
        await seed(bot.store, guild, bob, "amen-break", 30, at("2026-11-10T09:00:00"))  # this month, last week
        await seed(bot.store, guild, cy, "amen-break", 50, at("2026-10-20T09:00:00"))  # last month

        # ann plays a one-question game now and answers right.
        await start_trivia(double, channel, ann, {"questions": 1, "hints": False})
        asked = await question_message(double, channel, 1)
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current
        await double.click(asked, button_for(asked, question.answer), ann)
        await final_standings(double, channel)

        week = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="leaderboard", options={"period": "week"}
        )
        assert "This week (since Mon 23 Nov 2026, UTC)" in week.message.embeds[0]["title"]
        assert [line.split(" · ")[0] for line in board_lines(week)] == ["**1.** ann"]
        month = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="leaderboard", options={"period": "month"}
        )
        assert [line.split(" · ")[0] for line in board_lines(month)] == ["**1.** bob", "**2.** ann"]
        everything = await double.slash(double.guild, channel, bob, "trivia", subcommand="leaderboard")
        assert board_lines(everything)[0].startswith("**1.** cy")
        by_pack = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="leaderboard", options={"pack": "amen-break"}
        )
        assert [line.split(" · ")[0] for line in board_lines(by_pack)] == ["**1.** cy", "**2.** bob"]
        suggestions = await double.autocomplete(
            double.guild, channel, bob, "trivia", focused="pack", value="kanye", subcommand="leaderboard"
        )
        assert [choice["value"] for choice in suggestions] == [PACK]
        quiet = await double.slash(double.guild, channel, bob, "trivia", subcommand="stats", options={"period": "week"})
        assert quiet.ephemeral and "bob has no answers here in This week" in quiet.content
        monthly = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="stats", options={"period": "month"}
        )
        assert "Stats for bob · This month (November 2026, UTC)" in monthly.text and "#1" in monthly.text
        both = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="leaderboard", options={"period": "week", "season": 1}
        )
        assert both.ephemeral and "not both" in both.content

        refused = await double.slash(double.guild, channel, ann, "trivia", subcommand="season end")
        assert refused.ephemeral and "Only moderators" in refused.content
        assert (await bot.store.current_season(guild)).number == 1

        asking = await double.slash(double.guild, channel, mo, "trivia", subcommand="season end")
        assert asking.ephemeral and "End season 1?" in asking.content and "led by cy" in asking.content
        confirmed = await double.click_button(asking.message, "End the season", mo)
        announced = await double.wait_for(
            lambda: next((m for m in double.messages if "Season 1 is over" in m.text), None), what="announcement"
        )
        assert [line.split(" · ")[0] for line in announced.embeds[0]["description"].splitlines()[:3]] == [
            "**1.** cy",
            "**2.** bob",
            "**3.** ann",
        ]
        assert not announced.ephemeral and confirmed is not None
        assert (await bot.store.current_season(guild)).number == 2

        archived = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="leaderboard", options={"season": 1}
        )
        assert archived.message.embeds[0]["title"] == "Leaderboard · Season 1"
        assert [line.split(" · ")[0] for line in board_lines(archived)] == ["**1.** cy", "**2.** bob", "**3.** ann"]
        fresh = await double.slash(
            double.guild, channel, bob, "trivia", subcommand="leaderboard", options={"period": "season"}
        )
        assert fresh.ephemeral and "Season 2 (current)" in fresh.content
        listed = await double.slash(double.guild, channel, bob, "trivia", subcommand="season list")
        assert "Season 2** (current)" in listed.text and "Season 1** ·" in listed.text and "3 players" in listed.text
        again = await double.slash(double.guild, channel, mo, "trivia", subcommand="season end")
        assert again.ephemeral and "Nobody has answered in season 2" in again.content
        # All time is untouched by the season's end.
        everything = await double.slash(double.guild, channel, bob, "trivia", subcommand="leaderboard")
        assert board_lines(everything)[0].startswith("**1.** cy")
    assert_nothing_pings(double)
