"""The CLI at the edges: a reader that goes away, and databases it cannot use. One line, never a traceback."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from discord.http import Route

from bot.cli import EXIT_BROKEN_PIPE, EXIT_USAGE, main
from bot.storage.sqlite import load_migrations
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


# ---------------------------------------------------------------- databases it cannot use


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`main()` in this process: no .env, no real token, the built-in packs."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "DISCORD_TOKEN",
        "DEV_GUILD_ID",
        "LOG_LEVEL",
        "MESSAGE_CONTENT_INTENT",
        "DATABASE_PATH",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PACKS_DIR", str(BUILTIN_PACKS_DIR))


@pytest.fixture
def restore_logging():
    """`run` installs discord.py's log handler on the root logger; keep it from leaking into other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def discord_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point discord.py at a port nobody listens on, so nothing here can reach the real Discord."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(Route, "BASE", f"http://127.0.0.1:{port}/api/v10")


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("crate-digger:")]
    assert len(lines) == 1, err
    return lines[0]


def bad_database_paths(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "notes.txt").write_text("not a database\n")
    (tmp_path / "folder").mkdir()
    with sqlite3.connect(tmp_path / "other.sqlite3") as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    return {
        "a folder": tmp_path / "folder",
        "/dev/null": Path("/dev/null"),
        "/proc": Path("/proc/x.sqlite3"),
        "a text file": tmp_path / "notes.txt",
        "under a file": tmp_path / "notes.txt" / "scores.sqlite3",
        "another program's database": tmp_path / "other.sqlite3",
    }


BAD_DATABASES = ["a folder", "/dev/null", "/proc", "a text file", "under a file", "another program's database"]


@pytest.mark.reliability
@pytest.mark.parametrize("kind", BAD_DATABASES)
def test_play_with_a_database_it_cannot_use_ends_with_one_line(tmp_path, in_process, monkeypatch, capsys, kind):
    monkeypatch.setenv("DATABASE_PATH", str(bad_database_paths(tmp_path)[kind]))
    code = main(["play", "--questions", "1"])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "DATABASE_PATH" in one_line(captured.err) or "SQLite" in one_line(captured.err)


@pytest.mark.reliability
@pytest.mark.parametrize("kind", BAD_DATABASES)
def test_run_with_a_database_it_cannot_use_ends_with_one_line_before_going_online(
    tmp_path, in_process, monkeypatch, capsys, restore_logging, discord_unreachable, kind
):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("DATABASE_PATH", str(bad_database_paths(tmp_path)[kind]))
    code = main(["run"])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    line = one_line(captured.err)
    assert "cannot reach Discord" not in line  # the database is checked first, with no network needed
    assert "DATABASE_PATH" in line


@pytest.mark.reliability
def test_run_with_a_newer_database_says_upgrade(tmp_path, in_process, monkeypatch, capsys, restore_logging):
    path = tmp_path / "scores.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 5}")
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    code = main(["run"])
    assert code == EXIT_USAGE
    assert "upgrade Crate Digger" in one_line(capsys.readouterr().err)


# Port 1 on loopback: nothing listens there, so PostgreSQL is refused at once.
UNREACHABLE_POSTGRES = "postgresql://crate:db-password-xyz@127.0.0.1:1/crate"


@pytest.mark.reliability
@pytest.mark.parametrize("command", [["play", "--questions", "1"], ["run"], ["db", "check"]])
def test_a_postgres_database_it_cannot_reach_ends_with_one_line_without_the_password(
    tmp_path, in_process, monkeypatch, capsys, restore_logging, discord_unreachable, command
):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)
    code = main(command)
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    line = one_line(captured.err)
    assert line.startswith("crate-digger: cannot connect to PostgreSQL at postgresql://crate:***@127.0.0.1:1/crate")
    assert "db-password-xyz" not in captured.err + captured.out


# ---------------------------------------------------------------- no network


@pytest.mark.reliability
@pytest.mark.parametrize("command", [["run"], ["sync"]])
def test_discord_refusing_the_connection_ends_with_one_line(
    tmp_path, in_process, monkeypatch, capsys, restore_logging, discord_unreachable, command
):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "scores.sqlite3"))
    code = main(command)
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    assert one_line(captured.err).startswith("crate-digger: cannot reach Discord (")
    assert "check this machine's network connection" in captured.err


@pytest.mark.reliability
def test_a_dns_failure_ends_with_one_line(tmp_path, in_process, monkeypatch, capsys, restore_logging):
    # What `DISCORD_TOKEN=abc crate-digger run` meets with no network: the name does not resolve.
    host = "discord.crate-digger-test.invalid"
    monkeypatch.setattr(Route, "BASE", f"http://{host}/api/v10")
    real_getaddrinfo = socket.getaddrinfo

    def no_dns(name, *args, **kwargs):
        if name == host:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "scores.sqlite3"))
    code = main(["run"])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    line = one_line(captured.err)
    assert line.startswith("crate-digger: cannot reach Discord (") and "Name or service not known" in line
    assert len(captured.err.splitlines()) <= 3  # not 80 lines of traceback
