"""The slash-command payload a sync sends, checked against Discord's documented limits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.client import CrateDigger
from bot.launcher import command_payload
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR

NAME = re.compile(r"^[-_\w]{1,32}$")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def payload(tmp_path):
    bot = CrateDigger(store=SqliteStore(tmp_path / "x.sqlite3"), catalog=Catalog.from_folder(BUILTIN_PACKS_DIR)[0])
    await bot.add_commands()
    return command_payload(bot)


def walk_options(options):
    for option in options or ():
        yield option
        yield from walk_options(option.get("options"))


def command_length(command) -> int:
    """Discord's 8000-character budget: names, descriptions and choice names/values, all levels."""
    total = len(command["name"]) + len(command.get("description", ""))
    for option in walk_options(command.get("options")):
        total += len(option["name"]) + len(option.get("description", ""))
        for choice in option.get("choices", ()):
            total += len(choice["name"]) + len(str(choice["value"]))
    return total


async def test_every_command_is_within_discord_limits(payload):
    names = [command["name"] for command in payload]
    assert sorted(names) == ["fact", "pack", "trivia"]
    assert len(names) == len(set(names))
    for command in payload:
        assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
        assert 1 <= len(command["description"]) <= 100
        assert len(command.get("options", [])) <= 25
        assert command_length(command) <= 8000
        for option in walk_options(command.get("options")):
            assert NAME.match(option["name"]) and option["name"] == option["name"].lower(), option
            assert 1 <= len(option["description"]) <= 100, option
            assert len(option.get("options", [])) <= 25
            assert len(option.get("choices", [])) <= 25
            for choice in option.get("choices", ()):
                assert 1 <= len(choice["name"]) <= 100


async def test_the_expected_commands_and_options_are_there(payload):
    by_name = {command["name"]: command for command in payload}
    trivia = {sub["name"] for sub in by_name["trivia"]["options"]}
    assert trivia == {
        "start",
        "stop",
        "skip",
        "leaderboard",
        "stats",
        "packs",
        "daily",
        "daily-channel",
        "season",
        "forget-me",
        "reset",
    }
    subcommands = {sub["name"]: sub for sub in by_name["trivia"]["options"]}
    assert {sub["name"] for sub in subcommands["season"]["options"]} == {"list", "end"}
    for scoped in ("leaderboard", "stats"):
        options = {option["name"]: option for option in subcommands[scoped]["options"]}
        assert [choice["value"] for choice in options["period"]["choices"]] == ["all", "week", "month", "season"]
        assert options["pack"]["autocomplete"] is True and "season" in options
    pack = by_name["pack"]
    assert {sub["name"] for sub in pack["options"]} == {"add", "check", "draft", "remove", "list", "show", "reports"}
    assert int(pack["default_member_permissions"]) == 1 << 5  # Manage Server
    fact_name = by_name["fact"]["options"][0]
    assert fact_name["name"] == "name" and fact_name["autocomplete"] is True


def test_the_cli_prints_the_same_payload_without_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["DATABASE_PATH"] = str(tmp_path / "db.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "commands", "--json"], capture_output=True, text=True, cwd=REPO, env=env
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert {command["name"] for command in printed} == {"fact", "pack", "trivia"}
    assert not (tmp_path / "db.sqlite3").exists()  # printing the payload opens no database


@pytest.mark.parametrize("command", ["run", "sync"])
def test_run_and_sync_without_a_token_say_what_to_do(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", command], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "DISCORD_TOKEN" in result.stderr
