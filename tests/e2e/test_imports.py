"""A moderator uploads Open Trivia DB JSON with /pack add; it is imported, played, and credited."""

from __future__ import annotations

from pathlib import Path

from bot.authoring.imports import OPENTDB_ATTRIBUTION
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import User, connected_bot
from tests.e2e.test_bot import assert_nothing_pings, make_bot, question_message, result_message, start_trivia, sync

FIXTURES = Path(__file__).parents[1] / "authoring" / "fixtures"


async def test_an_opentdb_upload_is_imported_and_its_reveal_credits_the_source(discord_double, tmp_path):
    double = discord_double
    mo = User.moderator("mo")
    channel = double.channel("trivia")
    builtin = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]
    async with connected_bot(make_bot(tmp_path / "scores.sqlite3", builtin), double) as bot:
        await sync(bot, double)
        upload = double.upload("opentdb-music.json", (FIXTURES / "opentdb-music.json").read_text(encoding="utf-8"))
        added = await double.slash(double.guild, channel, mo, "pack", subcommand="add", options={"file": upload})
        await double.wait_for(lambda: added.message is not None and not added.message.loading)
        assert "Added" in added.message.content and "from Open Trivia DB JSON" in added.message.content
        assert "`opentdb-music`" in added.message.content and "7 questions" in added.message.content

        await start_trivia(double, channel, mo, {"pack": "opentdb-music", "questions": 1})
        await question_message(double, channel, 1)
        skipped = await double.slash(double.guild, channel, mo, "trivia", subcommand="skip")
        assert skipped.content == "Skipping."
        revealed = await result_message(double, channel, 1)
        footer = revealed.embeds[0]["footer"]["text"]
        assert footer == f"Source: Open Trivia Database\n{OPENTDB_ATTRIBUTION}"
    assert_nothing_pings(double)
