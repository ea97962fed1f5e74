"""Question reports end to end: a player reports a revealed question, a moderator sees it in
`/pack reports` and disables it, and the server never gets it again; non-moderators are refused and
players are rate-limited. The real bot over real sockets against the Discord double."""

from __future__ import annotations

import pytest

from bot.cogs import trivia as trivia_cog
from bot.trivia.reports import REPORT_LIMIT, ReportReason
from tests.discord_double import User, connected_bot
from tests.e2e.test_bot import (
    assert_nothing_pings,
    button_for,
    make_bot,
    private_reply,
    result_message,
    start_trivia,
    sync,
)
from tests.e2e.test_reliability import builtin_catalog  # noqa: F401  (a fixture)
from tests.packs_for_tests import uploaded_pack_yaml

PACK = "amen-break"


def spy(pick, pools: list):
    """``pick_questions`` that also records the questions it was offered."""

    def picking(questions, *args, **kwargs):
        pools.append(list(questions))
        return pick(questions, *args, **kwargs)

    return picking


def report_button(message) -> str:
    (custom_id,) = [button["custom_id"] for button in message.buttons if button.get("label") == "Report"]
    return custom_id


async def answered(double, press):
    await private_reply(double, press)
    return press.message


async def report(double, result, user, reason: ReportReason, comment: str):
    """Press Report under ``result``, pick ``reason`` and submit ``comment``; the final private reply."""
    press = await double.click(result, report_button(result), user)
    asked = await answered(double, press)
    (select,) = [custom_id for custom_id in asked.custom_ids if custom_id.startswith("cd-report-why:")]
    picked = await double.click(asked, select, user, values=[reason.value])
    assert picked.modal is not None, picked
    submitted = await double.submit_modal(picked, user, {"comment": comment})
    return await private_reply(double, submitted)


def titled(title: str):
    return lambda message: bool(message.embeds) and message.embeds[0].get("title") == title


async def play_whole_pack(double, bot, channel, player) -> tuple[list[str], list]:
    """Start a game of every question of PACK and answer each right: the ids asked and their results."""
    started = await start_trivia(
        double, channel, player, {"pack": PACK, "questions": 50, "seconds": 10, "hints": False}
    )
    game = bot.get_cog("TriviaCog").sessions.get(channel.id).game
    ids = [question.id for question in game.questions]
    results = []
    after = started.message
    for number in range(1, len(ids) + 1):
        asked = await double.wait_for_message(titled(f"Question {number} of {len(ids)}"), channel=channel, after=after)
        press = await double.click(asked, button_for(asked, game.current.answer), player)
        await private_reply(double, press)
        # With buttons the question's own message turns into its answer.
        after = await double.wait_for(
            lambda asked=asked: asked if "The answer:" in (asked.embeds or [{}])[0].get("title", "") else None,
            what=f"the answer to question {number}",
        )
        results.append(after)
    await double.wait_for_message(titled("Final standings"), channel=channel, after=after, timeout=15)
    await double.wait_for(lambda: bot.get_cog("TriviaCog").sessions.get(channel.id) is None, what="the game's end")
    return ids, results


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "scores.sqlite3"


async def test_a_reported_question_is_disabled_by_a_moderator_and_never_asked_again(
    discord_double,
    store_path,
    builtin_catalog,  # noqa: F811
    monkeypatch,
):
    double = discord_double
    channel = double.channel("trivia")
    mo, ann = User.moderator("mo"), User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        added = await double.slash(
            double.guild,
            channel,
            mo,
            "pack",
            subcommand="add",
            options={"file": double.upload("amen.yaml", uploaded_pack_yaml())},
        )
        await double.wait_for(lambda: added.message is not None and not added.message.loading)

        first_round, results = await play_whole_pack(double, bot, channel, ann)
        result, reported = results[0], first_round[0]

        reply = await report(double, result, ann, ReportReason.WRONG_ANSWER, "It came out in 1969 <@999> @everyone")
        assert reply.startswith("Thanks! Reported as “The answer is wrong”")
        again = await report(double, result, ann, ReportReason.UNCLEAR, "")
        assert again == "You've already reported this question; the moderators will see it."
        (stored,) = await bot.store.open_reports(double.guild.id)
        assert (stored.question_id, stored.user_id, stored.reason) == (reported, ann.id, ReportReason.WRONG_ANSWER)

        refused = await double.slash(double.guild, channel, ann, "pack", subcommand="reports")
        assert refused.ephemeral and "Manage Server" in refused.content

        listing = await double.slash(double.guild, channel, mo, "pack", subcommand="reports", options={"pack": PACK})
        await double.wait_for(lambda: listing.message is not None and not listing.message.loading)
        text = listing.message.text
        assert listing.message.ephemeral and "1 open report of 1 question" in text
        assert "The answer is wrong ×1" in text and "It came out in 1969" in text
        assert stored.prompt in text

        # A member who is shown the buttons somehow still cannot use them.
        sneaky = await double.click(listing.message, listing.message.button_by_label("Disable #1")["custom_id"], ann)
        assert "Only moderators" in sneaky.content
        assert await bot.store.disabled_questions(double.guild.id) == frozenset()

        disabled = await double.click(listing.message, listing.message.button_by_label("Disable #1")["custom_id"], mo)
        assert disabled.ephemeral and disabled.content.startswith("Disabled: it won't be asked in this server again.")
        assert await bot.store.disabled_questions(double.guild.id) == frozenset({reported})
        assert await bot.store.open_reports(double.guild.id) == []
        empty = await double.slash(double.guild, channel, mo, "pack", subcommand="reports")
        assert empty.content == "No open reports."

        # The next round is picked from every question of the pack but the disabled one.
        pools = []
        monkeypatch.setattr(trivia_cog, "pick_questions", spy(trivia_cog.pick_questions, pools))
        second_round, _ = await play_whole_pack(double, bot, channel, ann)
        (pool,) = pools
        catalog = await bot.library.catalog_for(double.guild.id)
        assert [question.id for question in pool] == [q.id for q in catalog.questions(PACK) if q.id != reported]
        assert second_round and reported not in second_round
    assert_nothing_pings(double)


async def test_reports_are_rate_limited_per_player(
    discord_double,
    store_path,
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        now = bot.wall_clock()
        for number in range(REPORT_LIMIT.reports):
            await bot.store.add_report(
                guild_id=double.guild.id,
                pack_id="elsewhere",
                question_id=f"elsewhere/q{number}",
                prompt="An earlier question?",
                user_id=ann.id,
                reason=ReportReason.UNCLEAR,
                comment="",
                reported_at=now - 60 * (REPORT_LIMIT.reports - number),
            )
        await start_trivia(double, channel, ann, {"questions": 1, "seconds": 10, "hints": False})
        result = await result_message(double, channel, 1)

        limited = await double.click(result, report_button(result), ann)
        assert limited.latency is not None and limited.latency < 3
        text = await private_reply(double, limited)
        assert text.startswith("You've sent 5 reports in the last 10 minutes") and "about 5 minutes" in text
        assert len(await bot.store.open_reports(double.guild.id)) == REPORT_LIMIT.reports

        # Someone else may still report.
        reply = await report(double, result, bob, ReportReason.ALSO_RIGHT, "")
        assert reply.startswith("Thanks!")
    assert_nothing_pings(double)
