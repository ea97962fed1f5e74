"""Which answers a leaderboard counts: all time, this week, this month, this season, one pack.

Pure rules over an injected "now" (Unix seconds). Calendar periods are in UTC, whatever the server's
or the bot's local time zone, so everyone in a server sees the same board: a week starts on Monday
at 00:00 UTC, a month on its first day at 00:00 UTC. A season has no calendar: it lasts until a
moderator ends it, and the store knows where it started.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage.base import Scope

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Period(enum.StrEnum):
    ALL = "all"
    WEEK = "week"
    MONTH = "month"
    SEASON = "season"


PERIOD_NAMES = {
    Period.ALL: "All time",
    Period.WEEK: "This week",
    Period.MONTH: "This month",
    Period.SEASON: "This season",
}


class ScopeError(ValueError):
    """A combination of options that names no board (shown to the user as is)."""


@dataclass(frozen=True)
class Window:
    """Answers given at or after ``start`` and before ``end`` (Unix seconds, UTC)."""

    start: float
    end: float


@dataclass(frozen=True)
class Board:
    """What a user asked to see, resolved against "now": its title and which answers it counts."""

    title: str
    scope: Scope


def week_window(now: float) -> Window:
    """The UTC week holding ``now``: Monday 00:00 UTC up to the next Monday 00:00 UTC."""
    today = _utc_midnight(now)
    monday = today - timedelta(days=today.weekday())
    return Window(monday.timestamp(), (monday + timedelta(days=7)).timestamp())


def month_window(now: float) -> Window:
    """The UTC calendar month holding ``now``: the 1st at 00:00 UTC up to the next month's 1st."""
    first = _utc_midnight(now).replace(day=1)
    if first.month == 12:
        following = first.replace(year=first.year + 1, month=1)
    else:
        following = first.replace(month=first.month + 1)
    return Window(first.timestamp(), following.timestamp())


def choose_board(
    period: Period,
    now: float,
    *,
    current_season: int,
    season: int | None = None,
    pack_id: str | None = None,
) -> Board:
    """Resolve the options of ``/trivia leaderboard`` and ``/trivia stats`` into one board.

    ``season`` asks for a numbered season (archived, or the current one); it cannot be combined with
    a calendar period, which would be a board nobody asked for. A pack narrows any period.
    """
    if season is not None:
        if period not in (Period.ALL, Period.SEASON):
            raise ScopeError(
                f"Choose a period or a season number, not both ({PERIOD_NAMES[period].lower()} and season {season})."
            )
        if season < 1 or season > current_season:
            raise ScopeError(f"There is no season {season} here yet: this server is in season {current_season}.")
        title = f"Season {season}" + (" (current)" if season == current_season else "")
        return Board(_with_pack(title, pack_id), Scope(season=season, pack_id=pack_id))
    if period is Period.WEEK:
        window = week_window(now)
        title = f"This week (since {_day(window.start)}, UTC)"
        return Board(_with_pack(title, pack_id), Scope(since=window.start, until=window.end, pack_id=pack_id))
    if period is Period.MONTH:
        window = month_window(now)
        title = f"This month ({_month(window.start)}, UTC)"
        return Board(_with_pack(title, pack_id), Scope(since=window.start, until=window.end, pack_id=pack_id))
    if period is Period.SEASON:
        title = f"Season {current_season} (current)"
        return Board(_with_pack(title, pack_id), Scope(season=current_season, pack_id=pack_id))
    return Board(_with_pack("All time", pack_id), Scope(pack_id=pack_id))


def _with_pack(title: str, pack_id: str | None) -> str:
    return f"{title} · pack {pack_id}" if pack_id else title


def _utc_midnight(now: float) -> datetime:
    # Whole days from the epoch, not datetime.fromtimestamp(now): that rounds to the microsecond, and
    # a moment a hair before midnight would be filed under the next day (Unix time has no leap seconds).
    return _EPOCH + timedelta(days=math.floor(now) // 86_400)


def _day(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def _month(timestamp: float) -> str:
    return f"{datetime.fromtimestamp(timestamp, UTC):%B %Y}"
