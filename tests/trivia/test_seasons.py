"""Period boundaries (UTC) and how the leaderboard's options resolve into one board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.base import Scope
from bot.trivia.seasons import Period, ScopeError, choose_board, month_window, week_window


def at(text: str) -> float:
    """A UTC moment written as ISO text, as Unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_week_starts_on_monday_at_midnight_utc() -> None:
    window = week_window(at("2026-11-25T16:39:21"))  # a Wednesday
    assert (window.start, window.end) == (at("2026-11-23T00:00:00"), at("2026-11-30T00:00:00"))


def test_monday_midnight_opens_a_new_week_and_sunday_night_still_closes_the_old_one() -> None:
    assert week_window(at("2026-11-30T00:00:00")).start == at("2026-11-30T00:00:00")
    assert week_window(at("2026-11-29T23:59:59.999")).start == at("2026-11-23T00:00:00")


def test_a_week_across_new_year() -> None:
    window = week_window(at("2027-01-01T12:00:00"))  # a Friday
    assert (window.start, window.end) == (at("2026-12-28T00:00:00"), at("2027-01-04T00:00:00"))


def test_a_month_runs_from_the_first_at_midnight_utc_to_the_next_first() -> None:
    window = month_window(at("2026-11-25T16:39:21"))
    assert (window.start, window.end) == (at("2026-11-01T00:00:00"), at("2026-12-01T00:00:00"))


def test_december_ends_at_new_year_and_february_knows_leap_years() -> None:
    december = month_window(at("2026-12-31T23:59:59"))
    assert (december.start, december.end) == (at("2026-12-01T00:00:00"), at("2027-01-01T00:00:00"))
    february = month_window(at("2028-02-29T10:00:00"))
    assert (february.end - february.start) == 29 * 86_400


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))  # 1970 to 2100
def test_every_moment_lies_in_its_week_and_its_month(now: float) -> None:
    week = week_window(now)
    assert week.start <= now < week.end
    assert week.end - week.start == 7 * 86_400  # UTC has no daylight saving
    monday = datetime.fromtimestamp(week.start, UTC)
    assert (monday.weekday(), monday.hour, monday.minute, monday.second) == (0, 0, 0, 0)
    month = month_window(now)
    assert month.start <= now < month.end
    first = datetime.fromtimestamp(month.start, UTC)
    assert (first.day, first.hour) == (1, 0)


NOW = at("2026-11-25T16:39:21")


def test_all_time_is_the_default_and_counts_everything() -> None:
    board = choose_board(Period.ALL, NOW, current_season=3)
    assert board.scope == Scope()
    assert board.title == "All time"


def test_week_and_month_boards_bound_the_answer_time_and_say_so_in_utc() -> None:
    week = choose_board(Period.WEEK, NOW, current_season=1)
    assert week.scope == Scope(since=at("2026-11-23T00:00:00"), until=at("2026-11-30T00:00:00"))
    assert week.title == "This week (since Mon 23 Nov 2026, UTC)"
    month = choose_board(Period.MONTH, NOW, current_season=1, pack_id="amen-break")
    assert month.scope == Scope(since=at("2026-11-01T00:00:00"), until=at("2026-12-01T00:00:00"), pack_id="amen-break")
    assert month.title == "This month (November 2026, UTC) · pack amen-break"


def test_the_season_period_is_the_current_season() -> None:
    board = choose_board(Period.SEASON, NOW, current_season=4)
    assert board.scope == Scope(season=4)
    assert board.title == "Season 4 (current)"


def test_a_numbered_season_is_an_archived_or_the_current_one() -> None:
    assert choose_board(Period.ALL, NOW, current_season=4, season=2).scope == Scope(season=2)
    assert choose_board(Period.ALL, NOW, current_season=4, season=2).title == "Season 2"
    assert choose_board(Period.SEASON, NOW, current_season=4, season=4).title == "Season 4 (current)"


@pytest.mark.parametrize("season", [0, 5, 99])
def test_a_season_that_does_not_exist_yet_is_refused_with_the_current_number(season: int) -> None:
    with pytest.raises(ScopeError, match="this server is in season 4"):
        choose_board(Period.ALL, NOW, current_season=4, season=season)


@pytest.mark.parametrize("period", [Period.WEEK, Period.MONTH])
def test_a_calendar_period_and_a_season_number_together_are_refused(period: Period) -> None:
    with pytest.raises(ScopeError, match="not both"):
        choose_board(period, NOW, current_season=4, season=2)
