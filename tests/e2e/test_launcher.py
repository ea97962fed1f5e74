"""`crate-digger run` and `sync` against the Discord double: clear one-line exits, never a traceback.

`run` and `sync` own their event loop (asyncio.run), so the double runs on a loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import threading
import types

import discord
import pytest

from bot import launcher
from bot.client import CrateDigger
from bot.config import load_settings
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.discord_double.fixtures import patch_discord_urls
from tests.e2e.test_bot import start_trivia
from tests.test_packcache import count_generations

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.secret-part.of-the-token"


@contextlib.contextmanager
def double_on_its_own_loop():
    with double_and_its_loop() as (double, _):
        yield double


@contextlib.contextmanager
def double_and_its_loop(**options):
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    double = DiscordDouble(**options)
    asyncio.run_coroutine_threadsafe(double.start(), loop).result(10)
    try:
        with patch_discord_urls(double):
            yield double, loop
    finally:
        asyncio.run_coroutine_threadsafe(double.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def restore_logging():
    """`run` installs discord.py's log handler on the root logger; keep it from leaking into other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def settings_for(tmp_path, **extra):
    return load_settings(
        {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "db.sqlite3"), "LOG_LEVEL": "DEBUG", **extra}
    )


def the_exit_line(err: str) -> str:
    """The single line the launcher prints when it gives up (log lines may come before it)."""
    (line,) = [line for line in err.splitlines() if line.startswith("crate-digger:")]
    return line


def test_a_rejected_token_ends_with_one_line_and_exit_2(tmp_path, capsys, restore_logging):
    with double_on_its_own_loop() as double:
        double.fail_next("GET", r"/users/@me$", status=401, code=0, message="401: Unauthorized")
        code = launcher.run(settings_for(tmp_path))
    captured = capsys.readouterr()
    assert code == 2
    assert the_exit_line(captured.err).startswith("crate-digger: Discord rejected DISCORD_TOKEN")
    assert "Traceback" not in captured.err + captured.out
    assert TOKEN not in captured.err + captured.out
    assert "secret-part" not in captured.err + captured.out


def test_a_privileged_intent_the_portal_refuses_ends_with_one_line_and_exit_2(tmp_path, capsys, restore_logging):
    with double_on_its_own_loop() as double:
        double.disallowed_intents = discord.Intents(message_content=True).value
        code = launcher.run(settings_for(tmp_path, MESSAGE_CONTENT_INTENT="true"))
    captured = capsys.readouterr()
    assert code == 2
    line = the_exit_line(captured.err)
    assert "Message Content intent is not enabled" in line and "MESSAGE_CONTENT_INTENT=false" in line
    assert "Traceback" not in captured.err + captured.out
    assert "secret-part" not in captured.err + captured.out


def test_too_few_shards_for_discord_ends_with_one_line_and_exit_2(tmp_path, capsys, restore_logging):
    # Discord closes a shard that would hold too many servers with 4011; here "too many" is two.
    with double_and_its_loop(max_guilds_per_shard=1) as (double, _):
        double.add_guild("Second Server")
        code = launcher.run(settings_for(tmp_path, SHARD_COUNT="1"))
    captured = capsys.readouterr()
    assert code == 2
    line = the_exit_line(captured.err)
    assert "too many servers for SHARD_COUNT (code 4011" in line and "raise SHARD_COUNT in every process" in line
    assert "Traceback" not in captured.err + captured.out
    assert "secret-part" not in captured.err + captured.out


def test_sync_registers_the_commands_with_one_server(tmp_path, capsys, restore_logging):
    with double_on_its_own_loop() as double:
        code = launcher.sync(settings_for(tmp_path), double.guild.id)
        synced = set(double.commands.get(double.guild.id, {}))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert synced == {"trivia", "fact", "pack"}
    assert f"synced 3 commands to server {double.guild.id}" in captured.out
    assert "secret-part" not in captured.err + captured.out


async def test_run_syncs_to_the_development_server_at_start(discord_double, tmp_path):
    double = discord_double
    catalog = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]

    def factory():
        return CrateDigger(store=SqliteStore(tmp_path / "db.sqlite3"), catalog=catalog, dev_guild_id=double.guild.id)

    async with connected_bot(factory, double):
        assert set(double.commands.get(double.guild.id, {})) == {"trivia", "fact", "pack"}
        assert None not in double.commands  # nothing global: sync is on demand


