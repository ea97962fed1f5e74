"""The terminal game as a person plays it: a real pseudo-terminal, keystrokes, Ctrl-C.

These run ``crate-digger play`` in a child process on a pty, so the cbreak line editor, the countdown
prompt and the SIGINT handling are the real ones. Timings are the game's own (a hint halfway through a
6-second question, a 1.5-second pause); the reads wait generously for each step.
"""

from __future__ import annotations

import os
import pty
import re
import select
import sqlite3
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


class Terminal:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.database = tmp_path / "scores.sqlite3"
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the game, with the pty as its terminal
            os.chdir(REPO)
            os.environ["DATABASE_PATH"] = str(self.database)
            os.execv(sys.executable, [sys.executable, "-m", "bot", "play", "--name", "tty", *args])
        self.pid, self.fd = pid, fd
        self.output = b""

    def read_until(self, pattern: bytes, timeout: float = 20) -> bytes:
        """Everything read so far once ``pattern`` (a regex) appears after ``self.seen``."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output[self.seen :]):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {pattern!r} in {self.output[self.seen :]!r}"
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"the game ended before {pattern!r}: {self.output[self.seen :]!r}"
                self.output += chunk
        match = re.search(pattern, self.output[self.seen :])
        assert match is not None
        self.seen += match.end()
        return self.output

    seen = 0

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait(self) -> int:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with_status = os.waitpid(self.pid, os.WNOHANG)
            if with_status[0]:
                return os.waitstatus_to_exitcode(with_status[1])
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.fd, 4096)
                except OSError:
                    pass
        raise AssertionError(f"the game did not exit: {self.output[-400:]!r}")

    def stored_games(self) -> int:
        with sqlite3.connect(self.database) as conn:
            (games,) = conn.execute("SELECT games FROM players").fetchone()
        return games


def test_ctrl_c_stops_the_game_with_its_scores_shown_and_stored(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path, "--questions", "3", "--seconds", "30", "--seed", "5")
    terminal.read_until(rb"Question 1/3")
    terminal.read_until(rb"\[\d+s left\] > ")  # the prompt counts the seconds down
    terminal.type(b"\x03")
    terminal.read_until(rb"Game stopped\. 1 question asked\.")
    terminal.read_until(rb"Final score: 0 points, 0 of 1 right\.")
    terminal.read_until(rb"All-time for tty: 0 points, 0 correct answers, 1 game, 0 wins")
    assert terminal.wait() == 0
    assert b"Traceback" not in terminal.output and b"KeyboardInterrupt" not in terminal.output
    assert terminal.stored_games() == 1


def test_a_hint_goes_above_the_line_being_typed_and_a_line_between_questions_is_dropped(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path, "--questions", "2", "--seconds", "6", "--seed", "5")
    terminal.read_until(rb"Question 1/2")
    terminal.read_until(rb"\[\d+s left\] > ")
    terminal.type(b"Takas")
    # The hint clears the answer line, prints itself on a line of its own, then redraws the prompt
    # with what was typed so far: the typing is never split by the hint.
    terminal.read_until(rb"\r\x1b\[K" + rb"Hint \(\d+s left\): [^\r\n]*\r\n" + rb"\r\x1b\[K\[\d+s left\] > Takas")
    # Ctrl-U clears the line; A answers; B, entered at once, finds no question open (the next one
    # comes after a pause), so it must not answer question 2 unseen.
    terminal.type(b"\x15A\rB\r")
    terminal.read_until(rb"Question 2/2")
    assert re.search(rb"Right!|Wrong\.", terminal.output)
    assert b"(No question is open, so that line was not used.)" in terminal.output
    # Nothing answered question 2: it runs out of time.
    terminal.read_until(rb"Time's up\. The answer is")
    terminal.read_until(rb"Final score: ")
    assert terminal.wait() == 0
    assert terminal.stored_games() == 1
