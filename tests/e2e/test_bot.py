"""Crate Digger itself, end to end: the real bot over real sockets against the local Discord double.

Game time runs ten times faster than the wall clock (an injected clock and sleep), so a 10-second
question lasts one real second and no test waits out a full timer.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref

import discord
import pytest

from bot.client import CrateDigger
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.giveaways import names_any_answer, opening_title
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.e2e.conftest import GAME_SPEED
from tests.packs_for_tests import uploaded_pack_yaml

NO_PINGS = {"parse": []}
SPEED = GAME_SPEED


class FastTime:
    """Game clock and sleep that agree with each other and run SPEED times faster than real time."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def monotonic(self) -> float:
        return self.origin + (time.monotonic() - self.origin) * SPEED

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0) / SPEED)


@pytest.fixture(scope="module")
def builtin_catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "scores.sqlite3"


def make_bot(store_path, catalog, *, message_content=False):
    fast = FastTime()

    def factory() -> CrateDigger:
        return CrateDigger(
            store=SqliteStore(store_path),
            catalog=catalog,
            message_content=message_content,
            monotonic=fast.monotonic,
            sleep=fast.sleep,
        )

    return factory


async def sync(bot: CrateDigger, double: DiscordDouble) -> None:
    await bot.tree.sync()
    await double.wait_for_request("PUT", rf"/applications/{double.application_id}/commands")


async def start_trivia(double: DiscordDouble, channel, user, options: dict | None = None, *, guild=None):
    """`/trivia start` typed by ``user`` in ``channel`` (of the double's own server unless ``guild``)."""
    return await double.slash(
        double.guild if guild is None else guild, channel, user, "trivia", subcommand="start", options=options
    )


def question_message(double: DiscordDouble, channel, number: int):
    return double.wait_for_message(
        lambda m: bool(m.embeds) and m.embeds[0].get("title") == f"Question {number} of {m.embeds[0]['title'][-1]}",
        channel=channel,
    )


def result_message(double: DiscordDouble, channel, after_count: int):
    """The n-th "The answer:" embed in the channel (1-based)."""

    def found():
        results = [
            m
            for m in double.messages
            if m.channel_id == channel.id and "The answer:" in (m.embeds or [{}])[0].get("title", "")
        ]
        return results[after_count - 1] if len(results) >= after_count else None

    return double.wait_for(found, timeout=10, what=f"result #{after_count}")


def final_standings(double: DiscordDouble, channel):
    def found():
        return next(
            (
                m
                for m in double.messages
                if m.channel_id == channel.id and m.embeds and m.embeds[0].get("title") == "Final standings"
            ),
            None,
        )

    return double.wait_for(found, timeout=15, what="final standings")


def private_reply(double: DiscordDouble, press) -> str:
    """The text of the private reply to a button press: pressed are acknowledged at once ("thinking")
    and answered by a followup that replaces that placeholder."""
    return double.wait_for(
        lambda: press.message is not None and not press.message.loading and press.content,
        what=f"the private reply to {press!r}",
    )


def button_for(message, text: str) -> str:
    for button in message.buttons:
        if button["label"].split(" · ", 1)[1] == text:
            return button["custom_id"]
    raise AssertionError(f"no button for {text!r}: {[b['label'] for b in message.buttons]}")


def assert_nothing_pings(double: DiscordDouble) -> None:
    writes = double.message_writes()
    assert writes
    for write in writes:
        assert write.allowed_mentions == NO_PINGS, (write.method, write.path, write.json)
    assert all(not message.pings for message in double.messages)
    assert double.unhandled == []


