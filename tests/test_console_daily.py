"""`crate-digger play --daily` in a terminal: one question a day, one answer, the reveal the next day."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from bot.console import local_player
from bot.console_daily import LOCAL_GUILD_ID, play_daily
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.daily import utc_day
from bot.trivia.daily_session import all_questions, question_for_day
from bot.trivia.packs import BUILTIN_PACKS_DIR

MORNING = datetime(2026, 11, 25, 9, tzinfo=UTC).timestamp()
NEXT_MORNING = MORNING + 86_400


@pytest.fixture(scope="module")
def catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


async def daily(catalog, store, name: str, lines: list[str], now: float) -> tuple[int, str]:
    out = io.StringIO()
    code = await play_daily(
        catalog,
        store,
        player=local_player(name),
        stdin=io.StringIO("".join(line + "\n" for line in lines)),
        stdout=out,
        clock=lambda: now,
    )
    return code, out.getvalue()


async def test_answer_once_then_see_the_reveal_and_streak_the_next_day(catalog, tmp_path) -> None:
    async with SqliteStore(tmp_path / "scores.sqlite3") as store:
        question = await question_for_day(store, all_questions(catalog), LOCAL_GUILD_ID, utc_day(MORNING))
        assert question is not None
        wrong = next(index for index, choice in enumerate(question.choices) if choice not in question.answers)

        code, out = await daily(catalog, store, "ann", [question.answer], MORNING)
        assert code == 0
        assert question.prompt in out
        assert f"Locked in: {question.answer}." in out
        assert "revealed when the day ends" in out
        assert "Right" not in out and "right." not in out  # nothing revealed before the day ends

        # A made-up option is refused like any other non-option, then a letter answers.
        code, out = await daily(catalog, store, "ben", ["Not an option", "ABCDE"[wrong]], MORNING)
        assert "That isn't one of the options" in out
        assert f"Locked in: {question.choices[wrong]}." in out

        # A second try the same day is refused without asking.
        code, out = await daily(catalog, store, "ann", ["ABCDE"[wrong]], MORNING + 60)
        assert f"You already answered today: {question.answer}." in out
        assert "Locked in" not in out
        assert "Daily streak for ann: 1 day (best 1)." in out

        code, out = await daily(catalog, store, "ann", [], NEXT_MORNING)
        assert f"The answer: {question.answer}" in out
        assert f"You answered {question.answer}: right." in out
        assert "1 of 2 players got it right." in out
        assert "No answer given" in out
        assert "Daily streak for ann: 1 day (best 1)." in out  # still alive: today is open

        code, out = await daily(catalog, store, "ben", [], NEXT_MORNING)
        assert f"You answered {question.choices[wrong]}: wrong." in out
        assert "Daily streak for ben: 0 days (best 0)." in out


async def test_the_day_after_tomorrow_without_an_answer_the_streak_is_over(catalog, tmp_path) -> None:
    async with SqliteStore(tmp_path / "scores.sqlite3") as store:
        question = await question_for_day(store, all_questions(catalog), LOCAL_GUILD_ID, utc_day(MORNING))
        assert question is not None
        await daily(catalog, store, "ann", [question.answer], MORNING)
        code, out = await daily(catalog, store, "ann", [], MORNING + 2 * 86_400)
        assert "Daily streak for ann: 0 days (best 1)." in out


def test_cli_play_daily_answers_once(capsys, monkeypatch, tmp_path) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "scores.sqlite3"))
    monkeypatch.setattr("sys.stdin", io.StringIO("A\n"))
    assert main(["play", "--daily", "--name", "tester"]) == 0
    out = capsys.readouterr().out
    assert "Daily question for " in out and "Locked in: " in out

    monkeypatch.setattr("sys.stdin", io.StringIO("B\n"))
    assert main(["play", "--daily", "--name", "tester"]) == 0
    out = capsys.readouterr().out
    assert "You already answered today: " in out and "Locked in" not in out


def test_cli_play_daily_refuses_a_pack(capsys, monkeypatch, tmp_path) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "scores.sqlite3"))
    assert main(["play", "--daily", "--pack", "kanye-stronger-akira"]) == 2
    assert "--daily draws from every pack" in capsys.readouterr().err
