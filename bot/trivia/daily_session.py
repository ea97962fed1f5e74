"""The daily question over the store, for both front ends (the Discord cog and the terminal).

The rules are in ``daily.py``; this module only puts them in the order the store needs: a day's
question is pinned the first time anyone sees it, an answer is recorded once, and a day is
revealed only once it is over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.storage.base import DailyAnswer, DailyTally, Store
from bot.trivia.catalog import Catalog
from bot.trivia.daily import choose_daily_question, daily_candidates, previous_day, streak_on
from bot.trivia.model import Question


@dataclass(frozen=True)
class DailyReveal:
    """A finished day: its question (None if no pack has it any more), and how players did."""

    day: date
    question: Question | None
    tally: DailyTally


@dataclass(frozen=True)
class DailyVerdict:
    """What pressing an option did: ``recorded`` False means the player had already answered that day,
    and ``answer`` is then the one that counts."""

    recorded: bool
    answer: DailyAnswer


def questions_by_id(questions: Iterable[Question]) -> dict[str, Question]:
    return {question.id: question for question in questions}


async def question_for_day(store: Store, questions: Sequence[Question], guild_id: int, day: date) -> Question | None:
    """The server's question for ``day``, pinned in the store the first time it is asked for, so a pack
    uploaded or removed later that day cannot change it. Never one of the server's disabled questions
    (a question disabled after it was pinned stays that day's). None when the server has no
    multiple-choice question, or the pinned one has since left every pack."""
    by_id = questions_by_id(questions)
    pinned = await store.daily_question(guild_id, day)
    if pinned is None:
        disabled = await store.disabled_questions(guild_id)
        chosen = choose_daily_question(daily_candidates(questions, disabled), guild_id, day)
        if chosen is None:
            return None
        pinned = await store.pin_daily_question(guild_id, day, chosen.id)
    return by_id.get(pinned)


async def answer_for_day(
    store: Store,
    guild_id: int,
    day: date,
    question: Question,
    *,
    user_id: int,
    display_name: str,
    choice: str,
    answered_at: float,
) -> DailyVerdict:
    answer = DailyAnswer(
        user_id=user_id,
        display_name=display_name,
        question_id=question.id,
        choice=choice,
        correct=choice in question.answers,
        answered_at=answered_at,
    )
    if await store.record_daily_answer(guild_id, day, answer):
        return DailyVerdict(True, answer)
    earlier = await store.daily_answer(guild_id, day, user_id)
    return DailyVerdict(False, earlier or answer)


async def reveal_before(store: Store, questions: Sequence[Question], guild_id: int, today: date) -> DailyReveal | None:
    """Yesterday's question with its answer and counts, or None if the server had no daily yesterday.

    Only a day that is over is ever revealed: today's answer stays hidden until 00:00 UTC.
    """
    yesterday = previous_day(today)
    question_id = await store.daily_question(guild_id, yesterday)
    if question_id is None:
        return None
    tally = await store.daily_tally(guild_id, yesterday)
    return DailyReveal(yesterday, questions_by_id(questions).get(question_id), tally)


async def daily_streak_today(store: Store, guild_id: int, user_id: int, today: date) -> tuple[int, int]:
    """(current, best) daily streak as it stands today."""
    streak = await store.daily_streak(guild_id, user_id)
    return streak_on(streak, today), streak.best if streak else 0


def all_questions(catalog: Catalog) -> list[Question]:
    """Every question the server can play, from every pack, for the daily pick."""
    return [question for pack in catalog.packs() for question in catalog.questions(pack.id)]
