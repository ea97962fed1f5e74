"""The daily question end to end: private answers, one each, the reveal the next day, the daily streak
in /trivia stats, buttons that work after a restart, and the moderator's automatic channel post.

The wall clock is a settable fake, so "the next day" and "the chosen hour" are a line of test code.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.client import CrateDigger
from bot.storage.base import ScoredAnswer
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.daily import utc_day
from bot.trivia.daily_session import all_questions, question_for_day
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.discord_double.models import EMBED_LINKS, SEND_MESSAGES

MORNING = datetime(2026, 11, 25, 8, tzinfo=UTC).timestamp()
DAY = 86_400


class WallClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def builtin_catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


def make_bot(store_path, catalog, clock: WallClock):
    async def quick_sleep(seconds: float) -> None:
        # No game runs here; the daily poster's minute between checks passes in a blink.
        await asyncio.sleep(min(seconds, 0.05))

    def factory() -> CrateDigger:
        return CrateDigger(store=SqliteStore(store_path), catalog=catalog, wall_clock=clock, sleep=quick_sleep)

    return factory


def private_text(double: DiscordDouble, record) -> str:
    return double.wait_for(
        lambda: record.message is not None and not record.message.loading and record.text,
        what=f"the private reply to {record!r}",
    )


def option_id(message, text: str) -> str:
    for button in message.buttons:
        if button["label"].split(" · ", 1)[1] == text:
            return button["custom_id"]
    raise AssertionError(f"no option {text!r}: {[b['label'] for b in message.buttons]}")


async def todays_question(store_path, catalog, guild_id: int, now: float):
    async with SqliteStore(store_path) as store:
        return await question_for_day(store, all_questions(catalog), guild_id, utc_day(now))


async def test_daily_answered_privately_once_revealed_the_next_day_with_a_streak(
    discord_double: DiscordDouble, tmp_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    clock = WallClock(MORNING)
    store_path = tmp_path / "scores.sqlite3"
    async with connected_bot(make_bot(store_path, builtin_catalog, clock), double) as bot:
        await bot.tree.sync()
        shown = await double.slash(double.guild, channel, ann, "trivia", subcommand="daily")
        assert shown.deferred and await private_text(double, shown)  # acknowledged first, then answered
        assert shown.ephemeral
        question = await question_for_day(bot.store, all_questions(builtin_catalog), double.guild.id, utc_day(MORNING))
        assert question is not None and question.prompt in shown.text
        assert question.answer not in shown.text.split("Daily question")[0]  # no reveal of today
        wrong = next(choice for choice in question.choices if choice not in question.answers)

        right_press = await double.click(shown.message, option_id(shown.message, question.answer), ann)
        assert right_press.ephemeral
        assert f"Locked in: **{question.answer}**" in await private_text(double, right_press)

        bobs = await double.slash(double.guild, channel, bob, "trivia", subcommand="daily")

        await private_text(double, bobs)
        assert question.prompt in bobs.text  # the same question for everyone
        wrong_press = await double.click(bobs.message, option_id(bobs.message, wrong), bob)
        assert f"Locked in: **{wrong}**" in await private_text(double, wrong_press)
        again = await double.click(bobs.message, option_id(bobs.message, question.answer), bob)
        assert f"You already answered today's question: **{wrong}**" in await private_text(double, again)

        # Asking again the same day shows the question without buttons, and what you picked.
        ann_again = await double.slash(double.guild, channel, ann, "trivia", subcommand="daily")
        await private_text(double, ann_again)
        assert not ann_again.message.buttons and f"You answered {question.answer}" in ann_again.text

    # The bot restarts; a press on yesterday's buttons is answered, not "This interaction failed".
    clock.now = MORNING + DAY
    async with connected_bot(make_bot(store_path, builtin_catalog, clock), double) as bot:
        await bot.tree.sync()
        late = await double.click(shown.message, option_id(shown.message, wrong), ann)
        assert "has closed" in await private_text(double, late)

        next_day = await double.slash(double.guild, channel, ann, "trivia", subcommand="daily")

        await private_text(double, next_day)
        text = next_day.text
        assert f"Yesterday's answer: {question.answer}" in text
        assert "1 of 2 players got it right." in text
        assert f"You answered {question.answer}: right" in text
        assert next_day.message.buttons  # today's question is open

        # Neither has played a game here: /trivia stats shows the daily streak alone.
        stats = await double.slash(double.guild, channel, ann, "trivia", subcommand="stats")
        assert "Daily streak 1 (best 1)." in stats.text
        bob_stats = await double.slash(double.guild, channel, bob, "trivia", subcommand="stats")
        assert "hasn't played a game here yet." in bob_stats.text and "Daily streak" not in bob_stats.text
        # With a game on record the streak is a field of the stats embed.
        await bot.store.record_answers(
            await bot.store.start_game(double.guild.id, channel.id, "p", "choices", MORNING + DAY),
            double.guild.id,
            [ScoredAnswer(ann.id, "ann", "q", True, 10, MORNING + DAY)],
        )
        stats = await double.slash(double.guild, channel, ann, "trivia", subcommand="stats")
        fields = {field["name"]: field["value"] for field in stats.message.embeds[0]["fields"]}
        assert fields["Daily streak"] == "1" and fields["Best daily streak"] == "1"
    assert all(not message.pings for message in double.messages)


async def test_moderator_sets_a_daily_channel_and_it_posts_once_at_the_hour(
    discord_double: DiscordDouble, tmp_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    clock = WallClock(MORNING)  # 08:00 UTC
    store_path = tmp_path / "scores.sqlite3"

    def daily_posts():
        return [m for m in double.messages if m.channel_id == channel.id and "Daily question" in m.text]

    async with connected_bot(make_bot(store_path, builtin_catalog, clock), double) as bot:
        await bot.tree.sync()
        refused = await double.slash(
            double.guild,
            channel,
            User.member("ann"),
            "trivia daily-channel",
            options={"channel": channel.id, "hour": 9},
        )
        assert "Only moderators" in refused.text
        done = await double.slash(
            double.guild,
            channel,
            User.moderator("mo"),
            "trivia daily-channel",
            options={"channel": channel.id, "hour": 9},
        )
        assert "every day at 09:00 UTC" in done.text
        await asyncio.sleep(0.3)
        assert daily_posts() == []  # 08:00: not yet

        clock.now = MORNING + 3600  # 09:00
        bot.get_cog("DailyCog").check_now()
        posted = await double.wait_for(lambda: daily_posts() or None, what="the daily post")
        question = await question_for_day(bot.store, all_questions(builtin_catalog), double.guild.id, utc_day(MORNING))
        assert question.prompt in posted[0].text and posted[0].buttons
        press = await double.click(posted[0], option_id(posted[0], question.answer), User.member("cat"))
        assert press.ephemeral and "Locked in" in await private_text(double, press)

    # Restarted later the same day: no second post.
    clock.now = MORNING + 5 * 3600
    async with connected_bot(make_bot(store_path, builtin_catalog, clock), double) as bot:
        bot.get_cog("DailyCog").check_now()
        await asyncio.sleep(0.3)
        assert len(daily_posts()) == 1
        # The next day at the hour: yesterday's result, then the new question.
        clock.now = MORNING + DAY + 3600
        bot.get_cog("DailyCog").check_now()
        await double.wait_for(lambda: len(daily_posts()) == 2 or None, what="the second daily post")
        reveal = next(m for m in double.messages if "Yesterday's answer" in m.text)
        assert question.answer in reveal.text and "1 of 1 player got it right." in reveal.text

        off = await double.slash(
            double.guild, channel, User.moderator("mo"), "trivia daily-channel", options={"off": True}
        )
        assert "won't be posted" in off.text


async def test_a_daily_channel_the_bot_cannot_post_in_is_refused_and_nothing_is_saved(
    discord_double: DiscordDouble, tmp_path, builtin_catalog
):
    double = discord_double
    general, trivia = double.channel("general"), double.channel("trivia")
    double.deny_bot(trivia, SEND_MESSAGES | EMBED_LINKS)  # a moderator's overwrite on the chosen channel only
    store_path = tmp_path / "scores.sqlite3"
    async with connected_bot(make_bot(store_path, builtin_catalog, WallClock(MORNING)), double) as bot:
        await bot.tree.sync()
        # Asked from #general, where the bot may post: the check is about the channel chosen.
        refused = await double.slash(
            double.guild,
            general,
            User.moderator("mo"),
            "trivia daily-channel",
            options={"channel": trivia.id, "hour": 9},
        )
        assert refused.ephemeral
        assert "missing Send Messages, Embed Links" in refused.text
        assert trivia.mention in refused.text
        assert await bot.store.daily_channels() == []
        allowed = await double.slash(
            double.guild,
            general,
            User.moderator("mo"),
            "trivia daily-channel",
            options={"channel": general.id, "hour": 9},
        )
        assert "every day at 09:00 UTC" in allowed.text
        assert [s.channel_id for s in await bot.store.daily_channels()] == [general.id]
