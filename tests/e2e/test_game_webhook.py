"""A game's messages go out through its `/trivia start` interaction's webhook while the token is valid.

Discord exempts interaction endpoints (followups, edits through the token) from the bot's global 50
requests/s, so hundreds of games never wait for each other's turns. The token lasts 15 minutes; once
Discord refuses it (401 Invalid Webhook Token), the game carries on through the channel and edits its
earlier followups there (the bot is their author).
"""

from __future__ import annotations

import re

from tests.discord_double import DiscordDouble, User, connected_bot
from tests.e2e.test_bot import (  # noqa: F401  (fixtures)
    assert_nothing_pings,
    builtin_catalog,
    final_standings,
    make_bot,
    question_message,
    start_trivia,
    store_path,
    sync,
)


def answer_shown(message) -> bool:
    return "The answer:" in message.embeds[0].get("title", "")


def channel_writes(double: DiscordDouble, channel) -> list[str]:
    pattern = rf"/channels/{channel.id}/messages(/\d+)?"
    return [f"{r.method} {r.status}" for r in double.requests if re.fullmatch(pattern, r.path)]


async def test_questions_hints_answers_and_standings_go_through_the_start_webhook_outside_the_global_limit(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        double.rate_limiter.reset_counts()
        started = await start_trivia(double, channel, User.member("ann"), {"questions": 2, "seconds": 10})
        first = await question_message(double, channel, 1)
        standings = await final_standings(double, channel)
        await double.wait_for(lambda: bot.get_cog("TriviaCog").sessions.running() == 0, what="the game's end")

    shown = double.messages_in(channel)
    assert shown[0] is started.message and shown[-1] is standings
    assert [m.source for m in shown[1:]] == ["followup"] * 3  # two questions and the standings
    assert first in started.followups and answer_shown(double.message(first.id))  # the answer, in place
    edits = [r for r in double.requests if r.method == "PATCH" and r.path.startswith("/webhooks/")]
    assert len(edits) == 4 and all(r.status == 200 for r in edits)  # each question: its hint, its answer
    assert channel_writes(double, channel) == []
    assert double.rate_limiter.total_calls(global_only=True) == 0
    assert double.rate_limiter.hits == []
    assert_nothing_pings(double)


async def test_when_discord_refuses_the_token_the_game_goes_on_through_the_channel(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        options = {"questions": 2, "seconds": 10, "hints": False}
        started = await start_trivia(double, channel, User.member("ann"), options)
        first = await question_message(double, channel, 1)
        double.expire_token(started)  # as 15 minutes after /trivia start
        second = await question_message(double, channel, 2)
        standings = await final_standings(double, channel)
        await double.wait_for(lambda: bot.get_cog("TriviaCog").sessions.running() == 0, what="the game's end")

    assert first.source == "followup" and answer_shown(double.message(first.id))
    assert second.source == "channel" and answer_shown(double.message(second.id))
    assert standings.source == "channel"
    refused = [r for r in double.requests if r.status == 401]
    assert len(refused) == 1  # asked once; from then on the game does not try the token again
    # The first answer (an edit of the followup, through the channel), the second question, its answer, the end.
    assert channel_writes(double, channel) == ["PATCH 200", "POST 200", "PATCH 200", "POST 200"]
    assert_nothing_pings(double)
