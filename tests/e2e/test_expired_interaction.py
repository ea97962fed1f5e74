"""/pack add when Discord no longer takes the interaction's replies: one log line, nothing half-done.

An interaction token stops working 15 minutes after the command (Invalid Webhook Token), and an
interaction not acknowledged within 3 seconds is unknown to Discord (Unknown interaction).
"""

from __future__ import annotations

import logging

import pytest

from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import User, connected_bot
from tests.discord_double.models import AttachmentUpload, next_snowflake
from tests.e2e.test_bot import make_bot, sync
from tests.packs_for_tests import uploaded_pack_yaml

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def builtin_catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "scores.sqlite3"


def bot_log_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith("bot.") and record.levelno >= logging.WARNING]


async def test_a_pack_added_after_the_token_expired_is_saved_and_logged_in_one_line(
    discord_double, store_path, builtin_catalog, caplog
):
    double = discord_double
    channel = double.channel("trivia")
    mo = User.moderator("mo")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        # The defer gets through; every later reply on this token is refused, as after 15 minutes.
        double.fail_next(
            "POST",
            rf"/webhooks/{double.application_id}/",
            status=401,
            code=50027,
            message="Invalid Webhook Token",
            times=5,
        )
        pack_file = double.upload("amen.yaml", uploaded_pack_yaml())
        caplog.clear()
        await double.slash(double.guild, channel, mo, "pack", subcommand="add", options={"file": pack_file})
        await double.wait_for(lambda: bot_log_lines(caplog), what="the log line")
        assert await bot.store.get_pack(double.guild.id, "amen-break") is not None  # whole, not half-done
    (line,) = bot_log_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "amen-break" in line.getMessage() and "saved" in line.getMessage()
    assert double.unhandled == []


async def test_a_pack_add_discord_no_longer_knows_saves_nothing_and_logs_one_line(
    discord_double, store_path, builtin_catalog, caplog
):
    double = discord_double
    channel = double.channel("trivia")
    mo = User.moderator("mo")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        double.fail_next(
            "POST", r"/interactions/\d+/[^/]+/callback", status=404, code=10062, message="Unknown interaction"
        )
        pack_file = double.upload("amen.yaml", uploaded_pack_yaml())
        caplog.clear()
        await double.slash(double.guild, channel, mo, "pack", subcommand="add", options={"file": pack_file}, wait=False)
        await double.wait_for(lambda: bot_log_lines(caplog), what="the log line")
        assert await bot.store.get_pack(double.guild.id, "amen-break") is None
    (line,) = bot_log_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "expired" in line.getMessage()


async def test_an_upload_that_cannot_be_downloaded_gets_a_clear_reply_and_saves_nothing(
    discord_double, store_path, builtin_catalog, caplog
):
    double = discord_double
    channel = double.channel("trivia")
    mo = User.moderator("mo")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        # An attachment whose link no longer works (expired, or gone from the CDN): it 404s.
        attachment_id = next_snowflake()
        gone = AttachmentUpload(
            attachment_id,
            "amen.yaml",
            uploaded_pack_yaml().encode(),
            "application/x-yaml",
            f"{double.root_url}/attachments/{attachment_id}/amen.yaml",
        )
        caplog.clear()
        added = await double.slash(double.guild, channel, mo, "pack", subcommand="add", options={"file": gone})
        await double.wait_for(lambda: added.message is not None and not added.message.loading)
        assert "couldn't download that file" in added.message.content and added.message.ephemeral
        assert await bot.store.get_pack(double.guild.id, "amen-break") is None
    (line,) = bot_log_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