async def test_button_game_scores_the_right_player_and_shows_the_leaderboard(
    discord_double: DiscordDouble, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        started = await start_trivia(double, channel, ann, {"questions": 2, "seconds": 10, "hints": False})
        assert "started a game: 2 questions" in started.content

        asked = await question_message(double, channel, 1)
        in_order = [message.id for message in double.messages]
        assert in_order.index(started.message.id) < in_order.index(asked.id)  # announced, then asked
        embed = asked.embeds[0]
        assert "<t:" in embed["description"] and ":R>" in embed["description"]  # live countdown, no edits
        session = bot.get_cog("TriviaCog").sessions.get(channel.id)
        # The seed pack's title names many answers; a round with one of them goes under a neutral title.
        title = builtin_catalog.pack("kanye-stronger-akira").title
        round_title = opening_title(title, session.game.questions)
        assert embed["footer"]["text"] == round_title and f"**{round_title}**" in started.content
        question = session.game.current
        wrong = next(choice for choice in question.choices if choice != question.answer)

        locked = await double.click(asked, button_for(asked, question.answer), ann)
        assert locked.ephemeral and "Locked in" in await private_reply(double, locked)
        await double.click(asked, button_for(asked, wrong), bob)
        again = await double.click(asked, button_for(asked, wrong), ann)
        assert "already answered" in await private_reply(double, again)

        result = await result_message(double, channel, 1)
        result_embed = result.embeds[0]
        assert question.answer in result_embed["title"]
        fields = {field["name"]: field["value"] for field in result_embed["fields"]}
        assert "ann +" in fields["Scored"] and "bob" not in fields["Scored"]
        assert question.quote.split()[0] in fields["From the article"]
        # The source's title ("This Kanye Music Video...") is shown now only if it names no answer of the round.
        source = "This Kanye Music Video Is Actually Based On Anime"
        shown = result_embed.get("footer", {}).get("text")
        assert shown == (None if names_any_answer(source, session.game.questions) else f"Source: {source}")
        # The buttons were settled: disabled, the right one green.
        settled = asked.component(button_for(asked, question.answer))
        assert settled["disabled"] is True and settled["style"] == discord.ButtonStyle.success.value

        # The score was committed: it is in SQLite.
        stats = await bot.store.player_stats(double.guild.id, ann.id)
        assert stats.points > 0 and stats.correct == 1
        assert (await bot.store.player_stats(double.guild.id, bob.id)).points == 0

        over = await final_standings(double, channel)
        # The title and the source are credited at the end, where they can give nothing away.
        assert over.embeds[0]["footer"]["text"] == f"Questions from {title} · Source: {source}"
        board = await double.slash(double.guild, channel, bob, "trivia", subcommand="leaderboard")
        lines = board.message.embeds[0]["description"].splitlines()
        assert lines[0].startswith("**1.** ann")
        mine = await double.slash(double.guild, channel, ann, "trivia", subcommand="stats")
        assert "Stats for ann" in mine.text and "Best streak" in mine.text
    assert_nothing_pings(double)


async def test_text_game_first_right_message_wins(discord_double: DiscordDouble, store_path, builtin_catalog):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    async with connected_bot(make_bot(store_path, builtin_catalog, message_content=True), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 1, "mode": "text"})
        asked = await question_message(double, channel, 1)
        assert asked.buttons == []
        question = bot.get_cog("TriviaCog").sessions.get(channel.id).game.current

        await double.send_message(double.guild, channel, ann, "certainly not the answer @everyone")
        await double.send_message(double.guild, channel, bob, question.answer.upper())
        await double.send_message(double.guild, channel, ann, question.answer)

        result = await result_message(double, channel, 1)
        fields = {field["name"]: field["value"] for field in result.embeds[0]["fields"]}
        assert fields["Scored"].startswith("bob +")
        assert "ann" not in fields["Scored"]
        assert (await bot.store.player_stats(double.guild.id, bob.id)).correct == 1
        assert await bot.store.player_stats(double.guild.id, ann.id) is None  # wrong chat is not an answer
        await final_standings(double, channel)
    assert_nothing_pings(double)


