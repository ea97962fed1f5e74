"""`crate-digger play --daily`: the daily question in a terminal.

The terminal is its own "server" (``LOCAL_GUILD_ID``), so everyone playing on this database shares
one question a day, answers it once, and sees yesterday's answer and how many got it right.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import TextIO

from bot.config import Settings
from bot.storage.base import DailyAnswer, Store
from bot.storage.sqlite import SqliteStore
from bot.text import plural
from bot.trivia.answers import named_option, option_labels
from bot.trivia.catalog import Catalog
from bot.trivia.daily import utc_day
from bot.trivia.daily_session import (
    DailyReveal,
    all_questions,
    answer_for_day,
    daily_streak_today,
    question_for_day,
    reveal_before,
)
from bot.trivia.game import Player

LOCAL_GUILD_ID = 0  # the same "server" as the terminal game's scores
LETTERS = "ABCDE"
REVEALED_LATER = "The answer is revealed when the day ends (00:00 UTC): come back with `play --daily`."


async def play_daily(
    catalog: Catalog,
    store: Store,
    *,
    player: Player,
    stdin: TextIO,
    stdout: TextIO,
    clock: Callable[[], float] = time.time,
) -> int:
    def say(text: str = "") -> None:
        print(text, file=stdout, flush=True)

    now = clock()
    today = utc_day(now)
    questions = all_questions(catalog)
    reveal = await reveal_before(store, questions, LOCAL_GUILD_ID, today)
    if reveal is not None:
        for line in reveal_lines(reveal, await store.daily_answer(LOCAL_GUILD_ID, reveal.day, player.id)):
            say(line)
        say()
    question = await question_for_day(store, questions, LOCAL_GUILD_ID, today)
    if question is None:
        say("There is no daily question: no pack has a multiple-choice question.")
        return 1
    earlier = await store.daily_answer(LOCAL_GUILD_ID, today, player.id)
    say(f"Daily question for {today.isoformat()} (UTC):")
    say(question.prompt)
    if earlier is not None:
        say(f"You already answered today: {earlier.choice}. {REVEALED_LATER}")
    else:
        for index, choice in enumerate(question.choices):
            say(f"  {LETTERS[index]}. {choice}")
        while True:
            say(f"Your answer ({option_labels(len(question.choices))}):")
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                say("No answer given; today's question stays open until 00:00 UTC.")
                break
            index = named_option(line.strip(), question.choices)
            if index is None:
                # The same refusal for any text that names no option: it never hints at the answer.
                say(f"That isn't one of the options: {option_labels(len(question.choices))}.")
                continue
            verdict = await answer_for_day(
                store,
                LOCAL_GUILD_ID,
                today,
                question,
                user_id=player.id,
                display_name=player.name,
                choice=question.choices[index],
                answered_at=clock(),
            )
            if verdict.recorded:
                say(f"Locked in: {verdict.answer.choice}. {REVEALED_LATER}")
            else:
                say(f"You already answered today: {verdict.answer.choice}. {REVEALED_LATER}")
            break
    current, best = await daily_streak_today(store, LOCAL_GUILD_ID, player.id, today)
    say(f"Daily streak for {player.name}: {plural(current, 'day')} (best {best}).")
    return 0


def reveal_lines(reveal: DailyReveal, mine: DailyAnswer | None) -> list[str]:
    """Yesterday's question, its answer and evidence, how the player and everyone did."""
    if reveal.question is None:
        lines = [f"Yesterday's question ({reveal.day.isoformat()}) is no longer in any pack."]
    else:
        lines = [
            f"Yesterday ({reveal.day.isoformat()}): {reveal.question.prompt}",
            f"The answer: {reveal.question.answer}",
        ]
        if reveal.question.quote:
            lines.append(f'From the article: "{" ".join(reveal.question.quote.split())}"')
        if reveal.question.note:
            lines.append(f"Note: {reveal.question.note}")
    if mine is not None:
        lines.append(f"You answered {mine.choice}: {'right' if mine.correct else 'wrong'}.")
    tally = reveal.tally
    lines.append(f"{tally.right} of {plural(tally.answered, 'player')} got it right.")
    return lines


def play_daily_in_terminal(settings: Settings, args: argparse.Namespace, catalog: Catalog) -> int:
    from bot.console import _default_name, local_player

    player = local_player(args.name or _default_name())

    async def main() -> int:
        async with SqliteStore(settings.database_path) as store:
            return await play_daily(catalog, store, player=player, stdin=sys.stdin, stdout=sys.stdout)

    return asyncio.run(main())
