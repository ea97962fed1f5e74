"""Runs one ``Game`` against time, a ``Store`` and a front end, with no Discord in sight.

The game engine is pure, so something has to wake it at its deadlines, feed it answers as they
arrive, save scores and hand events to the front end. That is this module, kept free of Discord so
the terminal front end and the tests drive exactly the code the bot runs.

A score is committed before it is announced: a question's answers are stored before its
``QuestionClosed`` is rendered, and the game is finished in storage before ``GameOver`` is rendered,
so players are never shown points that a crash a moment later would lose. If saving a question's
answers fails, that question is not shown as scored: the players are told (``StorageFailed``
carrying the question), the game stops, and the final standings are the stored ones, saying which
question did not count. Given the server's no-repeat history (``asked_before``), each question
joins it before it is shown, so a game that dies midway still counts what it asked.

Everything that touches the game (and storage) happens under one lock, so a tick and an answer
never interleave. Rendering does not: events go to an outbox that one courier task renders in
order, so a slow or rate-limited send never holds up an answer, and the front end never waits on
its own sends to get a reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace

from bot.storage.base import PlayerResult, ScoredAnswer, Store
from bot.storage.errors import StoreError
from bot.trivia.catalog import starts_over
from bot.trivia.game import (
    AnswerRejected,
    Clock,
    EndReason,
    Event,
    Game,
    GameOver,
    Player,
    QuestionAsked,
    QuestionClosed,
    RejectReason,
    Standing,
)

log = logging.getLogger(__name__)

Render = Callable[[Event], Awaitable[object]]
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class StorageFailed(Event):
    """Saving failed; ``operation`` is the ``Store`` method ("start_game", "record_answers" or
    "finish_game"). After a failed ``start_game`` the game never starts. After a failed
    ``record_answers``, ``question`` is the close whose answers were not saved: it takes the place
    of that ``QuestionClosed`` (reveal the answer, score nobody), the game stops, and the
    ``GameOver`` that follows has the stored standings and ``not_counted`` set. After a failed
    ``finish_game`` the ``GameOver`` is still shown."""

    operation: str
    detail: str
    question: QuestionClosed | None = None


class GameSession:
    """Drives one game for one channel: ``await run()`` plays it to the end; the front end calls
    ``submit``, ``skip`` and ``stop`` from its own handlers while ``run`` is going.

    ``render`` receives every event, including ``AnswerLocked``, ``AnswerRejected`` and
    ``WrongAnswer``, in order, from a task of its own; ``submit``/``skip``/``stop`` return the
    events they caused as soon as they are stored, without waiting for them to be rendered, so a
    front end that answers an interaction privately can use the return value and ignore those in
    ``render``. ``run()`` returns once everything has been rendered.
    ``clock`` must be the clock the game uses (it defaults to it); ``sleep`` waits that clock's
    seconds; ``wall_clock`` stamps what is stored.
    """

    def __init__(
        self,
        game: Game,
        store: Store,
        *,
        guild_id: int,
        channel_id: int,
        pack_id: str,
        render: Render,
        sleep: Sleep = asyncio.sleep,
        clock: Clock | None = None,
        wall_clock: Clock = time.time,
        game_id: int | None = None,
        asked_before: Collection[str] | None = None,
    ) -> None:
        self.game = game
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.pack_id = pack_id
        self._store = store
        self._render = render
        self._sleep = sleep
        self._clock = clock or game.clock
        self._wall_clock = wall_clock
        self._lock = asyncio.Lock()
        # Set whenever the game's next deadline may have moved, so the waiting loop re-reads it.
        self._changed = asyncio.Event()
        # Given when the front end recorded the start itself (the store's word that the channel is
        # free, before it tells anyone a game started); otherwise ``run`` records it.
        self._game_id: int | None = game_id
        # The server's no-repeat history of the pack when the round was picked (``Store.asked_questions``).
        # Given, each question joins it as it is asked, so a game that dies midway (a crash, a lost
        # channel) still counts the questions it showed; None keeps no history.
        self._asked_before = asked_before
        self._history_started_over = False
        self._wall_offset = 0.0
        self._storage_broken = False
        self._storage_error = ""
        self._not_counted: QuestionClosed | None = None
        self._ran = False
        # Events for the courier, in order; a plain deque and one future that wakes it when idle,
        # since an asyncio.Queue's bookkeeping cost more than the bench's whole render.
        self._outbox: deque[Event] = deque()
        self._outbox_filled: asyncio.Future[None] | None = None
        self._courier: asyncio.Task[None] | None = None
        # Wakes the run loop at the next deadline; see _arm_alarm.
        self._alarm: asyncio.Task[None] | None = None
        self._alarm_at = 0.0

    @property
    def game_id(self) -> int | None:
        """The stored game's id, once ``start_game`` has succeeded."""
        return self._game_id

    @property
    def is_over(self) -> bool:
        return self.game.is_over

    def join(self, player: Player) -> None:
        self.game.join(player)

    async def run(self) -> None:
        """Start the game and play it until ``GameOver`` (or a storage failure at the start)."""
        if self._ran:
            raise RuntimeError("a GameSession runs only once")
        self._ran = True
        try:
            await self._play()
        finally:
            # Forgotten as well as cancelled: the cancelled task keeps its error, whose traceback
            # holds the alarm's frame and so this session. Were the session still holding the task,
            # that cycle would keep the whole game until a full collection.
            alarm, self._alarm = self._alarm, None
            if alarm is not None:
                alarm.cancel()
            # Whatever ended the game, what it said is delivered before run() returns: the courier
            # ends after GameOver, or after this marker when the game ended without one.
            courier = self._courier
            if courier is not None and not courier.done():
                self._send(_OUTBOX_CLOSED)
                await courier

    async def _play(self) -> None:
        async with self._lock:
            if self.game.is_over:  # stopped before it began; stop() already published the GameOver
                return
            try:
                if self._game_id is None:
                    self._game_id = await self._store.start_game(
                        self.guild_id, self.channel_id, self.pack_id, self.game.settings.mode.value, self._wall_clock()
                    )
            except Exception as error:
                _log_storage_failure(error, "could not record the start of a game in channel %s", self.channel_id)
                self.game.stop()  # so late answers and commands are refused rather than queued
                self._send(StorageFailed("start_game", _describe(error)))
                return
            self._wall_offset = self._wall_clock() - self._clock()
            await self._publish(self.game.start())
        while not self.game.is_over:
            await self._wait_for_next_deadline()
            async with self._lock:
                await self._publish(self.game.tick())

    async def submit(self, player: Player, text: str, *, question: int | None = None) -> list[Event]:
        """Feed one answer (a chat message or a chosen option). With ``question`` (its number), the
        answer only counts while that very question is open: a button press that waited behind a
        skip is refused as "no question open" rather than landing on the next question."""

        if question is None:
            return await self._command(self.game.answer, player, text)

        def answer() -> list[Event]:
            if question != self.game.number or self.game.current is None:
                reason = RejectReason.GAME_OVER if self.game.is_over else RejectReason.NO_QUESTION_OPEN
                return [AnswerRejected(player, reason, text[:200])]
            return self.game.answer(player, text)

        return await self._command(answer)

    async def skip(self) -> list[Event]:
        return await self._command(self.game.skip)

    async def stop(self) -> list[Event]:
        return await self._command(self.game.stop)

    async def _command(self, act: Callable[..., list[Event]], *arguments: object) -> list[Event]:
        lock = self._lock
        await lock.acquire()
        try:
            # Whatever is due after it (the next question, when there is no pause) is done in the
            # same pass rather than by waking the run loop for it: one task step per answer fewer.
            published = await self._publish(act(*arguments), tick_when_due=True)
            self._wake_if_sooner(self.game.next_deadline())
        finally:
            lock.release()
        return published

    def _wake_if_sooner(self, deadline: float | None) -> None:
        """Wake the run loop if the game now needs it before its alarm rings (or it must end).

        A busy text game's deadlines only move later as answers close questions, so most commands
        wake nothing: the alarm rings early at worst, and waking early is harmless.
        """
        if deadline is None or self._alarm is None or deadline < self._alarm_at:
            self._changed.set()

    async def _wait_for_next_deadline(self) -> None:
        # Cleared before the deadline is read, with no await in between, so a change that lands
        # while we wait is never missed.
        self._changed.clear()
        deadline = self.game.next_deadline()
        if deadline is None:
            return
        if deadline <= self._clock():
            return
        self._arm_alarm(deadline)
        await self._changed.wait()

    def _arm_alarm(self, deadline: float) -> None:
        """Make sure ``_changed`` is set by ``deadline`` at the latest.

        An alarm already set for that moment or earlier is kept: waking early only costs a tick
        that finds nothing due ("calling it earlier is harmless"), and then the alarm is set again.
        So a busy text game, whose deadlines only move later as answers close questions, starts
        no task per answer; a new one is needed only when the deadline moves earlier.
        """
        alarm = self._alarm
        if alarm is not None and not alarm.done():
            if self._alarm_at <= deadline:
                return
            alarm.cancel()
        self._alarm_at = deadline
        self._alarm = asyncio.get_running_loop().create_task(
            self._ring_at(deadline - self._clock()), name=f"trivia-alarm-{self.channel_id}"
        )

    async def _ring_at(self, delay: float) -> None:
        await self._sleep(delay)
        self._changed.set()

    async def _publish(self, events: list[Event], *, tick_when_due: bool = False) -> list[Event]:
        """Store each event's consequences, then hand it to the courier, in order; returns what was
        sent. With ``tick_when_due``, what the game has due by then (its ``tick()``) follows."""
        published: list[Event] = []
        while True:
            for index, event in enumerate(events):
                if isinstance(event, QuestionClosed):
                    if (event.answers or event.missed) and not await self._record(event):
                        # Shown instead of the close: the answer is revealed, nobody is shown as scored.
                        self._not_counted = event
                        failed = StorageFailed("record_answers", self._storage_error, event)
                        self._send(failed)
                        published.append(failed)
                        # The game goes no further: whatever else this batch held (a next question)
                        # gives way to a stop.
                        leftovers = [*events[index + 1 :], *self.game.stop()]
                        return published + await self._publish([e for e in leftovers if isinstance(e, GameOver)])
                elif isinstance(event, QuestionAsked):
                    if self._asked_before is not None:
                        await self._remember_asked(event)
                elif isinstance(event, GameOver):
                    if self._not_counted is not None:
                        event = _without_unsaved(event, self._not_counted)
                    await self._finish(event)
                self._send(event)
                published.append(event)
            if not (tick_when_due and self._due()):
                return published
            events = self.game.tick()

    def _due(self) -> bool:
        deadline = self.game.next_deadline()
        return deadline is not None and deadline <= self._clock()

    def _send(self, event: Event) -> None:
        self._outbox.append(event)
        filled = self._outbox_filled
        if filled is not None:
            self._outbox_filled = None
            if not filled.done():
                filled.set_result(None)
        # One courier for the whole game rather than one per burst of events: it waits on the
        # outbox and ends after GameOver (the last event) or when run() is over.
        if self._courier is None or self._courier.done():
            self._courier = asyncio.get_running_loop().create_task(
                self._deliver(), name=f"trivia-render-{self.channel_id}"
            )

    async def _deliver(self) -> None:
        outbox = self._outbox
        while True:
            while not outbox:
                self._outbox_filled = asyncio.get_running_loop().create_future()
                await self._outbox_filled
            event = outbox.popleft()
            if event is _OUTBOX_CLOSED:
                return
            # One message that fails to send (a Discord hiccup, a deleted channel) must not kill the
            # game loop, or the channel would be left with a session that never ends.
            try:
                await self._render(event)
            except Exception:
                log.exception("rendering %s failed in channel %s", type(event).__name__, self.channel_id)
            if isinstance(event, GameOver):
                return

    async def _record(self, closed: QuestionClosed) -> bool:
        """Store ``closed``'s answers and misses (the caller skips a close that has neither)."""
        if self._game_id is None or self._storage_broken:
            return True
        question_id, wall_offset = closed.question.id, self._wall_offset
        answers = [
            ScoredAnswer(
                user_id=score.player.id,
                display_name=score.player.name,
                question_id=question_id,
                correct=score.correct,
                points=score.points,
                answered_at=score.answered_at + wall_offset,
            )
            for score in closed.answers
        ]
        try:
            missed = [player.id for player in closed.missed]
            await self._store.record_answers(self._game_id, self.guild_id, answers, missed)
        except Exception as error:
            _log_storage_failure(error, "could not record answers in channel %s; stopping the game", self.channel_id)
            self._storage_broken = True
            self._storage_error = _describe(error)
            return False
        return True

    async def _remember_asked(self, asked: QuestionAsked) -> None:
        if self._asked_before is None:
            return
        question_ids = [asked.question.id]
        # A question from the history means the pack is used up (``pick_questions`` puts those last):
        # the history starts over with this round, the questions already asked in it included.
        restart = not self._history_started_over and starts_over([asked.question], self._asked_before)
        if restart:
            question_ids = [question.id for question in self.game.questions[: asked.number]]
        try:
            await self._store.record_asked(
                self.guild_id, self.pack_id, question_ids, self._wall_clock(), starts_over=restart
            )
        except Exception as error:  # the scores are safe; only the order of later rounds suffers
            _log_storage_failure(error, "could not record the question asked in channel %s", self.channel_id)
            return
        self._history_started_over |= restart

    async def _finish(self, over: GameOver) -> None:
        if self._game_id is None:
            return
        winners = {player.id for player in over.winners}
        results = [
            PlayerResult(
                user_id=standing.player.id,
                display_name=standing.player.name,
                points=standing.points,
                correct=standing.correct,
                won=standing.player.id in winners,
            )
            for standing in over.standings
        ]
        try:
            await self._store.finish_game(
                self._game_id, self.guild_id, self._wall_clock(), results, over.reason is EndReason.STOPPED
            )
        except Exception as error:
            _log_storage_failure(error, "could not record the end of a game in channel %s", self.channel_id)
            if not self._storage_broken:  # players were already told once
                self._send(StorageFailed("finish_game", _describe(error)))


