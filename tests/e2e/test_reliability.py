"""Faults a running game must survive on Discord: a slow Discord, a failed save, a channel the bot
cannot post in. The real bot, over real sockets, against the Discord double."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing

import pytest

from bot.client import CrateDigger
from bot.storage.base import ScoredAnswer
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import User, connected_bot
from tests.discord_double.models import EMBED_LINKS, SEND_MESSAGES
from tests.e2e.test_bot import (
    FastTime,
    assert_nothing_pings,
    button_for,
    final_standings,
    private_reply,
    question_message,
    start_trivia,
    sync,
)

pytestmark = pytest.mark.reliability


def make_bot(store_path, catalog, *, busy_timeout_ms: int = 5_000):
    fast = FastTime()

    def factory() -> CrateDigger:
        return CrateDigger(
            store=SqliteStore(store_path, busy_timeout_ms=busy_timeout_ms),
            catalog=catalog,
            monotonic=fast.monotonic,
            sleep=fast.sleep,
        )

    return factory


@pytest.fixture(scope="module")
def builtin_catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "scores.sqlite3"


async def test_presses_are_acknowledged_in_time_while_discord_is_slow_on_an_edit(
    discord_double, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    players = [User.member(name) for name in ("ann", "bob", "cy")]
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, players[0], {"questions": 1, "seconds": 40, "hints": True})
        asked = await question_message(double, channel, 1)
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current
        # The 50:50 hint edits the question's buttons; Discord sits on that edit for 4 seconds.
        edit = rf"/messages/{asked.id}$"  # through the /trivia start webhook or the channel
        double.slow_next("PATCH", edit, seconds=4)
        await double.wait_for_request("PATCH", edit, timeout=10)

        presses = [
            await double.click(asked, button_for(asked, question.answer), player, wait=False, settle=False)
            for player in players
        ]
        await double.wait_for(lambda: all(p.responded or p.rejected for p in presses), timeout=5, what="acks")
        assert [press.rejected for press in presses] == [[], [], []]
        assert all(press.latency is not None and press.latency < 3 for press in presses)
        for press in presses:
            assert "Locked in" in await private_reply(double, press)

        standings = await final_standings(double, channel)
        for player in players:
            assert player.name in standings.embeds[0]["description"]
            assert (await bot.store.player_stats(double.guild.id, player.id)).correct == 1
    assert_nothing_pings(double)


async def test_a_save_that_fails_shows_no_score_and_the_stored_standings(discord_double, store_path, builtin_catalog):
    double = discord_double
    channel = double.channel("trivia")
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog, busy_timeout_ms=300), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 2, "seconds": 10, "hints": False})
        asked = await question_message(double, channel, 1)
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current
        press = await double.click(asked, button_for(asked, question.answer), ann)
        assert "Locked in" in await private_reply(double, press)
        # Another process takes SQLite's write lock until after the game: the close cannot be saved.
        intruder = sqlite3.connect(store_path, isolation_level=None, timeout=0)
        intruder.execute("BEGIN IMMEDIATE")
        try:
            standings = await final_standings(double, channel)
        finally:
            intruder.execute("ROLLBACK")
            intruder.close()

        texts = [message.text for message in double.messages_in(channel)]
        assert not any("Scored" in text for text in texts)  # never "Scored: ann +10"
        (not_counted,) = [message for message in double.messages_in(channel) if "⚠️ The answer" in message.text]
        assert question.answer in not_counted.text and "doesn't count" in not_counted.text
        description = standings.embeds[0]["description"]
        assert "ann · 0 points" in description and "Question 1 didn't count" in description
        assert "🏆" not in description
        settled = asked.component(button_for(asked, question.answer))
        assert settled["disabled"] is True
        assert await bot.store.player_stats(double.guild.id, ann.id) is None  # nothing was saved for ann
    assert_nothing_pings(double)


async def test_games_a_crash_left_open_are_closed_at_the_next_start(discord_double, store_path, builtin_catalog):
    async with SqliteStore(store_path) as before_the_crash:
        game = await before_the_crash.start_game(discord_double.guild.id, 1, "pack", "choices", 1_000.0)
        await before_the_crash.record_answers(
            game, discord_double.guild.id, [ScoredAnswer(7, "ann", "q1", True, 10, 1_001.0)]
        )
        # ...and the process dies here: no finish_game.
    async with connected_bot(make_bot(store_path, builtin_catalog), discord_double) as bot:
        stats = await bot.store.player_stats(discord_double.guild.id, 7)
        assert stats is not None and (stats.points, stats.games, stats.wins) == (10, 1, 0)
    with closing(sqlite3.connect(store_path)) as db:
        assert db.execute("SELECT finished_at IS NOT NULL, stopped, interrupted FROM games").fetchall() == [(1, 0, 1)]


def start_options(**extra):
    return {"questions": 3, "seconds": 10, "hints": False, **extra}


def game_rows(store_path):
    with closing(sqlite3.connect(store_path)) as db:
        return db.execute("SELECT finished_at IS NOT NULL, stopped FROM games").fetchall()


async def test_a_channel_the_bot_cannot_post_in_is_refused_before_the_game_starts(
    discord_double, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    double.deny_bot(channel, SEND_MESSAGES | EMBED_LINKS)
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        refused = await start_trivia(double, channel, User.member("ann"))
        assert refused.ephemeral
        assert "missing Send Messages, Embed Links here" in refused.content
        assert bot.get_cog("TriviaCog").sessions.running() == 0
        assert double.messages_in(channel) == [refused.message]
    assert game_rows(store_path) == []


def bot_log_lines(caplog, level: int) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith("bot.") and record.levelno >= level]


async def test_losing_send_permission_mid_game_stops_it_with_one_line_and_tells_the_starter(
    discord_double, store_path, builtin_catalog, caplog
):
    double = discord_double
    channel = double.channel("trivia")
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        # An interaction's followups are not channel sends: this is the game after its /trivia start
        # token has run out, when it sends through the channel.
        bot.get_cog("TriviaCog").game_webhook_seconds = 0
        started = await double.slash(double.guild, channel, ann, "trivia", subcommand="start", options=start_options())
        await question_message(double, channel, 1)
        caplog.clear()
        double.deny_bot(channel, SEND_MESSAGES)  # a moderator's overwrite, mid-game
        cog = bot.get_cog("TriviaCog")
        await double.wait_for(lambda: cog.sessions.running() == 0, timeout=10, what="the game to stop")
        told = await double.wait_for(lambda: started.followups, what="a private message to the starter")
        assert told[0].ephemeral and "lost permission to post" in told[0].content
        refusals = [r for r in double.requests if r.path == f"/channels/{channel.id}/messages" and r.status == 403]
        assert len(refusals) == 1  # no retries into a channel it cannot post in
        assert [record.levelname for record in bot_log_lines(caplog, logging.INFO)] == ["WARNING"]
        assert all(record.exc_info is None for record in caplog.records)  # no traceback anywhere
    assert game_rows(store_path) == [(1, 1)]  # finished in storage, as stopped


async def test_a_channel_deleted_mid_game_stops_it_and_tells_the_starter_directly(
    discord_double, store_path, builtin_catalog, caplog
):
    double = discord_double
    channel = await double.add_channel("quiz-night")
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await double.slash(double.guild, channel, ann, "trivia", subcommand="start", options=start_options())
        await question_message(double, channel, 1)
        caplog.clear()
        await double.delete_channel(channel)
        cog = bot.get_cog("TriviaCog")
        await double.wait_for(lambda: cog.sessions.running() == 0, timeout=10, what="the game to stop")
        direct = await double.wait_for(
            lambda: [m for m in double.messages if m.channel_id in double.dm_channels], what="a direct message"
        )
        assert "was deleted" in direct[0].content
        assert [record.levelname for record in bot_log_lines(caplog, logging.INFO)] == ["WARNING"]
        assert all(record.exc_info is None for record in caplog.records)
    assert game_rows(store_path) == [(1, 1)]


async def test_a_game_that_loses_its_channel_still_remembers_the_question_it_asked(
    discord_double, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        bot.get_cog("TriviaCog").game_webhook_seconds = 0  # sending through the channel, as after the token's time
        await double.slash(
            double.guild, channel, User.member("ann"), "trivia", subcommand="start", options=start_options()
        )
        shown = await question_message(double, channel, 1)
        double.deny_bot(channel, SEND_MESSAGES)  # the game dies before any final standings are sent
        cog = bot.get_cog("TriviaCog")
        await double.wait_for(lambda: cog.sessions.running() == 0, timeout=10, what="the game to stop")
        with closing(sqlite3.connect(store_path)) as db:
            (pack_id,) = db.execute("SELECT pack_id FROM games").fetchone()
        asked = await bot.store.asked_questions(double.guild.id, pack_id)
    prompts = {question.id: question.prompt for question in builtin_catalog.questions(pack_id)}
    # The question on screen is remembered (the next one may be too: it is recorded as the game asks
    # it, before the send that found the channel gone).
    assert [question_id for question_id in asked if prompts[question_id][:50] in shown.text]
