"""The CLI at the edges: a reader that goes away, and databases it cannot use. One line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import EXIT_BROKEN_PIPE
from bot.trivia.packs import BUILTIN_PACKS_DIR

REPO = Path(__file__).resolve().parent.parent
SEED_ID = "kanye-stronger-akira"


def cli_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISCORD_TOKEN", "DEV_GUILD_ID", "LOG_LEVEL", "MESSAGE_CONTENT_INTENT", "DATABASE_PATH")
    }
    environment.update(
        PACKS_DIR=str(BUILTIN_PACKS_DIR),
        DATABASE_PATH=str(tmp_path / "scores.sqlite3"),
        PYTHONPATH=str(REPO),
        **extra,
    )
    return environment


@pytest.mark.reliability
@pytest.mark.parametrize(
    "argv",
    [["packs", "show", SEED_ID], ["packs", "show", SEED_ID, "--json"], ["commands", "--json"], ["packs", "list"]],
    ids=lambda argv: " ".join(argv),
)
def test_a_reader_that_went_away_ends_quietly(tmp_path, argv):
    # `... | head` closes the pipe after a line; closing the read end before the command writes makes that
    # deterministic (however much output fits in the pipe's buffer).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "bot", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=cli_environment(tmp_path),
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert finished.stderr.decode() == ""  # no BrokenPipeError, no "Exception ignored"
    assert finished.returncode == EXIT_BROKEN_PIPE
