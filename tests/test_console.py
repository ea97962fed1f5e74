"""The terminal game, played with piped input: each line one answer, end of input ends it cleanly."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bot.console import LOCAL_GUILD_ID, local_player, play_round
from bot.storage.base import ScoredAnswer
from bot.storage.errors import StoreError
from bot.storage.sqlite import SqliteStore
from bot.terminals import Terminal
from bot.trivia.catalog import Catalog
from bot.trivia.game import AnswerMode, RoundSettings
from bot.trivia.packs import BUILTIN_PACKS_DIR

PACK = "kanye-stronger-akira"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


async def play(catalog, tmp_path, lines, *, mode=AnswerMode.CHOICES, questions=3, seed=7):
    out = io.StringIO()
    store = SqliteStore(tmp_path / "scores.sqlite3")
    async with store:
        await play_round(
            catalog,
            store,
            pack_id=PACK,
            settings=RoundSettings(questions=questions, seconds=30, mode=mode, pause_seconds=0),
            player=local_player("tester"),
            stdin=io.StringIO("".join(line + "\n" for line in lines)),
            stdout=out,
            seed=seed,
        )
        stats = await store.player_stats(0, local_player("tester").id)
    return out.getvalue(), stats


def planned_questions(catalog, seed, questions, mode):
    """The questions a seeded round will ask: the console picks them with the same seeded rng."""
    import random

    from bot.trivia.catalog import pick_questions

    return pick_questions(
        catalog.questions(PACK), questions, random.Random(seed), need_choices=mode is AnswerMode.CHOICES
    )


def right_answers(catalog, seed, questions, mode):
    return [question.answer for question in planned_questions(catalog, seed, questions, mode)]


async def test_right_answers_score_and_are_stored(catalog, tmp_path):
    answers = right_answers(catalog, 7, 3, AnswerMode.CHOICES)
    output, stats = await play(catalog, tmp_path, answers)
    assert output.count("Right! +") == 3
    assert "Final score:" in output and "3 of 3 right" in output
    assert stats.correct == 3 and stats.games == 1 and stats.wins == 1 and stats.best_streak == 3
    assert "3 correct answers, 1 game, 1 win, streak 3 (best 3)." in output


async def test_a_wrong_answer_shows_the_answer_and_the_quote(catalog, tmp_path):
    (question,) = planned_questions(catalog, 7, 1, AnswerMode.CHOICES)
    wrong = next(choice for choice in question.choices if choice != question.answer)
    output, stats = await play(catalog, tmp_path, [wrong], questions=1)
    assert "Wrong. The answer is: " + question.answer in output
    assert f"  From the article: {question.quote}" in output
    credit = f"Questions from {catalog.pack(PACK).title} (source: {question.source_title})."
    assert output.rstrip().splitlines()[-2] == credit
    assert stats.games == 1 and stats.points == 0 and stats.answered == 1


async def test_an_invalid_option_is_refused_and_end_of_input_stops(catalog, tmp_path):
    output, stats = await play(catalog, tmp_path, ["nonsense that matches nothing"], questions=2)
    assert "Not an option: type A-D, 1-4 or the option's full text." in output
    assert "Game stopped." in output
    assert stats.games == 1 and stats.answered == 0


async def test_letters_and_numbers_pick_options(catalog, tmp_path):
    output, _ = await play(catalog, tmp_path, ["A", "2", "d"], questions=3)
    assert output.count("The answer is:") + output.count("Right! +") == 3
    assert "Game over." in output


async def test_end_of_input_ends_the_game_cleanly(catalog, tmp_path):
    output, stats = await play(catalog, tmp_path, [], questions=5)
    assert "Game stopped. 1 question asked." in output
    assert stats.games == 1


async def test_text_mode_lets_a_player_try_again(catalog, tmp_path):
    answers = right_answers(catalog, 7, 2, AnswerMode.TEXT)
    output, stats = await play(
        catalog, tmp_path, ["wrong guess", answers[0], answers[1]], mode=AnswerMode.TEXT, questions=2
    )
    assert re.search(r"Not quite; try again \(\d+s left\)\.", output)
    assert output.count("Right! +") == 2
    assert stats.correct == 2


def test_the_readme_play_command_plays_a_round_with_piped_input(tmp_path):
    """The real entry point in a child process: no traceback, a final score, exit 0."""
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "play", "--questions", "3", "--seed", "1", "--name", "ci"],
        input="A\nB\nC\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Question 3/3" in result.stdout
    assert "Final score:" in result.stdout
    assert "All-time for ci:" in result.stdout


NOTED_PACK = """\
id: noted
title: Noted
source:
  title: An article
  text: As recently as 2008, he even tweeted that every video was like Akira.
  attribution: Written for the tests
  license: CC0
