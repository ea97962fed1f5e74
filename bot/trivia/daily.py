"""The daily question's rules: which day it is, which question a server gets, streaks and reveals.

Pure: the day comes from an injected clock's timestamp, never from the system, and nothing here
knows about Discord or the store. Days are UTC calendar days, so everyone in a server shares one
question whatever their time zone, and the day (and its question) changes at 00:00 UTC.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.trivia.giveaways import reveals_itself
from bot.trivia.model import Question

SECONDS_PER_DAY = 86_400


def utc_day(timestamp: float) -> date:
    """The UTC calendar day a Unix timestamp falls on."""
    return datetime.fromtimestamp(timestamp, UTC).date()


def day_starts_at(day: date) -> float:
    """The Unix timestamp of 00:00 UTC on ``day``: when its question opens and the day before is revealed."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def previous_day(day: date) -> date:
    return day - timedelta(days=1)


def daily_candidates(questions: Sequence[Question], excluded: Collection[str] = ()) -> list[Question]:
    """The questions a daily can be: multiple choice (it is answered privately with buttons), not
    excluded (disabled in this server), not naming their own answer, one per id, in id order so the
    pick does not depend on the order packs were loaded in."""
    unique = {
        question.id: question
        for question in questions
        if question.choices and question.id not in excluded and not reveals_itself(question)
    }
    return [unique[question_id] for question_id in sorted(unique)]


def choose_daily_question(candidates: Sequence[Question], guild_id: int, day: date) -> Question | None:
    """The server's question for ``day``: the same for everyone, any time that day, on any process.

    The candidates are shuffled once per cycle of ``len(candidates)`` days with a seed from the server
    and the cycle, and day N of the cycle takes the N-th: a server sees every candidate once before
    any comes back, and two servers get different orders.
    """
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda question: question.id)
    cycle, position = divmod(day.toordinal(), len(ordered))
    digest = hashlib.sha256(f"crate-digger-daily:{guild_id}:{cycle}".encode()).digest()
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(ordered)
    return ordered[position]


@dataclass(frozen=True)
class DailyStreak:
    """Consecutive UTC days a player answered the daily question right, as the store keeps it.

    ``last_right_day`` is the last day the player got it right; ``current`` is the run that ended
    that day (0 after a wrong answer).
    """

    current: int
    best: int
    last_right_day: date | None


def next_streak(streak: DailyStreak | None, day: date, correct: bool) -> DailyStreak:
    """The streak after answering ``day``'s question: a right answer the day after the last right one
    extends it, any other right answer starts a new one at 1, a wrong answer ends it."""
    if streak is None:
        streak = DailyStreak(0, 0, None)
    if not correct:
        return DailyStreak(0, streak.best, streak.last_right_day)
    continues = streak.last_right_day == previous_day(day) and streak.current > 0
    current = streak.current + 1 if continues else 1
    return DailyStreak(current, max(streak.best, current), day)


def streak_on(streak: DailyStreak | None, today: date) -> int:
    """The streak to show today: a day with no answer breaks it once that day is over, so a run
    whose last right day is before yesterday is over, while one that ended yesterday can still go on."""
    if streak is None or streak.last_right_day is None:
        return 0
    if streak.last_right_day >= previous_day(today):
        return streak.current
    return 0


def post_due(now: float, hour: int, last_posted: date | None) -> date | None:
    """The day whose question is due in a channel set to post at ``hour`` (UTC), or None.

    Due from ``hour``:00 until the day ends, once: a bot that was down at the hour posts when it
    comes back the same day, and never posts a day twice.
    """
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23, got {hour}")
    today = utc_day(now)
    if last_posted is not None and last_posted >= today:
        return None
    if now < day_starts_at(today) + hour * 3600:
        return None
    return today


def seconds_until_post(now: float, hour: int) -> float:
    """Seconds from ``now`` until the next ``hour``:00 UTC (0 if it is exactly now)."""
    today = utc_day(now)
    at = day_starts_at(today) + hour * 3600
    if at < now:
        at += SECONDS_PER_DAY
    return at - now
