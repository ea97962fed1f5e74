"""The daily question's pure rules: the UTC day, the pick, streaks and when a channel post is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.trivia.daily import (
    DailyStreak,
    choose_daily_question,
    daily_candidates,
    day_starts_at,
    next_streak,
    post_due,
    seconds_until_post,
    streak_on,
    utc_day,
)
from bot.trivia.model import Question

DAY = date(2026, 11, 25)


def at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC).timestamp()


def question(number: int, *, choices: bool = True) -> Question:
    return Question(
        id=f"q{number:03d}",
        prompt=f"Question {number}?",
        answers=(f"right {number}",),
        choices=(f"right {number}", f"wrong {number}") if choices else (),
    )


QUESTIONS = [question(number) for number in range(12)]


def test_the_day_is_the_utc_calendar_day() -> None:
    assert utc_day(at(DAY)) == DAY
    assert utc_day(at(DAY, 23, 59, 59)) == DAY
    assert utc_day(at(DAY) - 1) == DAY - timedelta(days=1)
    assert day_starts_at(DAY) == at(DAY)


def test_candidates_are_choice_questions_not_excluded_in_id_order() -> None:
    pool = [question(3), question(1), question(2, choices=False), question(1), question(4)]
    assert [q.id for q in daily_candidates(pool, excluded={"q004"})] == ["q001", "q003"]


def test_the_pick_is_the_same_for_the_whole_day_and_any_input_order() -> None:
    first = choose_daily_question(QUESTIONS, 42, DAY)
    assert first is not None
    assert choose_daily_question(list(reversed(QUESTIONS)), 42, DAY) == first


def test_the_pick_depends_on_the_server() -> None:
    days = [DAY + timedelta(days=offset) for offset in range(12)]
    mine = [choose_daily_question(QUESTIONS, 1, day) for day in days]
    theirs = [choose_daily_question(QUESTIONS, 2, day) for day in days]
    assert mine != theirs


@given(guild=st.integers(0, 2**63), start=st.integers(0, 5_000), size=st.integers(1, 30))
def test_every_candidate_comes_once_per_cycle(guild: int, start: int, size: int) -> None:
    questions = [question(number) for number in range(size)]
    first = date.fromordinal(date(2020, 1, 1).toordinal() + start)
    # Days aligned to one cycle: every question exactly once.
    cycle_start = date.fromordinal(first.toordinal() - first.toordinal() % size)
    picked = [choose_daily_question(questions, guild, cycle_start + timedelta(days=n)) for n in range(size)]
    assert sorted(q.id for q in picked if q) == [q.id for q in questions]


def test_no_candidates_no_question() -> None:
    assert choose_daily_question([], 1, DAY) is None


def test_streak_grows_on_consecutive_right_days_and_ends_on_a_wrong_one() -> None:
    streak = next_streak(None, DAY, True)
    assert streak == DailyStreak(1, 1, DAY)
    streak = next_streak(streak, DAY + timedelta(days=1), True)
    assert streak == DailyStreak(2, 2, DAY + timedelta(days=1))
    streak = next_streak(streak, DAY + timedelta(days=2), False)
    assert streak == DailyStreak(0, 2, DAY + timedelta(days=1))
    # The day after a wrong answer starts over, even though yesterday's right day is two days back.
    assert next_streak(streak, DAY + timedelta(days=3), True) == DailyStreak(1, 2, DAY + timedelta(days=3))


def test_a_skipped_day_starts_a_new_streak() -> None:
    streak = DailyStreak(5, 5, DAY)
    assert next_streak(streak, DAY + timedelta(days=2), True) == DailyStreak(1, 5, DAY + timedelta(days=2))


@given(st.lists(st.tuples(st.integers(1, 3), st.booleans()), max_size=40))
def test_streak_matches_a_plain_model(steps: list[tuple[int, bool]]) -> None:
    """The model: the days of the run of right answers ending on the last answered day, with no gaps."""
    day = DAY
    streak = None
    history: list[tuple[date, bool]] = []
    best = 0
    for gap, correct in steps:
        day += timedelta(days=gap)
        streak = next_streak(streak, day, correct)
        history.append((day, correct))
        run = 0
        for index in range(len(history) - 1, -1, -1):
            this_day, right = history[index]
            if not right:
                break
            if index < len(history) - 1 and history[index + 1][0] - this_day != timedelta(days=1):
                break
            run += 1
        assert streak.current == run
        best = max(best, run)
        assert streak.best == best
    if streak is not None:
        assert streak.best >= streak.current


def test_the_streak_shown_today_lapses_after_a_day_without_an_answer() -> None:
    streak = DailyStreak(3, 4, DAY)
    assert streak_on(streak, DAY) == 3
    assert streak_on(streak, DAY + timedelta(days=1)) == 3  # today's question is still open
    assert streak_on(streak, DAY + timedelta(days=2)) == 0
    assert streak_on(None, DAY) == 0
    assert streak_on(DailyStreak(0, 4, None), DAY) == 0


def test_a_post_is_due_from_its_hour_once_a_day() -> None:
    assert post_due(at(DAY, 8, 59), 9, None) is None
    assert post_due(at(DAY, 9), 9, None) == DAY
    assert post_due(at(DAY, 23), 9, DAY - timedelta(days=1)) == DAY  # down at 9, back at 23
    assert post_due(at(DAY, 10), 9, DAY) is None
    assert post_due(at(DAY, 0), 0, DAY - timedelta(days=1)) == DAY
    with pytest.raises(ValueError):
        post_due(at(DAY), 24, None)


def test_seconds_until_the_next_post() -> None:
    assert seconds_until_post(at(DAY, 8), 9) == 3600
    assert seconds_until_post(at(DAY, 9), 9) == 0
    assert seconds_until_post(at(DAY, 10), 9) == 23 * 3600


def test_a_question_naming_its_own_answer_is_never_the_daily() -> None:
    giveaway = Question(
        id="q999", prompt="Which song is Stronger?", answers=("Stronger",), choices=("Stronger", "Heat")
    )
    assert [q.id for q in daily_candidates([giveaway, question(1)])] == ["q001"]


async def test_a_disabled_question_is_never_the_daily(tmp_path) -> None:
    from bot.storage.sqlite import SqliteStore
    from bot.trivia.daily_session import question_for_day

    async with SqliteStore(tmp_path / "daily.sqlite3") as store:
        for disabled in QUESTIONS[1:]:
            await store.disable_question(7, disabled.id, "pack", disabled_by=1, disabled_at=1.0)
        for offset in range(5):
            picked = await question_for_day(store, QUESTIONS, 7, DAY + timedelta(days=offset))
            assert picked == QUESTIONS[0]
        # Pinned: the day keeps its question even if it is disabled later that day.
        await store.disable_question(7, QUESTIONS[0].id, "pack", disabled_by=1, disabled_at=2.0)
        assert await question_for_day(store, QUESTIONS, 7, DAY) == QUESTIONS[0]
        assert await question_for_day(store, QUESTIONS, 7, DAY + timedelta(days=9)) is None