entities:
  - {id: kanye, name: Kanye West, kind: musician}
  - {id: akira, name: Akira, kind: film}
facts:
  - subject: kanye
    relation: likened_work_to
    object: akira
    quote: he even tweeted that every video was like Akira
    note: The article dates this tweet to 2008; Kanye West posted it in 2018.
"""


async def test_the_reveal_shows_the_facts_note_and_the_sources_credit(tmp_path):
    (tmp_path / "noted.yaml").write_text(NOTED_PACK, encoding="utf-8")
    catalog = Catalog.from_folder(tmp_path)[0]
    out = io.StringIO()
    async with SqliteStore(tmp_path / "scores.sqlite3") as store:
        await play_round(
            catalog,
            store,
            pack_id="noted",
            settings=RoundSettings(questions=1, seconds=30, mode=AnswerMode.TEXT, pause_seconds=0),
            player=local_player("tester"),
            stdin=io.StringIO("Ghost in the Shell\n"),
            stdout=out,
            seed=1,
        )
    output = out.getvalue()
    assert "  From the article: he even tweeted that every video was like Akira" in output
    assert "  note: The article dates this tweet to 2008; Kanye West posted it in 2018." in output
    assert "  Written for the tests" in output


@pytest.mark.reliability
async def test_an_answer_that_could_not_be_saved_is_not_shown_as_scored(catalog, tmp_path, monkeypatch):
    answers = right_answers(catalog, 7, 3, AnswerMode.CHOICES)
    real_record = SqliteStore.record_answers
    saves = []

    async def second_save_fails(self, *args, **kwargs):
        saves.append(args)
        if len(saves) == 2:
            raise StoreError("database write failed: database is locked")
        await real_record(self, *args, **kwargs)

    monkeypatch.setattr(SqliteStore, "record_answers", second_save_fails)
    output, stats = await play(catalog, tmp_path, answers)
    assert output.count("Right! +") == 1  # the first answer only; never the unsaved second
    assert "so question 2 does not count" in output
    assert "Final score: 10 points, 1 of 2 right." in output
    assert "Question 2 did not count: its answers could not be saved." in output
    assert (stats.points, stats.correct) == (10, 1)


# -- the line editor and the screen used on a terminal -------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "lines", "left"),
    [
        (b"abc\r", ["abc"], ""),
        (b"abc\n", ["abc"], ""),
        (b"abx\x7fc\r", ["abc"], ""),  # Backspace
        (b"junk\x15ok\r", ["ok"], ""),  # Ctrl-U clears the line
        (b"a\x1b[Ab\x1b[1;5Cc", [], "abc"),  # arrow keys are ignored, not typed
        (b"\x04", [None], ""),  # Ctrl-D on an empty line ends the input
        (b"x\x04", [], "x"),  # but not in the middle of a line
        ("Otomo é\r".encode(), ["Otomo é"], ""),
        (b"one\rtwo", ["one"], "two"),
    ],
)
def test_line_editor(keys: bytes, lines: list, left: str) -> None:
    from bot.console import LineEditor

    editor = LineEditor()
    assert editor.feed(keys) == lines
    assert editor.text == left


def test_line_editor_joins_a_character_split_across_reads() -> None:
    from bot.console import LineEditor

    editor = LineEditor()
    encoded = "é\r".encode()
    assert editor.feed(encoded[:1]) == [] and editor.feed(encoded[1:]) == ["é"]


def test_a_message_is_printed_above_the_line_being_typed() -> None:
    from bot.console import LineEditor, Screen

    out = io.StringIO()
    editor = LineEditor()
    screen = Screen(out, clock=lambda: 100.0, editor=editor)
    screen.deadline = 112.5
    editor.feed(b"Taka")
    screen.say("Hint: T______")
    assert out.getvalue() == "\r\x1b[KHint: T______\n\r\x1b[K[13s left] > Taka"


async def test_a_terminal_game_a_crash_left_open_is_closed_at_the_next_play(catalog, tmp_path):
    tester = local_player("tester")
    discord_guild = 1234
    async with SqliteStore(tmp_path / "scores.sqlite3") as before_the_crash:
        # Channel 0: where every terminal kept its games before each had a channel of its own.
        left_open = await before_the_crash.start_game(LOCAL_GUILD_ID, 0, PACK, "choices", 1_000.0)
        answer = ScoredAnswer(tester.id, tester.name, "q1", True, 40, 1_001.0)
        await before_the_crash.record_answers(left_open, LOCAL_GUILD_ID, [answer])
        # A Discord server's game sharing the database is another process's to close, not the terminal's.
        await before_the_crash.start_game(discord_guild, 1, PACK, "choices", 1_000.0)
        # ...and the terminal dies here: no finish_game.

    output, stats = await play(catalog, tmp_path, right_answers(catalog, 7, 1, AnswerMode.CHOICES), questions=1)

    assert "Right! +" in output
    new_points = int(re.search(r"Right! \+(\d+)", output)[1])
    assert (stats.points, stats.games, stats.wins) == (40 + new_points, 2, 1)
    with closing(sqlite3.connect(tmp_path / "scores.sqlite3")) as db:
        rows = db.execute("SELECT guild_id, finished_at IS NOT NULL, interrupted FROM games ORDER BY id").fetchall()
    assert rows == [(LOCAL_GUILD_ID, 1, 1), (discord_guild, 0, 0), (LOCAL_GUILD_ID, 1, 0)]


def test_a_second_terminal_on_the_database_leaves_the_first_ones_game_running(catalog, tmp_path):
    """Two `crate-digger play` processes on one database: the second starts (and plays) while the
    first's game runs, and the first's game goes on counting and finishes as a normal game."""
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    command = [sys.executable, "-m", "bot", "play", "--pack", PACK, "--seed", "7", "--name"]
    first = subprocess.Popen(
        [*command, "first", "--questions", "2", "--seconds", "300"],  # its question waits out a slow machine
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        seen = []
        while not any(line.startswith("Question 1/2") for line in seen):  # the first game is running
            line = first.stdout.readline()
            assert line, f"the first terminal ended early: {''.join(seen)}{first.stderr.read()}"
            seen.append(line)
        second = subprocess.run(
            [*command, "second", "--questions", "1"],
            input="A\n",
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=env,
        )
        assert second.returncode == 0, second.stderr
        assert "Question 1/1" in second.stdout and "Final score:" in second.stdout
        answers = "".join(answer + "\n" for answer in right_answers(catalog, 7, 2, AnswerMode.CHOICES))
        rest, errors = first.communicate(answers, timeout=60)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, errors
    assert "Traceback" not in errors
    assert rest.count("Right! +") == 2 and "2 of 2 right" in rest
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        games = db.execute("SELECT finished_at IS NOT NULL, interrupted, channel_id FROM games ORDER BY id").fetchall()
        totals = db.execute(
            "SELECT games, wins, correct FROM players WHERE guild_id = ? AND user_id = ?",
            (LOCAL_GUILD_ID, local_player("first").id),
        ).fetchone()
    assert [(finished, interrupted) for finished, interrupted, _ in games] == [(1, 0), (1, 0)]
    assert games[0][2] != games[1][2]  # each terminal's game in a channel of its own
    assert totals == (1, 1, 2)


async def test_play_closes_only_the_games_of_terminals_that_are_gone(catalog, tmp_path):
    here, elsewhere = 1234, 5678
    crashed, playing, me = Terminal(here, 100), Terminal(here, 200), Terminal(here, 300)
    async with SqliteStore(tmp_path / "scores.sqlite3") as store:
        for terminal in (crashed, playing, Terminal(elsewhere, 100)):
            await store.start_game(LOCAL_GUILD_ID, terminal.channel_id, PACK, "choices", 1_000.0)
        await play_round(
            catalog,
            store,
            pack_id=PACK,
            settings=RoundSettings(questions=1, seconds=30, mode=AnswerMode.CHOICES, pause_seconds=0),
            player=local_player("tester"),
            stdin=io.StringIO("A\n"),
            stdout=io.StringIO(),
            seed=7,
            terminal=me,
            process_runs=lambda pid, since: pid == playing.pid,
        )
        still_open = {game.channel_id for game in await store.unfinished_games(LOCAL_GUILD_ID)}
    assert still_open == {playing.channel_id, Terminal(elsewhere, 100).channel_id}
    with closing(sqlite3.connect(tmp_path / "scores.sqlite3")) as db:
        ended = "SELECT finished_at IS NOT NULL, interrupted FROM games WHERE channel_id = ?"
        assert db.execute(ended, (me.channel_id,)).fetchall() == [(1, 0)]
        assert db.execute(ended, (crashed.channel_id,)).fetchall() == [(1, 1)]