class _OutboxClosed(Event):
    """Sent by ``run()`` when it ends, so the courier finishes what is before it and stops."""

    __slots__ = ()


_OUTBOX_CLOSED = _OutboxClosed()


def _without_unsaved(over: GameOver, unsaved: QuestionClosed) -> GameOver:
    """``over`` as storage has it: without the points of the question that could not be saved.

    Every earlier question was saved (the game stops at the first failure), so the stored totals are
    the game's totals less that question's answers. A win that rested on those points is no win.
    """
    lost = {score.player.id: score for score in unsaved.answers}
    totals = [
        (
            standing.player,
            standing.points - (lost[standing.player.id].points if standing.player.id in lost else 0),
            standing.correct - (lost[standing.player.id].correct if standing.player.id in lost else 0),
        )
        for standing in over.standings
    ]
    # A stable sort keeps the game's own order among players who are still equal.
    totals.sort(key=lambda total: (-total[1], -total[2]))
    standings: list[Standing] = []
    for position, (player, points, correct) in enumerate(totals, start=1):
        shares_rank = standings and (standings[-1].points, standings[-1].correct) == (points, correct)
        standings.append(Standing(standings[-1].rank if shares_rank else position, player, points, correct))
    reason = EndReason.STOPPED if over.reason is EndReason.POINTS_REACHED else over.reason
    winners = tuple(standing.player for standing in standings if standing.rank == 1 and standing.points > 0)
    return replace(over, reason=reason, standings=tuple(standings), winners=winners, not_counted=unsaved.number)


