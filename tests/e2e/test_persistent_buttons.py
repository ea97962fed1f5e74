"""Buttons outlive the process that sent them: a press after a restart gets a clear private reply
instead of Discord's "This interaction failed". The real bot against the Discord double."""

from __future__ import annotations

import pytest

from bot.cogs.trivia import GAME_ENDED_BY_RESTART, GAME_OVER
from tests.discord_double import User, connected_bot
from tests.e2e.test_bot import assert_nothing_pings, button_for, private_reply, question_message, start_trivia, sync
from tests.e2e.test_reliability import builtin_catalog, make_bot, store_path  # noqa: F401  (fixtures)
from tests.e2e.test_seasons import NOW, seed
from tests.e2e.test_seasons import make_bot as seasons_bot

pytestmark = pytest.mark.reliability


async def test_a_press_after_a_restart_is_told_the_game_ended_and_keeps_the_answers(
    discord_double,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 3, "seconds": 10, "hints": False})
        first = await question_message(double, channel, 1)
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current
        press = await double.click(first, button_for(first, question.answer), ann)
        assert "Locked in" in await private_reply(double, press)
        second = await question_message(double, channel, 2)
        # The bot goes down before it can close the open question's buttons (a crash or a kill
        # leaves them just as live): Discord refuses the edit that would have disabled them.
        double.fail_next("PATCH", rf"/messages/{second.id}$", status=400, code=50035)  # channel or webhook
    assert not any(button.get("disabled") for button in double.message(second.id).buttons)

    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        late = await double.click(second, second.buttons[0]["custom_id"], bob)
        assert late.latency is not None and late.latency < 3
        assert late.ephemeral and late.content == GAME_ENDED_BY_RESTART
        assert bot.get_cog("TriviaCog").sessions.running() == 0
        # ann's answer from before the restart still counts.
        stats = await bot.store.player_stats(double.guild.id, ann.id)
        assert stats is not None and stats.answered == 1
    assert_nothing_pings(double)


async def test_a_late_press_on_a_game_that_ended_in_this_process_is_told_it_is_over(
    discord_double,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 1, "seconds": 10, "hints": False})
        asked = await question_message(double, channel, 1)
        # Discord refuses the edit that would disable the buttons, so they stay pressable after the end.
        double.fail_next("PATCH", rf"/messages/{asked.id}$", status=400, code=50035)  # channel or webhook
        await bot.get_cog("TriviaCog").sessions.get(channel.id).stop()
        await double.wait_for(lambda: bot.get_cog("TriviaCog").sessions.running() == 0, what="the game's end")

        late = await double.click(asked, asked.buttons[0]["custom_id"], bob)
        assert late.ephemeral and late.content == GAME_OVER
    assert_nothing_pings(double)


async def test_a_season_end_confirmed_after_a_restart_ends_that_season_once(
    discord_double,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, mo = User.member("ann"), User.moderator("mo")
    guild = double.guild.id
    async with connected_bot(seasons_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await seed(bot.store, guild, ann, "amen-break", 30, NOW - 3_600)
        asking = await double.slash(double.guild, channel, mo, "trivia", subcommand="season end")
        asked_again = await double.slash(double.guild, channel, mo, "trivia", subcommand="season end")
        assert "End season 1?" in asking.content and "End season 1?" in asked_again.content

    async with connected_bot(seasons_bot(store_path, builtin_catalog), double) as bot:
        # The permission is checked at the press, not only when the confirmation was shown.
        demoted = await double.click_button(asking.message, "End the season", User.member("mo", id=mo.id))
        assert demoted.ephemeral and "Only moderators" in demoted.content
        assert (await bot.store.current_season(guild)).number == 1

        confirmed = await double.click_button(asking.message, "End the season", mo)
        assert confirmed.latency is not None and confirmed.latency < 3
        assert double.message(asking.message.id).content.startswith("Season 1 ended")
        await double.wait_for(lambda: any("Season 1 is over" in m.text for m in double.messages), what="announcement")
        assert (await bot.store.current_season(guild)).number == 2

        # The other confirmation was for season 1 too: it must not end season 2.
        stale = await double.click_button(asked_again.message, "End the season", mo)
        assert stale.latency is not None and stale.latency < 3
        assert double.message(asked_again.message.id).content == "Season 1 had already ended; nothing changed."
        assert (await bot.store.current_season(guild)).number == 2
        assert [season.number for season in await bot.store.seasons(guild)] == [1]
    assert_nothing_pings(double)
