"""Buttons outlive the process that sent them: a press after a restart gets a clear private reply
instead of Discord's "This interaction failed". The real bot against the Discord double."""

from __future__ import annotations

import pytest

from bot.cogs.trivia import GAME_ENDED_BY_RESTART, GAME_OVER
from tests.discord_double import User, connected_bot
from tests.e2e.test_bot import assert_nothing_pings, button_for, private_reply, question_message, sync
from tests.e2e.test_reliability import builtin_catalog, make_bot, store_path  # noqa: F401  (fixtures)

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
        await double.slash(
            double.guild,
            channel,
            ann,
            "trivia",
            subcommand="start",
            options={"questions": 3, "seconds": 10, "hints": False},
        )
        first = await question_message(double, channel, 1)
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current
        press = await double.click(first, button_for(first, question.answer), ann)
        assert "Locked in" in await private_reply(double, press)
        second = await question_message(double, channel, 2)
        # The bot goes down before it can close the open question's buttons (a crash or a kill
        # leaves them just as live): Discord refuses the edit that would have disabled them.
        double.fail_next("PATCH", rf"/channels/{channel.id}/messages/{second.id}$", status=400, code=50035)
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
        await double.slash(
            double.guild,
            channel,
            ann,
            "trivia",
            subcommand="start",
            options={"questions": 1, "seconds": 10, "hints": False},
        )
        asked = await question_message(double, channel, 1)
        # Discord refuses the edit that would disable the buttons, so they stay pressable after the end.
        double.fail_next("PATCH", rf"/channels/{channel.id}/messages/{asked.id}$", status=400, code=50035)
        await bot.get_cog("TriviaCog").sessions.get(channel.id).stop()
        await double.wait_for(lambda: bot.get_cog("TriviaCog").sessions.running() == 0, what="the game's end")

        late = await double.click(asked, asked.buttons[0]["custom_id"], bob)
        assert late.ephemeral and late.content == GAME_OVER
    assert_nothing_pings(double)
