"""The rules of one trivia game, as a pure state machine.

The same rules drive the Discord cog, the terminal front end and the tests, and rules are easiest to
get right (and to test) when time is an argument rather than something that happens. So the game
never sleeps, never does I/O and only reads time through an injected clock: every method takes the
current time (or asks the clock) and returns the events that happened, as frozen values that front
ends render and the session runner stores. A front end's only duty is to call ``tick()`` at
``next_deadline()``; calling it earlier or more often is harmless.

Lifecycle: ``start()`` asks the first question; a question closes when answered (text mode), when
every known player has answered (choices mode), at its deadline, or on skip/stop; after a pause the
next one is asked; ``GameOver`` is always the last event.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum, StrEnum

from bot.trivia.answers import answer_key, matches, named_option
from bot.trivia.model import Question

Clock = Callable[[], float]
Matcher = Callable[[str, Sequence[str], Sequence[str]], bool]

# Events keep what a player typed so front ends can echo it; a chat message can be thousands of
# characters, and nothing downstream needs more than a line of it.
_MAX_ECHO_CHARS = 200


def default_matcher(guess: str, accepted: Sequence[str], wrong: Sequence[str] = ()) -> bool:
    """The real answer matcher (``answers.matches``); the game folds a question's answers once with it."""
    return matches(guess, accepted, wrong)


class AnswerMode(StrEnum):
    CHOICES = "choices"
    TEXT = "text"


class CloseReason(StrEnum):
    ANSWERED = "answered"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"
    STOPPED = "stopped"
    EVERYONE_ANSWERED = "everyone answered"


class EndReason(StrEnum):
    FINISHED = "finished"
    STOPPED = "stopped"
    POINTS_REACHED = "points reached"
    IDLE = "idle"


class RejectReason(StrEnum):
    NO_QUESTION_OPEN = "no question open"
    ALREADY_ANSWERED = "already answered"
    NOT_AN_OPTION = "not an option"
    GAME_OVER = "game over"


@dataclass(frozen=True)
class Player:
    """A participant; ``id`` is the identity (a Discord user id), ``name`` only what to show."""

    id: int
    name: str


# Inclusive bounds, checked by ``RoundSettings.validated``; front ends can show them in help text.
SETTING_LIMITS: dict[str, tuple[float, float]] = {
    "questions": (1, 50),
    "seconds": (5, 300),
    "points_to_win": (1, 10_000),
    "base_points": (1, 1_000),
    "pause_seconds": (0, 60),
    "max_idle_questions": (1, 50),
}
_WHOLE_NUMBER_SETTINGS = frozenset({"questions", "points_to_win", "base_points", "max_idle_questions"})


@dataclass(frozen=True)
class RoundSettings:
    questions: int = 10
    seconds: float = 30
    mode: AnswerMode = AnswerMode.CHOICES
    hints: bool = True
    points_to_win: int | None = None
    base_points: int = 10
    pause_seconds: float = 4
    max_idle_questions: int = 3

    def validated(self) -> RoundSettings:
        """Return these settings with ``mode`` as an ``AnswerMode``, or raise ``ValueError`` naming the field.

        Settings come from slash-command options and config files, so the message is meant for the
        person who typed them: it names the field and the allowed range.
        """
        for name, (low, high) in SETTING_LIMITS.items():
            value = getattr(self, name)
            if value is None and name == "points_to_win":
                continue
            whole = name in _WHOLE_NUMBER_SETTINGS
            kind = "a whole number" if whole else "a number"
            # bool is an int subclass, and True questions is surely a mistake rather than 1.
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
                raise ValueError(f"{name} must be {kind} between {low:g} and {high:g}, got {value!r}")
            if not low <= value <= high:  # also refuses NaN
                raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
        try:
            mode = AnswerMode(self.mode)
        except ValueError:
            allowed = ", ".join(mode.value for mode in AnswerMode)
            raise ValueError(f"mode must be one of {allowed}, got {self.mode!r}") from None
        if not isinstance(self.hints, bool):
            raise ValueError(f"hints must be true or false, got {self.hints!r}")
        return replace(self, mode=mode)