def _log_storage_failure(error: Exception, message: str, *args: object) -> None:
    # A StoreError is the database saying no (locked, full, read-only): one line says it all. Anything
    # else is a bug, and its traceback is wanted.
    if isinstance(error, StoreError):
        log.error(message + ": %s", *args, error)
    else:
        log.error(message, *args, exc_info=error)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class AlreadyRunning(Exception):
    def __init__(self, channel_id: int) -> None:
        super().__init__(f"a game is already running in channel {channel_id}")
        self.channel_id = channel_id


class SessionRegistry:
    """At most one running session per channel; a session leaves the registry the moment its
    ``run()`` ends, however it ends, so a crashed game never blocks the channel."""

    def __init__(self) -> None:
        self._sessions: dict[int, tuple[GameSession, asyncio.Task[None]]] = {}

    def start(self, channel_id: int, session: GameSession) -> asyncio.Task[None]:
        """Run ``session`` in the background; raises ``AlreadyRunning`` if the channel has a game."""
        if channel_id in self._sessions:
            raise AlreadyRunning(channel_id)
        task = asyncio.get_running_loop().create_task(self._run(channel_id, session), name=f"trivia-game-{channel_id}")
        self._sessions[channel_id] = (session, task)
        return task

    def get(self, channel_id: int) -> GameSession | None:
        entry = self._sessions.get(channel_id)
        return entry[0] if entry else None

    def running(self) -> int:
        return len(self._sessions)

    def channels(self) -> Sequence[int]:
        return tuple(self._sessions)

    async def stop_all(self) -> None:
        """Stop every game cleanly (scores saved, GameOver rendered) and wait for them; for shutdown."""
        entries = list(self._sessions.values())
        for session, _ in entries:
            await session.stop()
        await asyncio.gather(*(task for _, task in entries), return_exceptions=True)

    async def _run(self, channel_id: int, session: GameSession) -> None:
        try:
            await session.run()
        except Exception:
            # Nobody awaits this task in the bot, so a crash is logged here or not at all.
            log.exception("game session in channel %s crashed", channel_id)
        finally:
            entry = self._sessions.get(channel_id)
            if entry is not None and entry[0] is session:
                del self._sessions[channel_id]