async def test_a_finished_game_is_freed_at_once(discord_double: DiscordDouble, store_path, builtin_catalog):
    """Once a game is over nothing keeps it: reference counting frees its session and game (and with
    them its renderer and messages) as soon as it ends, instead of leaving a cycle that the collector
    finds only at its next full collection, a pause of the event loop that grows with every game."""
    double = discord_double
    channel = double.channel("trivia")
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog, message_content=True), double) as bot:
        await sync(bot, double)
        gc.collect()
        gc.disable()  # only reference counting may free the game
        try:
            await start_trivia(double, channel, ann, {"questions": 1, "mode": "text"})
            await question_message(double, channel, 1)
            session = bot.get_cog("TriviaCog").sessions.get(channel.id)
            answer = session.game.current.answer
            kept = [weakref.ref(session), weakref.ref(session.game)]
            del session
            await double.send_message(double.guild, channel, ann, answer)
            await final_standings(double, channel)
            deadline = time.monotonic() + 5
            while any(ref() is not None for ref in kept) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)  # the game's task ends just after its last message
            assert [ref() for ref in kept] == [None, None]
        finally:
            gc.enable()


async def test_text_mode_needs_the_message_content_intent(discord_double, store_path, builtin_catalog):
    double = discord_double
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        refused = await start_trivia(double, None, User.member("ann"), {"mode": "text"})
        assert refused.ephemeral and "Message Content intent" in refused.content
        assert bot.get_cog("TriviaCog").sessions.running() == 0


async def test_one_game_per_channel_and_only_the_starter_or_a_moderator_stops_it(
    discord_double, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob, mo = User.member("ann"), User.member("bob"), User.moderator("mo")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 5})
        second = await start_trivia(double, channel, bob)
        assert second.ephemeral and "already running" in second.content
        elsewhere = await start_trivia(double, double.channel("general"), bob)
        assert "started a game" in elsewhere.content
        assert bot.get_cog("TriviaCog").sessions.running() == 2

        refused = await double.slash(double.guild, channel, bob, "trivia", subcommand="stop")
        assert refused.ephemeral and "started this game or a moderator" in refused.content
        skipped = await double.slash(double.guild, channel, ann, "trivia", subcommand="skip")
        assert skipped.content == "Skipping."
        stopped = await double.slash(double.guild, channel, mo, "trivia", subcommand="stop")
        assert stopped.content == "Stopping the game."
        standings = await final_standings(double, channel)
        assert "stopped" in standings.embeds[0]["description"]
        await double.slash(double.guild, double.channel("general"), bob, "trivia", subcommand="stop")
        await double.wait_for(lambda: bot.get_cog("TriviaCog").sessions.running() == 0, what="games ended")
    assert_nothing_pings(double)


async def test_fact_look_up_and_its_autocomplete(discord_double, store_path, builtin_catalog):
    double = discord_double
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        choices = await double.autocomplete(double.guild, None, ann, "fact", focused="name", value="ak")
        assert choices[0]["value"] == "Akira" and len(choices) <= 25
        everything = await double.autocomplete(double.guild, None, ann, "fact", focused="name", value="")
        assert 1 <= len(everything) <= 25
        answer = await double.slash(double.guild, None, ann, "fact", options={"name": "akira"})
        text = answer.text
        assert 'the "Stronger" music video' in text and "Katsuhiro Otomo" in text and "Tetsuo Shima" in text
        assert "The video for Stronger is largely based on Akira" in text
        assert "This Kanye Music Video Is Actually Based On Anime" in text
        reverse = await double.slash(double.guild, None, ann, "fact", options={"name": "daft punk"})
        assert "Stronger" in reverse.text and "Sampled by" in reverse.text
        unknown = await double.slash(double.guild, None, ann, "fact", options={"name": "akria zzz"})
        assert unknown.ephemeral and "Did you mean" in unknown.content
    assert_nothing_pings(double)