@dataclass(frozen=True)
class Score:
    """How one player's answer to one question was settled.

    ``given`` is what they answered (the option for choices, the message for text); ``answered_at``
    is in clock time, ``answered_after`` in seconds since the question was asked.
    """

    player: Player
    given: str
    correct: bool
    points: int
    answered_after: float
    answered_at: float


@dataclass(frozen=True)
class Standing:
    rank: int
    player: Player
    points: int
    correct: int


class Event:
    """Base of everything the game reports; front ends ``match`` on the concrete classes."""

    __slots__ = ()


@dataclass(frozen=True)
class GameStarted(Event):
    settings: RoundSettings
    total_questions: int


@dataclass(frozen=True)
class QuestionAsked(Event):
    """``mode`` is how *this* question is answered: a choices game falls back to text for a question
    that has no options. ``choices`` is empty in text mode. ``deadline`` is in clock time."""

    number: int
    total: int
    question: Question
    mode: AnswerMode
    choices: tuple[str, ...]
    deadline: float
    ends_in: float


@dataclass(frozen=True)
class HintGiven(Event):
    """``text`` is ready to show. In choices mode ``remaining_choices`` are the options still in play
    (in display order) and ``removed_choices`` the ruled-out ones; both are empty in text mode."""

    number: int
    question: Question
    text: str
    remaining_choices: tuple[str, ...] = ()
    removed_choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerLocked(Event):
    """A choices-mode answer was accepted; it is scored only when the question closes.

    ``answered`` of ``players`` known players have now answered this question."""

    number: int
    player: Player
    choice: str
    answered: int
    players: int


@dataclass(frozen=True)
class AnswerRejected(Event):
    player: Player
    reason: RejectReason
    text: str


@dataclass(frozen=True)
class WrongAnswer(Event):
    """A text-mode guess that did not match; not penalised or stored. Front ends may ignore it."""

    number: int
    player: Player
    text: str


@dataclass(frozen=True)
class QuestionClosed(Event):
    """A question ended. ``answers`` are every answer that counts, right or wrong, in the order given,
    and are what gets stored; skipped and stopped questions count nobody's. ``next_in`` is the pause
    before the next question, or ``None`` when ``GameOver`` follows.

    ``missed`` are the players whose streak this question ends without a wrong answer in ``answers``:
    they were in the game when it was asked and did not answer it right (they let it pass, or in text
    mode someone else was first), or in text mode they guessed wrong, even if they then got it right.
    A streak ends at every miss before ``answers`` apply. Skipped and stopped questions miss nobody."""

    number: int
    total: int
    question: Question
    reason: CloseReason
    answers: tuple[Score, ...]
    next_in: float | None
    missed: tuple[Player, ...] = ()

    @property
    def answer(self) -> str:
        return self.question.answer

    @property
    def scorers(self) -> tuple[Score, ...]:
        """The correct answers, most points first (ties keep answer order)."""
        return tuple(sorted((score for score in self.answers if score.correct), key=lambda s: -s.points))


@dataclass(frozen=True)
class GameOver(Event):
    """Always the last event. ``winners`` are everyone ranked first with more than 0 points.

    ``not_counted`` is set by whoever stores the game (the session runner), never by the game: the
    number of a question whose answers could not be saved, so its points are left out of
    ``standings`` and front ends say that it did not count."""

    reason: EndReason
    standings: tuple[Standing, ...]
    winners: tuple[Player, ...]
    questions_asked: int
    not_counted: int | None = None


class _Phase(Enum):
    READY = "ready"
    ASKING = "asking"
    PAUSED = "paused"
    OVER = "over"


@dataclass
class _Tally:
    player: Player
    points: int = 0
    correct: int = 0
    # When the player reached their current total: the earlier, the higher among equals.
    reached_at: float = math.inf


@dataclass(frozen=True)
class _Locked:
    player: Player
    choice: str
    correct: bool
    at: float


