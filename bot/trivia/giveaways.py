"""What a round may show before a question: never the question's own answer.

A question gives itself away when its prompt names its answer or one of the answer's aliases ("The
"Stronger" music video is the video for which song?"). A round gives a question away when something
shown before it names its answer: the round's opening line (a pack title such as `Kanye West's
"Stronger": Daft Punk, Akira and Graduation` names half the pack's answers) or an earlier prompt
("Who is the song "Stronger" by?" before "Which song samples Daft Punk?").

Names are compared in the answer matcher's normal form (case, accents and punctuation folded, a
possessive "'s" dropped) and only as whole words, so "Stronger" is named by "the "Stronger" video"
but "Ye" is not named by "year". What a question reveals once it closes (its answer and the
article's quote) is there to teach and is not counted: learning within a round is the point.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.trivia.answers import normalise
from bot.trivia.model import Question

# Shown instead of a pack title that would name answers of the round; it names nothing.
NEUTRAL_TITLE = "a mystery pack (its title is shown at the end: it would give answers away)"

_POSSESSIVE = re.compile(r"(?<=\w)['’‘ʼ]s\b", re.IGNORECASE)


@dataclass(frozen=True)
class Giveaway:
    """``question`` (1-based ``number`` in its round) has its answer named by ``shown``."""

    number: int
    question: Question
    shown: str

    def __str__(self) -> str:
        return f"question {self.number} ({self.question.answer!r}) is named by: {self.shown}"


def names_answer(text: str, question: Question) -> bool:
    """True if ``text`` names one of ``question``'s accepted answers as whole words."""
    words = f" {_folded(text)} "
    return any(f" {answer} " in words for answer in _answer_forms(question))


def reveals_itself(question: Question) -> bool:
    return names_answer(question.prompt, question)


def giveaways(opening: str, questions: Sequence[Question]) -> list[Giveaway]:
    """Every way this round, opened with ``opening``, shows a question's answer before asking it."""
    found = []
    for number, question in enumerate(questions, start=1):
        for shown in (opening, *(earlier.prompt for earlier in questions[: number - 1]), question.prompt):
            if names_answer(shown, question):
                found.append(Giveaway(number, question, shown))
                break
    return found


def names_any_answer(text: str, questions: Iterable[Question]) -> bool:
    return any(names_answer(text, question) for question in questions)


def opening_title(title: str, questions: Iterable[Question]) -> str:
    """``title`` if it names no answer of the round, else ``NEUTRAL_TITLE``."""
    return NEUTRAL_TITLE if names_any_answer(title, questions) else title


def without_giveaways(candidates: Iterable[Question], count: int) -> list[Question]:
    """Up to ``count`` of ``candidates``, preferred in the order given, arranged so no question gives
    itself away and no prompt names the answer of a question after it.

    Each candidate goes in the latest place where that holds (usually the end); one that fits
    nowhere is left out, so a round can be shorter than ``count`` when the candidates name each
    other too much. Only the opening line is not considered here: ``opening_title`` makes it safe.
    """
    picked: list[Question] = []
    for candidate in candidates:
        if len(picked) >= count:
            break
        if reveals_itself(candidate):
            continue
        place = _latest_place(picked, candidate)
        if place is not None:
            picked.insert(place, candidate)
    return picked


def _latest_place(picked: Sequence[Question], candidate: Question) -> int | None:
    # Placed at i, the candidate needs no earlier prompt naming its answer, and its prompt must name
    # no answer of the questions after it. The first condition only gets harder as i grows, the
    # second only easier, so walk i upwards and keep the last place where both hold.
    best = None
    for place in range(len(picked) + 1):
        if place > 0 and names_answer(picked[place - 1].prompt, candidate):
            break
        if not any(names_answer(candidate.prompt, later) for later in picked[place:]):
            best = place
    return best


@lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    return normalise(_POSSESSIVE.sub("", text))


@lru_cache(maxsize=8192)
def _answer_forms_of(answers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple({form for form in map(_folded, answers) if form})


def _answer_forms(question: Question) -> tuple[str, ...]:
    return _answer_forms_of(question.answers)