@pytest.mark.reliability
def test_sigterm_stops_as_gracefully_as_ctrl_c(tmp_path, restore_logging):
    """What systemd and Docker send: the game in progress is stopped with its final standings posted,
    finished in storage and its buttons disabled, and `run` exits 0."""
    done: dict[str, object] = {}
    with double_and_its_loop() as (double, loop):
        channel = double.channel("trivia")

        def on_double(coroutine, timeout: float = 20):
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

        def play_then_terminate() -> None:
            try:
                on_double(double.wait_for(lambda: double.commands.get(double.guild.id), timeout=20, what="sync"))
                on_double(double.wait_until_ready(timeout=20))
                on_double(
                    start_trivia(double, channel, User.member("ann"), {"questions": 3, "seconds": 60, "hints": False})
                )
                done["asked"] = on_double(
                    double.wait_for_message(
                        lambda m: bool(m.embeds) and m.embeds[0].get("title", "").startswith("Question 1"),
                        channel=channel,
                        timeout=20,
                    )
                )
            except BaseException as error:  # reported below; the bot must still be told to stop
                done["error"] = error
            finally:
                os.kill(os.getpid(), signal.SIGTERM)

        driver = threading.Thread(target=play_then_terminate)
        driver.start()
        code = launcher.run(settings_for(tmp_path, DEV_GUILD_ID=str(double.guild.id)))
        driver.join(30)
        assert "error" not in done, done.get("error")
        standings = [m for m in double.messages_in(channel) if m.embeds and m.embeds[0]["title"] == "Final standings"]
    assert code == 0
    assert len(standings) == 1 and "stopped" in standings[0].embeds[0]["description"]
    asked = done["asked"]
    # The answer buttons are settled; the Report button the answer brings stays pressable.
    answers = [button for button in asked.buttons if button["custom_id"].startswith("crate-digger:")]
    assert answers and all(button.get("disabled") for button in answers)
    with contextlib.closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        games = db.execute("SELECT finished_at IS NOT NULL, stopped, interrupted FROM games").fetchall()
    assert games == [(1, 1, 0)]


def test_the_shard_settings_reach_the_bot(tmp_path):
    bot = launcher.build_bot(settings_for(tmp_path, SHARD_COUNT="4", SHARD_IDS="2-3"), sync_on_start=False)
    assert isinstance(bot, discord.AutoShardedClient)
    assert (bot.shard_count, bot.shard_ids) == (4, [2, 3])
    assert bot.shard_scope.owns((1 << 22) * 6) and not bot.shard_scope.owns((1 << 22) * 5)

    unsharded = launcher.build_bot(settings_for(tmp_path), sync_on_start=False)
    # Nothing set: discord.py asks GET /gateway/bot how many shards to run, and runs them all.
    assert (unsharded.shard_count, unsharded.shard_ids) == (None, None)
    assert unsharded.shard_scope.runs_every_shard


def test_an_invalid_shard_or_another_refusal_is_explained_in_one_line():
    invalid = discord.ConnectionClosed(types.SimpleNamespace(close_code=4010), shard_id=1)
    assert launcher._gateway_refused(invalid) == (
        "Discord refused shard 1 (code 4010, invalid shard): SHARD_COUNT must be the same in every process "
        "and each SHARD_IDS below it"
    )
    other = discord.ConnectionClosed(types.SimpleNamespace(close_code=4013), shard_id=0)
    assert launcher._gateway_refused(other) == (
        "Discord closed shard 0 and will not take it back (code 4013: no reason given)"
    )


def test_a_restart_with_unchanged_packs_takes_the_questions_from_the_cache(tmp_path, monkeypatch):
    generations = count_generations(monkeypatch)
    first = launcher.build_bot(settings_for(tmp_path), sync_on_start=False)
    restarted = launcher.build_bot(settings_for(tmp_path), sync_on_start=False)
    assert len(generations) == 1
    pack_ids = [pack.id for pack in first.library.builtin.packs()]
    assert pack_ids and pack_ids == [pack.id for pack in restarted.library.builtin.packs()]
    assert all(first.library.builtin.questions(pack) == restarted.library.builtin.questions(pack) for pack in pack_ids)