async def test_moderator_uploads_a_pack_and_plays_it_in_that_server_only(discord_double, store_path, builtin_catalog):
    double = discord_double
    other = double.add_guild("Other Server", channels=("lobby",))
    mo, ann = User.moderator("mo"), User.member("ann")
    channel = double.channel("trivia")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        pack_file = double.upload("amen.yaml", uploaded_pack_yaml())

        refused = await double.slash(double.guild, channel, ann, "pack", subcommand="add", options={"file": pack_file})
        assert refused.ephemeral and "Manage Server" in refused.content
        assert await bot.store.get_pack(double.guild.id, "amen-break") is None

        bad = double.upload("bad.yaml", uploaded_pack_yaml().replace("relation: samples", "relation: sampled"))
        checked = await double.slash(double.guild, channel, mo, "pack", subcommand="check", options={"file": bad})
        await double.wait_for(lambda: checked.message is not None and not checked.message.loading)
        assert "bad.yaml:" in checked.message.content and "unknown relation 'sampled'" in checked.message.content

        added = await double.slash(double.guild, channel, mo, "pack", subcommand="add", options={"file": pack_file})
        await double.wait_for(lambda: added.message is not None and not added.message.loading)
        assert "Added" in added.message.content and added.message.ephemeral
        assert await bot.store.get_pack(double.guild.id, "amen-break") is not None

        # A bad replacement leaves the stored pack as it was.
        failed = await double.slash(double.guild, channel, mo, "pack", subcommand="add", options={"file": bad})
        await double.wait_for(lambda: failed.message is not None and not failed.message.loading)
        assert "nothing was saved" in failed.message.content
        assert "sampled\n" not in (await bot.store.get_pack(double.guild.id, "amen-break")).yaml_text

        listed = await double.slash(double.guild, channel, mo, "pack", subcommand="list")
        assert "amen-break" in listed.text and "uploaded" in listed.text

        started = await start_trivia(double, channel, ann, {"pack": "amen-break", "questions": 1})
        assert "The Amen break" in started.content
        asked = await question_message(double, channel, 1)
        assert asked.embeds[0]["footer"]["text"] == "The Amen break"
        await bot.get_cog("TriviaCog").sessions.get(channel.id).stop()

        elsewhere = await start_trivia(
            double, other.text_channels[0], User.member("zed"), {"pack": "amen-break"}, guild=other
        )
        assert elsewhere.ephemeral and "no pack `amen-break`" in elsewhere.content
        fact_elsewhere = await double.slash(other, None, User.member("zed"), "fact", options={"name": "The Winstons"})
        assert "I know nothing called" in fact_elsewhere.content

        removed = await double.slash(
            double.guild, channel, mo, "pack", subcommand="remove", options={"pack": "amen-break"}
        )
        assert "Removed" in removed.content
    assert_nothing_pings(double)


async def test_every_embed_stays_within_discord_limits(discord_double, store_path, builtin_catalog):
    """The double rejects oversized payloads (50035); a whole pack's worth of /fact answers must pass."""
    double = discord_double
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        for entity in builtin_catalog.index.entities():
            reply = await double.slash(double.guild, None, ann, "fact", options={"name": entity.name})
            assert not reply.rejected
            assert reply.message.embeds and len(reply.message.embeds[0]["title"]) <= 256
        assert all(request.status < 400 for request in double.requests if request.status is not None)
    assert_nothing_pings(double)


async def test_a_failing_command_gives_a_short_private_message_and_one_log_line(
    discord_double, store_path, builtin_catalog, caplog
):
    double = discord_double
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)

        async def broken_leaderboard(*args, **kwargs):
            raise RuntimeError("disk on fire")

        bot.store.leaderboard = broken_leaderboard
        with caplog.at_level(logging.ERROR, logger="bot.client"):
            reply = await double.slash(double.guild, None, User.member("ann"), "trivia", subcommand="leaderboard")
        assert reply.ephemeral
        assert reply.content == "Something went wrong on our side; the error has been logged."
        assert "Traceback" not in reply.text and "disk on fire" not in reply.text
        errors = [record for record in caplog.records if record.name == "bot.client"]
        assert len(errors) == 1 and "/trivia leaderboard" in errors[0].getMessage()
