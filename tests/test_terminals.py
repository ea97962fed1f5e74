"""Whose a terminal game is, and whether the process that plays it still runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bot import terminals
from bot.storage.base import UnfinishedGame
from bot.terminals import Terminal, left_over, machine_hash, process_runs_since, this_terminal

HERE, THERE = 12345, 67890


def test_a_terminals_channel_id_packs_its_machine_and_process():
    terminal = Terminal(machine=(1 << 31) - 1, pid=(1 << 32) - 1)
    assert 0 < terminal.channel_id < 1 << 63  # a positive signed 64-bit integer, as both stores keep ids
    assert Terminal.of_channel(terminal.channel_id) == terminal
    assert Terminal.of_channel(Terminal(HERE, 42).channel_id) == Terminal(HERE, 42)
    assert Terminal.of_channel(0) is None  # where every terminal's games went before
    assert Terminal.of_channel(7) is None  # no machine
    with pytest.raises(ValueError, match="machine"):
        Terminal(0, 42)
    with pytest.raises(ValueError, match="process id"):
        Terminal(HERE, 0)


def test_this_terminal_is_this_process_on_this_machine():
    assert this_terminal() == Terminal(machine_hash(), os.getpid())
    assert machine_hash() == machine_hash()


def game(channel_id: int, started_at: float = 1_000.0, game_id: int = 1) -> UnfinishedGame:
    return UnfinishedGame(game_id, channel_id, started_at)


def test_left_over_games_are_those_of_terminals_that_are_gone():
    me = Terminal(HERE, 300)
    running = {(HERE, 100): 900.0}  # pid -> when it started, for processes of this machine
    checked: list[tuple[int, float]] = []

    def runs(pid: int, since: float) -> bool:
        checked.append((pid, since))
        started = running.get((HERE, pid))
        return started is not None and started <= since

    games = [
        game(0, game_id=1),  # a terminal from before channels per terminal
        game(Terminal(HERE, 100).channel_id, game_id=2),  # another terminal here, playing right now
        game(Terminal(HERE, 200).channel_id, game_id=3),  # a terminal here that crashed
        game(Terminal(HERE, 300).channel_id, game_id=4),  # this very process's id, from a crashed terminal
        game(Terminal(THERE, 200).channel_id, game_id=5),  # another machine's: cannot be checked
        game(Terminal(HERE, 100).channel_id, started_at=800.0, game_id=6),  # before pid 100 started: not its own
    ]
    assert [leftover.game_id for leftover in left_over(games, me, runs)] == [1, 3, 4, 6]
    assert checked == [(100, 1_000.0), (200, 1_000.0), (100, 800.0)]


def test_a_process_runs_since_it_started_until_it_ends():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_runs_since(child.pid, time.time())
        if sys.platform.startswith("linux"):  # where a process's start time can be read
            assert not process_runs_since(child.pid, time.time() - 3_600)  # a game older than the process
        child.kill()
        if sys.platform.startswith("linux"):
            os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet collected: a zombie
            assert not process_runs_since(child.pid, time.time())
    finally:
        child.kill()
        child.wait()
    assert not process_runs_since(child.pid, time.time())


@pytest.mark.skipif(sys.platform == "win32", reason="no signal 0 on Windows: every process is taken to run there")
def test_where_proc_cannot_tell_a_process_that_exists_runs(monkeypatch):
    monkeypatch.setattr(terminals, "_linux_start_time", lambda pid: None)  # not Linux, or hidden by hidepid
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_runs_since(child.pid, time.time() - 3_600)  # its start time is unknown
    finally:
        child.kill()
        child.wait()
    assert not process_runs_since(child.pid, time.time())