class Game:
    """One game in one channel. Not thread-safe; the session runner serialises calls."""

    def __init__(
        self,
        questions: Sequence[Question],
        settings: RoundSettings | None = None,
        clock: Clock = time.monotonic,
        *,
        matcher: Matcher | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = (settings or RoundSettings()).validated()
        if not questions:
            raise ValueError("a game needs at least one question")
        self._questions = tuple(questions[: self._settings.questions])
        self._clock = clock
        self._matcher: Matcher = matcher or default_matcher
        # The open question's matcher with its answers folded in; built on its first guess.
        self._guess_matches: Callable[[str], bool] | None = None
        self._rng = rng or random.Random()
        self._phase = _Phase.READY
        self._index = -1
        self._asked_at = 0.0
        self._deadline = 0.0
        self._mode = self._settings.mode  # how the open question is answered (see _mode_for)
        self._hint_at: float | None = None
        self._resume_at = 0.0
        self._locked: dict[int, _Locked] = {}
        self._anyone_tried = False
        # Text-mode players who guessed the open question wrong: a wrong guess ends a streak.
        self._guessed_wrong: dict[int, Player] = {}
        self._idle_streak = 0
        # Every known player, in the order first seen: joined, or answered something that counted.
        self._tallies: dict[int, _Tally] = {}
        # Who a choices question waits for before closing early: players known when it was asked
        # (or who joined since). Someone answering for the first time is not among them, so the
        # first press of a new game never closes the question on everyone else.
        self._expected: set[int] = set()

    # -- read-only views -------------------------------------------------------------------------

    @property
    def settings(self) -> RoundSettings:
        return self._settings

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def total_questions(self) -> int:
        return len(self._questions)

    @property
    def number(self) -> int:
        """The 1-based number of the question being asked or last asked; 0 before the start."""
        return self._index + 1

    @property
    def is_started(self) -> bool:
        return self._phase is not _Phase.READY

    @property
    def is_over(self) -> bool:
        return self._phase is _Phase.OVER

    @property
    def current(self) -> Question | None:
        """The question open for answers, or ``None`` (before the start, between questions, after)."""
        return self._questions[self._index] if self._phase is _Phase.ASKING else None

    @property
    def questions(self) -> tuple[Question, ...]:
        """The round's questions, in the order they are asked."""
        return self._questions

    @property
    def players(self) -> tuple[Player, ...]:
        return tuple(tally.player for tally in self._tallies.values())

    def next_deadline(self) -> float | None:
        """When ``tick()`` next has something to do (clock time), or ``None`` if it never will."""
        if self._phase is _Phase.ASKING:
            return self._deadline if self._hint_at is None else min(self._hint_at, self._deadline)
        if self._phase is _Phase.PAUSED:
            return self._resume_at
        return None

    def standings(self) -> list[Standing]:
        """Points, then correct answers; equal on both share a rank (1, 1, 3). Among equals, whoever
        reached their total first is listed first, then by name."""
        ordered = sorted(
            self._tallies.values(),
            key=lambda t: (-t.points, -t.correct, t.reached_at, t.player.name.casefold(), t.player.id),
        )
        standings: list[Standing] = []
        previous: tuple[int, int] | None = None
        rank = 0
        for position, tally in enumerate(ordered, start=1):
            if (tally.points, tally.correct) != previous:
                rank, previous = position, (tally.points, tally.correct)
            standings.append(Standing(rank, tally.player, tally.points, tally.correct))
        return standings

    # -- commands --------------------------------------------------------------------------------

    def join(self, player: Player) -> None:
        """Make ``player`` known, so choices-mode questions wait for them before closing early."""
        if self._phase is not _Phase.OVER:
            self._remember(player)
            self._expected.add(player.id)

    def start(self, now: float | None = None) -> list[Event]:
        if self._phase is not _Phase.READY:
            return []
        now = self._now(now)
        return [GameStarted(self._settings, self.total_questions), *self._ask(now)]

    def answer(self, player: Player, text: str, now: float | None = None) -> list[Event]:
        """Text mode: ``text`` is a chat message. Choices mode: the option's full text, its number
        (1-based) or its letter (``answers.named_option``); anything else is refused, whichever option is right.

        Never raises on bad input. In text mode, messages with no question open are chat and give
        no events; in choices mode they give ``AnswerRejected`` so a button press gets a reply.
        """
        now = self._now(now)
        if self._phase is _Phase.ASKING and now < self._deadline:  # nothing overdue to settle first
            if self._mode is AnswerMode.TEXT:
                return self._answer_text(player, text, now)
            return self._answer_choice(player, text, now)
        events = self._close_if_overdue(now)
        reason = RejectReason.GAME_OVER if self.is_over else RejectReason.NO_QUESTION_OPEN
        if self._settings.mode is AnswerMode.TEXT:
            return events
        return [*events, AnswerRejected(player, reason, _echo(text))]

    def tick(self, now: float | None = None) -> list[Event]:
        """Give due hints, close timed-out questions and ask the next one after the pause."""
        now = self._now(now)
        events: list[Event] = []
        while True:
            if self._phase is _Phase.ASKING and now >= self._deadline:
                events += self._close(CloseReason.TIMEOUT, now, self._settle_locked())
            elif self._phase is _Phase.ASKING and self._hint_at is not None and now >= self._hint_at:
                self._hint_at = None
                events.append(self._hint())
            elif self._phase is _Phase.PAUSED and now >= self._resume_at:
                events += self._ask(now)
            else:
                return events

    def skip(self, now: float | None = None) -> list[Event]:
        """Close the open question unscored and reveal it, or end the pause early."""
        if self._phase in (_Phase.READY, _Phase.OVER):
            return []
        now = self._now(now)
        # A question already past its deadline is settled as a timeout, so locked-in answers keep their
        # points; the skip then ends the pause that follows, as it would have a moment later.
        events = self._close_if_overdue(now)
        if self._phase is _Phase.ASKING:
            events += self._close(CloseReason.SKIPPED, now, ())
        elif self._phase is _Phase.PAUSED:
            events += self._ask(now)
        return events

    def stop(self, now: float | None = None) -> list[Event]:
        """End the game now; the open question is closed unscored."""
        if self._phase is _Phase.OVER:
            return []
        now = self._now(now)
        if self._phase is _Phase.READY:
            return [self._finish(EndReason.STOPPED)]
        events = self._close_if_overdue(now)
        if self._phase is _Phase.ASKING:
            events += self._close(CloseReason.STOPPED, now, ())
        elif self._phase is _Phase.PAUSED:
            events.append(self._finish(EndReason.STOPPED))
        return events

    # -- rules -----------------------------------------------------------------------------------

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _remember(self, player: Player) -> _Tally:
        tally = self._tallies.get(player.id)
        if tally is None:
            tally = self._tallies[player.id] = _Tally(player)
        else:
            tally.player = player  # a renamed player keeps their score under the new name
        return tally

    def _mode_for(self, question: Question) -> AnswerMode:
        if self._settings.mode is AnswerMode.CHOICES and question.choices:
            return AnswerMode.CHOICES
        return AnswerMode.TEXT

    def _ask(self, now: float) -> list[Event]:
        self._index += 1
        question = self._questions[self._index]
        mode = self._mode = self._mode_for(question)
        seconds = self._settings.seconds
        self._phase = _Phase.ASKING
        self._asked_at = now
        self._deadline = now + seconds
        if self._locked:
            self._locked = {}
        # Everyone known so far. Players only ever join both, so equal sizes mean equal sets, and a
        # game whose players are all known by now builds no set per question.
        if len(self._expected) != len(self._tallies):
            self._expected = set(self._tallies)
        self._anyone_tried = False
        if self._guessed_wrong:
            self._guessed_wrong = {}
        self._guess_matches = None
        self._hint_at = now + seconds / 2 if self._settings.hints and _hint_possible(question, mode) else None
        choices = question.choices if mode is AnswerMode.CHOICES else ()
        return [QuestionAsked(self.number, self.total_questions, question, mode, choices, self._deadline, seconds)]

    def _answer_text(self, player: Player, text: str, now: float) -> list[Event]:
        if not text.strip():
            return []
        self._anyone_tried = True
        if self._guess_matches is None:
            self._guess_matches = self._matcher_for(self._questions[self._index])
        if not self._guess_matches(text):
            # No penalty and not stored as an answer, but it proves someone is there and ends a streak.
            self._guessed_wrong.setdefault(player.id, player)
            return [WrongAnswer(self.number, player, _echo(text))]
        self._remember(player)
        points = self._settings.base_points
        score = Score(player, _echo(text), True, points, now - self._asked_at, now)
        return self._close(CloseReason.ANSWERED, now, (score,))

    def _matcher_for(self, question: Question) -> Callable[[str], bool]:
        matcher = self._matcher
        if matcher is default_matcher:
            return answer_key(question.answers, question.wrong).matches
        accepted, wrong = question.answers, question.wrong
        return lambda guess: matcher(guess, accepted, wrong)

    def _answer_choice(self, player: Player, text: str, now: float) -> list[Event]:
        self._anyone_tried = True
        if player.id in self._locked:
            return [AnswerRejected(player, RejectReason.ALREADY_ANSWERED, _echo(text))]
        question = self._questions[self._index]
        choice = self._resolve_choice(question, text)
        if choice is None:
            return [AnswerRejected(player, RejectReason.NOT_AN_OPTION, _echo(text))]
        self._remember(player)
        self._locked[player.id] = _Locked(player, choice, choice in question.answers, now)
        events: list[Event] = [AnswerLocked(self.number, player, choice, len(self._locked), len(self._tallies))]
        if self._expected and self._expected <= self._locked.keys():
            events += self._close(CloseReason.EVERYONE_ANSWERED, now, self._settle_locked())
        return events

    def _resolve_choice(self, question: Question, text: str) -> str | None:
        index = named_option(text, question.choices)
        return None if index is None else question.choices[index]

    def _settle_locked(self) -> tuple[Score, ...]:
        """Score the locked-in choices: a right answer earns from all the base points (instantly) down
        to half of them (at the buzzer), never less than 1; a wrong one earns 0."""
        seconds = self._settings.seconds
        base = self._settings.base_points
        scores = []
        for locked in sorted(self._locked.values(), key=lambda answer: answer.at):
            points = 0
            if locked.correct:
                time_left = min(max(self._deadline - locked.at, 0.0), seconds)
                # Half-up rounding: banker's rounding would give 7.5 → 8 but 12.5 → 12, which looks like a bug.
                points = max(1, math.floor(base * (0.5 + 0.5 * time_left / seconds) + 0.5))
            scores.append(
                Score(locked.player, locked.choice, locked.correct, points, locked.at - self._asked_at, locked.at)
            )
        return tuple(scores)

    def _close_if_overdue(self, now: float) -> list[Event]:
        if self._phase is _Phase.ASKING and now >= self._deadline:
            return self._close(CloseReason.TIMEOUT, now, self._settle_locked())
        return []

    def _close(self, reason: CloseReason, now: float, answers: tuple[Score, ...]) -> list[Event]:
        question = self._questions[self._index]
        missed = self._missed(reason, answers)
        self._locked = {}
        self._hint_at = None
        for score in answers:
            tally = self._remember(score.player)
            if score.correct:
                tally.correct += 1
            if score.points:
                tally.points += score.points
                tally.reached_at = score.answered_at
        # A skip is somebody at the keyboard too, so only a question nobody touched counts as idle.
        if answers or self._anyone_tried or reason is CloseReason.SKIPPED:
            self._idle_streak = 0
        else:
            self._idle_streak += 1

        end = self._end_reason(reason)
        next_in = None if end else self._settings.pause_seconds
        closed = QuestionClosed(self.number, self.total_questions, question, reason, answers, next_in, missed)
        if end:
            return [closed, self._finish(end)]
        self._phase = _Phase.PAUSED
        self._resume_at = now + self._settings.pause_seconds
        return [closed]

    def _missed(self, reason: CloseReason, answers: tuple[Score, ...]) -> tuple[Player, ...]:
        if reason is CloseReason.SKIPPED or reason is CloseReason.STOPPED:
            return ()  # a moderator's call, not the player's: it counts for nobody
        expected, guessed_wrong = self._expected, self._guessed_wrong
        # Closed by one right answer (text mode, every busy question): no set to build.
        answered = (answers[0].player.id,) if len(answers) == 1 else {score.player.id for score in answers}
        missed = [
            tally.player
            for player_id, tally in self._tallies.items()
            if (player_id in expected and player_id not in answered) or player_id in guessed_wrong
        ]
        if guessed_wrong:
            # A newcomer whose only tries were wrong is in no tally.
            missed += [player for player_id, player in guessed_wrong.items() if player_id not in self._tallies]
        return tuple(missed)

    def _end_reason(self, reason: CloseReason) -> EndReason | None:
        target = self._settings.points_to_win
        if reason is CloseReason.STOPPED:
            return EndReason.STOPPED
        # Checked before "finished" so a win on the last question is still reported as the win it was.
        if target is not None and any(tally.points >= target for tally in self._tallies.values()):
            return EndReason.POINTS_REACHED
        if self._index + 1 >= len(self._questions):
            return EndReason.FINISHED
        if self._idle_streak >= self._settings.max_idle_questions:
            return EndReason.IDLE
        return None

    def _finish(self, reason: EndReason) -> GameOver:
        self._phase = _Phase.OVER
        self._hint_at = None
        standings = tuple(self.standings())
        winners = tuple(s.player for s in standings if s.rank == 1 and s.points > 0)
        return GameOver(reason, standings, winners, self.number)

    def _hint(self) -> HintGiven:
        question = self._questions[self._index]
        if self._mode is AnswerMode.TEXT:
            return HintGiven(self.number, question, text_hint(question.answer))
        # Choices mode gets a 50:50: the classic amount is half the wrong options rounded up, but at
        # least one wrong option stays so the hint never gives the answer away.
        wrong = question.wrong
        removed = set(self._rng.sample(wrong, _options_to_remove(len(wrong))))
        remaining = tuple(choice for choice in question.choices if choice not in removed)
        ruled_out = tuple(choice for choice in question.choices if choice in removed)
        text = "It's one of: " + ", ".join(remaining)
        return HintGiven(self.number, question, text, remaining, ruled_out)


def _options_to_remove(wrong_count: int) -> int:
    return min(math.ceil(wrong_count / 2), wrong_count - 1)


def _hint_possible(question: Question, mode: AnswerMode) -> bool:
    if mode is AnswerMode.CHOICES:
        return _options_to_remove(len(question.wrong)) > 0
    return sum(char.isalnum() for char in question.answer) > 1


def text_hint(answer: str) -> str:
    """The answer's first letter and its shape: ``"S_______ (8 letters)"``, ``"1___ (4 digits)"``,
    ``"T__ _______ (2 words, 10 letters)"``. Spaces and punctuation stay visible; every other letter
    and digit is masked (years too, so a hint never halves the range of a year).

    Front ends showing this in Markdown must escape the underscores or put it in a code span.
    """
    characters = [char for char in answer if char.isalnum()]
    reveal_first = len(characters) > 1  # a one-character answer would be given away entirely
    masked: list[str] = []
    seen_first = False
    for char in answer.strip():
        if not char.isalnum():
            masked.append(char)
        elif not seen_first and reveal_first:
            masked.append(char)
            seen_first = True
        else:
            masked.append("_")
    if all(char.isdigit() for char in characters):
        unit = "digit"
    elif any(char.isdigit() for char in characters):
        unit = "character"
    else:
        unit = "letter"
    count = len(characters)
    size = f"{count} {unit}{'' if count == 1 else 's'}"
    words = len([word for word in answer.split() if any(char.isalnum() for char in word)])
    shape = f"{words} words, {size}" if words > 1 else size
    return f"{''.join(masked)} ({shape})"


def _echo(text: str) -> str:
    return text[:_MAX_ECHO_CHARS]
