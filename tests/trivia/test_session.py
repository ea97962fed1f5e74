"""The async session runner: ordering of storage and rendering, commands, and the registry.

Time is virtual (``tests.fakes.VirtualTime``): the session's sleep jumps the fake clock, and scripted
players act at chosen virtual times, so whole games run in milliseconds and deterministically.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence

import pytest

from bot.storage.base import PlayerResult, ScoredAnswer
from bot.trivia.game import (
    AnswerLocked,
    AnswerMode,
    CloseReason,
    EndReason,
    Event,
    Game,
    GameOver,
    GameStarted,
    HintGiven,
    Player,
    QuestionAsked,
    QuestionClosed,
    RoundSettings,
)
from bot.trivia.model import Question
from bot.trivia.session import AlreadyRunning, GameSession, SessionRegistry, Sleep, StorageFailed
from tests.fakes import FakeStore, VirtualTime

ALICE = Player(1, "Alice")
BOB = Player(2, "Bob")
GUILD, CHANNEL = 10, 20
WALL_START = 1_700_000_000.0


def exact_matcher(guess: str, accepted: Sequence[str], wrong: Sequence[str] = ()) -> bool:
    return guess.strip().casefold() in {answer.casefold() for answer in accepted}


def make_question(number: int) -> Question:
    return Question(
        id=f"q{number}",
        prompt=f"Question {number}?",
        answers=(f"Right {number}",),
        choices=(f"Wrong {number}a", f"Right {number}", f"Wrong {number}b", f"Wrong {number}c"),
    )


class Table:
    """One game's world: virtual time, a fake store and a front end, all logging to one list so
    tests can assert the order of storage calls and renders."""

    def __init__(self, mode: AnswerMode = AnswerMode.TEXT, questions: int = 3, **settings: object) -> None:
        self.time = VirtualTime()
        self.log: list[tuple] = []
        self.store = FakeStore(log=self.log)
        self.rendered: list[Event] = []
        self.rendered_at: list[float] = []
        self.script: dict[int, list[tuple[float, Player, str]]] = {}
        settings.setdefault("seconds", 20)
        settings.setdefault("pause_seconds", 4)
        settings.setdefault("hints", False)
        self.game = Game(
            [make_question(n) for n in range(1, questions + 1)],
            RoundSettings(questions=questions, mode=mode, **settings),  # type: ignore[arg-type]
            self.time.clock,
            matcher=exact_matcher,
            rng=random.Random(3),
        )
        self.session = self.make_session(self.game)

    def make_session(
        self,
        game: Game,
        channel_id: int = CHANNEL,
        sleep: Sleep | None = None,
        asked_before: frozenset[str] | None = None,
        render: Callable[[Event], Awaitable[None]] | None = None,
    ) -> GameSession:
        return GameSession(
            game,
            self.store,
            guild_id=GUILD,
            channel_id=channel_id,
            pack_id="pack",
            render=render or self.render,
            sleep=sleep or self.time.sleep,
            wall_clock=lambda: WALL_START + self.time.clock.now,
            asked_before=asked_before,
        )

    def answers(self, number: int, *moves: tuple[float, Player, str]) -> None:
        """When question ``number`` is asked, each player answers ``text`` ``delay`` seconds later."""
        self.script[number] = list(moves)

    async def render(self, event: Event) -> None:
        self.log.append(("render", type(event).__name__))
        self.rendered.append(event)
        self.rendered_at.append(self.time.clock.now)
        if isinstance(event, QuestionAsked):
            for delay, player, text in self.script.get(event.number, []):
                self.time.after(delay, lambda p=player, t=text: self.session.submit(p, t))

    def of(self, kind: type) -> list:
        return [event for event in self.rendered if isinstance(event, kind)]

    def calls(self, method: str) -> list[tuple]:
        return [entry for entry in self.log if entry[0] == method]


def assert_stored_before_announced(log: list[tuple]) -> None:
    """Every QuestionClosed render follows its record_answers (when it had answers) and GameOver
    follows finish_game: the log is read as a sequence of 'store, then show' pairs."""
    pending_records = 0
    finished = False
    for entry in log:
        if entry[0] == "record_answers":
            pending_records += 1
        elif entry == ("render", "QuestionClosed"):
            pending_records = max(0, pending_records - 1)
        elif entry[0] == "finish_game":
            finished = True
        elif entry == ("render", "GameOver"):
            assert finished, "GameOver was rendered before finish_game"
    assert pending_records == 0


async def test_text_game_scripted_players_store_before_announcing() -> None:
    table = Table(AnswerMode.TEXT, questions=3)
    table.answers(1, (2, BOB, "nope"), (3, ALICE, "right 1"), (4, BOB, "Right 1"))
    table.answers(2, (5, BOB, "Right 2"))
    await table.session.run()

    closes = table.of(QuestionClosed)
    assert [c.reason for c in closes] == [CloseReason.ANSWERED, CloseReason.ANSWERED, CloseReason.TIMEOUT]
    assert [tuple(s.player for s in c.answers) for c in closes] == [(ALICE,), (BOB,), ()]

    # The store saw the game start, both scoring answers with the misses that end streaks, then the
    # end; each before its render.
    start = WALL_START + 1_000.0
    assert table.calls("start_game") == [("start_game", GUILD, CHANNEL, "pack", "text", start)]
    assert [call[3:] for call in table.calls("record_answers")] == [
        ((ScoredAnswer(ALICE.id, "Alice", "q1", True, 10, start + 3),), (BOB.id,)),  # Bob guessed wrong
        ((ScoredAnswer(BOB.id, "Bob", "q2", True, 10, start + 3 + 4 + 5),), (ALICE.id,)),  # Alice let it pass
        ((), (ALICE.id, BOB.id)),  # nobody answered question 3
    ]
    assert table.log.index(("render", "QuestionClosed")) == table.log.index(table.calls("record_answers")[0]) + 1
    assert_stored_before_announced(table.log)
    (finish,) = table.calls("finish_game")
    assert finish[4] == (
        PlayerResult(ALICE.id, "Alice", 10, 1, True),
        PlayerResult(BOB.id, "Bob", 10, 1, True),
    )
    assert finish[5] is False
    assert table.log[-1] == ("render", "GameOver") and table.log.index(finish) < len(table.log) - 1
    over = table.rendered[-1]
    assert isinstance(over, GameOver) and over.reason is EndReason.FINISHED and over.winners == (ALICE, BOB)
    assert isinstance(table.rendered[0], GameStarted)
    # Question 3 timed out after 20s; question 2 was asked after question 1's 4-second pause.
    asked_at = [at for at, e in zip(table.rendered_at, table.rendered, strict=True) if isinstance(e, QuestionAsked)]
    assert [round(at - asked_at[0], 6) for at in asked_at] == [0, 7, 16]


async def test_choices_game_scores_at_close_stores_wrong_answers_and_closes_early() -> None:
    table = Table(AnswerMode.CHOICES, questions=2, seconds=20, base_points=10)
    table.session.join(ALICE)
    table.session.join(BOB)
    table.answers(1, (0, ALICE, "B"), (10, BOB, "Right 1"))
    table.answers(2, (2, ALICE, "A"))  # Bob never answers: closes at the deadline
    await table.session.run()

    locked = table.of(AnswerLocked)
    assert [(e.player, e.choice) for e in locked] == [(ALICE, "Right 1"), (BOB, "Right 1"), (ALICE, "Wrong 2a")]
    first, second = table.of(QuestionClosed)
    assert first.reason is CloseReason.EVERYONE_ANSWERED
    assert [(s.player, s.points) for s in first.answers] == [(ALICE, 10), (BOB, 8)]
    assert second.reason is CloseReason.TIMEOUT
    assert [(s.player, s.correct, s.points) for s in second.answers] == [(ALICE, False, 0)]
    stored = [answer for call in table.calls("record_answers") for answer in call[3]]
    assert [(a.user_id, a.question_id, a.correct, a.points) for a in stored] == [
        (1, "q1", True, 10),
        (2, "q1", True, 8),
        (1, "q2", False, 0),
    ]
    assert_stored_before_announced(table.log)
    over = table.rendered[-1]
    assert isinstance(over, GameOver) and over.winners == (ALICE,)
    assert table.calls("finish_game")[0][4][0] == PlayerResult(1, "Alice", 10, 1, True)


async def test_submit_returns_the_events_it_caused() -> None:
    table = Table(AnswerMode.CHOICES, questions=1)
    table.session.join(ALICE)
    table.session.join(BOB)
    results: list[list[Event]] = []

    async def alice_answers_twice() -> None:
        results.append(await table.session.submit(ALICE, "A"))
        results.append(await table.session.submit(ALICE, "B"))

    table.time.after(1, alice_answers_twice)
    await table.session.run()
    assert [type(e).__name__ for batch in results for e in batch] == ["AnswerLocked", "AnswerRejected"]


@pytest.mark.parametrize(
    ("pause", "expected"),
    [
        (0, [["QuestionClosed", "QuestionAsked"], ["QuestionClosed", "GameOver"]]),
        (4, [["QuestionClosed"], ["QuestionClosed", "GameOver"]]),
    ],
)
async def test_an_answer_with_no_pause_after_it_asks_the_next_question_itself(
    pause: float, expected: list[list[str]]
) -> None:
    """With no pause due, the answer that closes a question asks the next one in the same call,
    without a round trip through the run loop; with a pause it leaves that to the loop."""
    table = Table(AnswerMode.TEXT, questions=2, pause_seconds=pause)
    results: list[list[Event]] = []

    async def answer_right(number: int) -> None:
        results.append(await table.session.submit(ALICE, f"Right {number}"))

    table.session._render = _also_on_asked(table.render, answer_right)
    await table.session.run()
    assert [[type(event).__name__ for event in batch] for batch in results] == expected
    assert [event.number for event in table.of(QuestionAsked)] == [1, 2]
    assert_stored_before_announced(table.log)


def _also_on_asked(render, act):  # type: ignore[no-untyped-def]
    async def rendering(event: Event) -> None:
        await render(event)
        if isinstance(event, QuestionAsked):
            await act(event.number)

    return rendering


async def test_hints_are_rendered_at_half_time() -> None:
    table = Table(AnswerMode.TEXT, questions=1, seconds=20, hints=True)
    await table.session.run()
    (hint,) = table.of(HintGiven)
    index = table.rendered.index(hint)
    assert table.rendered_at[index] - table.rendered_at[1] == 10


async def test_stop_via_the_session_ends_the_game_as_stopped() -> None:
    table = Table(AnswerMode.TEXT, questions=3)
    table.answers(1, (1, ALICE, "Right 1"))
    table.answers(2, (5, BOB, "Right 2"))
    table.time.at(table.time.clock.now + 1 + 4 + 2, table.session.stop)  # two seconds into question 2
    await table.session.run()

    closes = table.of(QuestionClosed)
    assert [(c.number, c.reason) for c in closes] == [(1, CloseReason.ANSWERED), (2, CloseReason.STOPPED)]
    over = table.rendered[-1]
    assert isinstance(over, GameOver) and over.reason is EndReason.STOPPED and over.winners == (ALICE,)
    (finish,) = table.calls("finish_game")
    assert finish[5] is True and finish[4] == (PlayerResult(1, "Alice", 10, 1, True),)
    assert len(table.calls("record_answers")) == 1  # Bob's scripted answer never happened
    assert table.session.is_over and await table.session.stop() == []


async def test_skip_via_the_session_reveals_then_moves_on_and_skips_the_pause() -> None:
    table = Table(AnswerMode.TEXT, questions=2, pause_seconds=4)
    start = table.time.clock.now
    table.time.at(start + 1, table.session.skip)  # closes question 1
    table.time.at(start + 2, table.session.skip)  # cuts the pause short
    table.answers(2, (1, ALICE, "Right 2"))
    await table.session.run()

    first, second = table.of(QuestionClosed)
    assert (first.reason, first.answers) == (CloseReason.SKIPPED, ())
    assert second.reason is CloseReason.ANSWERED
    asked = [at for at, e in zip(table.rendered_at, table.rendered, strict=True) if isinstance(e, QuestionAsked)]
    assert asked == [start, start + 2]
    assert table.calls("record_answers")[0][3][0].question_id == "q2"


async def test_the_loop_waits_by_deadlines_not_by_polling() -> None:
    table = Table(AnswerMode.TEXT, questions=3, seconds=20, pause_seconds=4)
    await table.session.run()
    # Three questions timing out, two pauses: one sleep each, each for the whole interval.
    assert table.time.sleeps == [20, 4, 20, 4, 20]


async def test_a_stop_wakes_a_loop_sleeping_in_real_time() -> None:
    store = FakeStore()
    rendered: list[Event] = []

    async def render(event: Event) -> None:
        rendered.append(event)

    game = Game([make_question(1)], RoundSettings(seconds=300), time.monotonic, matcher=exact_matcher)
    session = GameSession(game, store, guild_id=GUILD, channel_id=CHANNEL, pack_id="pack", render=render)
    task = asyncio.create_task(session.run())
    while not any(isinstance(e, QuestionAsked) for e in rendered):
        await asyncio.sleep(0)
    await session.stop()
    await asyncio.wait_for(task, timeout=2)
    assert isinstance(rendered[-1], GameOver) and rendered[-1].reason is EndReason.STOPPED


async def test_stop_before_run_means_run_does_nothing() -> None:
    table = Table()
    await table.session.stop()
    await table.session.run()
    assert [type(e) for e in table.rendered] == [GameOver]
    assert table.calls("start_game") == [] and table.calls("finish_game") == []
    with pytest.raises(RuntimeError, match="runs only once"):
        await table.session.run()


# -- failures -------------------------------------------------------------------------------------


async def test_failed_recording_is_reported_and_stops_the_game() -> None:
    table = Table(AnswerMode.TEXT, questions=3, pause_seconds=0)
    table.store.fail.add("record_answers")
    table.answers(1, (1, ALICE, "Right 1"))
    await table.session.run()

    kinds = [type(e).__name__ for e in table.rendered]
    # The failure takes the place of the close: the answer is revealed, nobody is shown as scored.
    assert kinds == ["GameStarted", "QuestionAsked", "StorageFailed", "GameOver"]
    failure = table.of(StorageFailed)[0]
    assert failure.operation == "record_answers" and "RuntimeError" in failure.detail
    assert failure.question is not None and failure.question.number == 1
    over = table.rendered[-1]
    assert over.reason is EndReason.STOPPED
    (finish,) = table.calls("finish_game")
    assert finish[5] is True


async def test_failed_start_is_reported_and_the_game_never_starts() -> None:
    table = Table()
    table.store.fail.add("start_game")
    await table.session.run()
    assert [type(e) for e in table.rendered] == [StorageFailed]
    assert table.session.is_over and table.calls("finish_game") == []
    assert (await table.session.submit(ALICE, "Right 1")) == []  # text mode: just chat now


async def test_failed_finish_is_reported_and_game_over_still_shown() -> None:
    table = Table(questions=1)
    table.store.fail.add("finish_game")
    await table.session.run()
    assert [type(e).__name__ for e in table.rendered][-2:] == ["StorageFailed", "GameOver"]


async def test_a_failing_render_does_not_end_the_game() -> None:
    table = Table(AnswerMode.TEXT, questions=2)
    original = table.render

    async def flaky(event: Event) -> None:
        await original(event)
        if isinstance(event, QuestionAsked):
            raise ConnectionError("Discord hiccup")

    table.session._render = flaky
    table.answers(2, (1, ALICE, "Right 2"))
    await table.session.run()
    assert isinstance(table.rendered[-1], GameOver) and table.rendered[-1].winners == (ALICE,)


# -- registry -------------------------------------------------------------------------------------


async def test_registry_allows_one_session_per_channel_and_frees_it_when_done() -> None:
    registry = SessionRegistry()
    table = Table(AnswerMode.TEXT, questions=1)
    # The other channel's game waits for ever, so it is still running when this one ends.
    other = table.make_session(Game([make_question(1)], RoundSettings(), table.time.clock), 99, sleep=_never)

    task = registry.start(CHANNEL, table.session)
    registry.start(99, other)
    assert registry.running() == 2 and registry.get(CHANNEL) is table.session
    with pytest.raises(AlreadyRunning) as raised:
        registry.start(CHANNEL, table.make_session(Game([make_question(2)], RoundSettings(), table.time.clock)))
    assert raised.value.channel_id == CHANNEL

    await task
    assert registry.get(CHANNEL) is None and registry.running() == 1
    registry.start(CHANNEL, table.make_session(Game([make_question(3)], RoundSettings(), table.time.clock)))
    assert registry.running() == 2
    await registry.stop_all()
    assert registry.running() == 0


async def test_registry_frees_the_channel_when_a_session_crashes() -> None:
    registry = SessionRegistry()
    table = Table()

    table.session._publish = None  # type: ignore[assignment]  # any bug inside run()
    task = registry.start(CHANNEL, table.session)
    await task  # the crash is logged, not raised out of the task
    assert registry.get(CHANNEL) is None and registry.running() == 0


async def test_registry_stop_all_finishes_every_game_cleanly() -> None:
    registry = SessionRegistry()
    table = Table(AnswerMode.TEXT, questions=3, seconds=300)
    table.session = table.make_session(table.game, sleep=_never)  # would wait for ever without the stop
    registry.start(CHANNEL, table.session)
    while not table.of(QuestionAsked):
        await asyncio.sleep(0)
    await registry.stop_all()
    assert registry.running() == 0
    assert table.calls("finish_game")[0][5] is True and isinstance(table.rendered[-1], GameOver)


async def _never(delay: float) -> None:
    await asyncio.Event().wait()


# -- reliability: nothing unsaved is shown as scored ------------------------------------------------


def shown_as_scored(rendered: list[Event]) -> set[tuple[int, int]]:
    """(player id, question number) of every score a front end was asked to announce."""
    closes = [event for event in rendered if isinstance(event, QuestionClosed)]
    return {(score.player.id, event.number) for event in closes for score in event.scorers}


@pytest.mark.reliability
async def test_a_question_whose_answers_were_not_saved_is_not_shown_as_scored() -> None:
    table = Table(AnswerMode.TEXT, questions=3, pause_seconds=1)
    table.answers(1, (1, ALICE, "Right 1"))
    table.answers(2, (1, BOB, "Right 2"))
    original = table.render

    async def break_storage_at_question_2(event: Event) -> None:
        await original(event)
        if isinstance(event, QuestionAsked) and event.number == 2:
            table.store.fail.add("record_answers")

    table.session._render = break_storage_at_question_2
    await table.session.run()

    assert shown_as_scored(table.rendered) == {(ALICE.id, 1)}  # never "Bob +10"
    (failure,) = table.of(StorageFailed)
    assert failure.operation == "record_answers" and failure.question is not None
    assert failure.question.number == 2 and failure.question.answer == "Right 2"  # still revealed
    over = table.rendered[-1]
    assert isinstance(over, GameOver) and over.not_counted == 2
    # The standings shown are the stored ones: Bob's unsaved 10 points would have tied him first.
    assert [(s.rank, s.player, s.points, s.correct) for s in over.standings] == [(1, ALICE, 10, 1), (2, BOB, 0, 0)]
    assert over.winners == (ALICE,)
    # The game and the win are counted on the stored totals, not on the game's.
    (finish,) = table.calls("finish_game")
    assert finish[4] == (PlayerResult(ALICE.id, "Alice", 10, 1, True), PlayerResult(BOB.id, "Bob", 0, 0, False))
    stored = {user_id: totals for (_, user_id), totals in table.store.totals.items()}
    assert (stored[ALICE.id].points, stored[ALICE.id].wins) == (10, 1)
    assert (stored[BOB.id].points, stored[BOB.id].wins, stored[BOB.id].games) == (0, 0, 1)


@pytest.mark.reliability
async def test_points_that_reached_the_target_but_were_not_saved_win_nothing() -> None:
    table = Table(AnswerMode.TEXT, questions=3, points_to_win=10)
    table.store.fail.add("record_answers")
    table.answers(1, (1, BOB, "Right 1"))
    await table.session.run()

    assert shown_as_scored(table.rendered) == set()
    over = table.rendered[-1]
    assert isinstance(over, GameOver) and over.not_counted == 1
    assert over.reason is EndReason.STOPPED and over.winners == ()  # not "We have a winner!"
    assert [(s.player, s.points) for s in over.standings] == [(BOB, 0)]
    assert table.calls("finish_game")[0][4] == (PlayerResult(BOB.id, "Bob", 0, 0, False),)


@pytest.mark.reliability
async def test_sqlite_write_lock_held_by_another_connection_shows_only_stored_scores(tmp_path) -> None:
    """The fault as it happens: another process holds SQLite's write lock past busy_timeout."""
    import sqlite3

    from bot.storage.sqlite import SqliteStore

    path = tmp_path / "scores.sqlite3"
    table = Table(AnswerMode.TEXT, questions=3, pause_seconds=1)
    intruder = sqlite3.connect(path, isolation_level=None, timeout=0)
    async with SqliteStore(path, busy_timeout_ms=100) as store:
        table.session = GameSession(
            table.game,
            store,
            guild_id=GUILD,
            channel_id=CHANNEL,
            pack_id="pack",
            render=table.render,
            sleep=table.time.sleep,
            wall_clock=lambda: WALL_START + table.time.clock.now,
        )
        table.answers(1, (1, ALICE, "Right 1"))
        table.answers(2, (1, BOB, "Right 2"))
        original = table.render

        async def lock_the_database_at_question_2(event: Event) -> None:
            await original(event)
            if isinstance(event, QuestionAsked) and event.number == 2:
                intruder.execute("BEGIN IMMEDIATE")

        table.session._render = lock_the_database_at_question_2
        try:
            await table.session.run()
        finally:
            intruder.execute("ROLLBACK")
        over = table.rendered[-1]
        assert isinstance(over, GameOver) and over.not_counted == 2
        assert shown_as_scored(table.rendered) == {(ALICE.id, 1)}
        (failure,) = table.of(StorageFailed)  # one message: the failed finish is not announced twice
        assert "locked" in failure.detail
        shown = {s.player.id: s.points for s in over.standings}
        assert shown == {ALICE.id: 10, BOB.id: 0}
        # What was shown is what is stored.
        for player_id, points in shown.items():
            stats = await store.player_stats(GUILD, player_id)
            assert (stats.points if stats else 0) == points
    intruder.close()


@pytest.mark.reliability
async def test_a_press_on_a_question_that_closed_while_it_waited_is_refused_not_moved() -> None:
    """A press for question 1 that queued behind two skips must not count for question 2."""
    table = Table(AnswerMode.CHOICES, questions=3, seconds=20)
    table.session.join(ALICE)
    table.session.join(BOB)
    press: list[list[Event]] = []

    async def skip_skip_then_the_late_press() -> None:
        # Queued in this order on the session's lock, as Discord delivers them.
        skips = [asyncio.create_task(table.session.skip()), asyncio.create_task(table.session.skip())]
        late = asyncio.create_task(table.session.submit(ALICE, "Right 1", question=1))
        await asyncio.gather(*skips)
        press.append(await late)

    table.time.after(1, skip_skip_then_the_late_press)
    table.time.after(2, table.session.stop)
    await table.session.run()

    assert [type(event).__name__ for event in press[0]] == ["AnswerRejected"]
    assert press[0][0].reason == "no question open"
    assert not table.of(AnswerLocked)
    assert table.calls("record_answers") == []  # nothing stored against question 2 (or 1)
    asked = table.of(QuestionAsked)
    assert [event.number for event in asked] == [1, 2]


@pytest.mark.reliability
async def test_a_render_stuck_on_discord_holds_up_no_answer() -> None:
    """Rendering runs outside the game's lock: while a send hangs, answers are still taken, scored
    and stored, and the caller gets its events at once; the messages follow, in order, once it
    is unstuck."""
    table = Table(AnswerMode.TEXT, questions=2)
    unstuck = asyncio.Event()
    original = table.render

    async def hangs_on_the_first_question(event: Event) -> None:
        await original(event)
        if isinstance(event, QuestionAsked) and event.number == 1:
            await unstuck.wait()

    table.session._render = hangs_on_the_first_question
    answered: list[list[Event]] = []

    async def alice_answers() -> None:
        answered.append(await table.session.submit(ALICE, "Right 1"))
        unstuck.set()

    table.time.after(1, alice_answers)
    await asyncio.wait_for(table.session.run(), timeout=5)  # a render under the lock would deadlock

    assert [type(event).__name__ for event in answered[0]] == ["QuestionClosed"]
    assert table.log.index(table.calls("record_answers")[0]) < table.log.index(("render", "QuestionClosed"))
    kinds = [type(event).__name__ for event in table.rendered]
    assert kinds == ["GameStarted", "QuestionAsked", "QuestionClosed", "QuestionAsked", "QuestionClosed", "GameOver"]


async def test_a_busy_text_game_starts_no_task_per_answer() -> None:
    """Real time, real sleep: answering twenty questions as fast as they are asked starts the same
    few session tasks (an alarm, a courier) as answering one would, not some for every answer."""
    asked = asyncio.Event()

    async def render(event: Event) -> None:
        if isinstance(event, QuestionAsked | GameOver):
            asked.set()

    settings = RoundSettings(questions=20, seconds=300, mode=AnswerMode.TEXT, hints=False, pause_seconds=0)
    game = Game([make_question(n) for n in range(1, 21)], settings, time.monotonic, matcher=exact_matcher)
    session = GameSession(game, FakeStore(), guild_id=GUILD, channel_id=CHANNEL, pack_id="p", render=render)
    loop = asyncio.get_running_loop()
    created: list[asyncio.Task] = []

    def recording_factory(loop: asyncio.AbstractEventLoop, coro, **kwargs) -> asyncio.Task:  # type: ignore[no-untyped-def]
        task = asyncio.Task(coro, loop=loop, **kwargs)
        created.append(task)
        return task

    async def answer_everything() -> None:
        while not session.is_over:
            await asyncio.wait_for(asked.wait(), 5)
            asked.clear()
            if (question := game.current) is not None:
                await session.submit(ALICE, question.answer)

    previous = loop.get_task_factory()
    loop.set_task_factory(recording_factory)
    try:
        runner = asyncio.ensure_future(session.run())
        await asyncio.gather(answer_everything(), runner)
    finally:
        loop.set_task_factory(previous)
    assert [(standing.player, standing.correct) for standing in game.standings()] == [(ALICE, 20)]
    session_tasks = [task.get_name() for task in created if task.get_name().startswith("trivia-")]
    assert len(session_tasks) <= 3, session_tasks


async def test_a_finished_game_is_freed_without_the_cycle_collector() -> None:
    """A game that ended leaves no reference cycle behind, so reference counting frees its session,
    game and players at once. A cycle (the cancelled alarm's error holding its frame, which holds the
    session, which held the alarm) kept every finished game for the next full collection, which then
    paused the event loop to free them all: 41 objects a game, 120 ms for 1,000 games."""

    async def render(event: Event) -> None:
        pass

    settings = RoundSettings(questions=2, seconds=300, mode=AnswerMode.TEXT, hints=False, pause_seconds=0)
    game = Game([make_question(n) for n in range(1, 3)], settings, time.monotonic, matcher=exact_matcher)
    session = GameSession(game, FakeStore(), guild_id=GUILD, channel_id=CHANNEL, pack_id="p", render=render)
    gc.collect()
    gc.disable()  # only reference counting may free the game
    try:
        runner = asyncio.ensure_future(session.run())
        for _ in range(2):
            while game.current is None:
                await asyncio.sleep(0)
            await session.submit(ALICE, game.current.answer)
        await runner
        for _ in range(3):  # the alarm's cancellation is delivered on the loop's next passes
            await asyncio.sleep(0)
        freed = [weakref.ref(session), weakref.ref(game)]
        del session, game, runner
        assert [ref() for ref in freed] == [None, None]
    finally:
        gc.enable()


async def test_a_press_while_the_final_standings_are_being_sent_does_not_keep_the_game_running() -> None:
    """A late press lands while GameOver is still being rendered: run() still ends (so the channel is
    free for the next game) instead of waiting for ever on the refusal queued behind the standings."""
    table = Table(AnswerMode.TEXT, questions=1)
    sending_standings = asyncio.Event()
    standings_sent = asyncio.Event()
    original = table.render

    async def slow_standings(event: Event) -> None:
        await original(event)
        if isinstance(event, GameOver):
            sending_standings.set()
            await standings_sent.wait()

    table.session._render = slow_standings

    async def late_press() -> None:
        await sending_standings.wait()
        await table.session.submit(BOB, "Right 1", question=1)  # a button press: refused, the game is over
        standings_sent.set()

    table.answers(1, (1, ALICE, "Right 1"))
    pressing = asyncio.create_task(late_press())
    await asyncio.wait_for(table.session.run(), timeout=5)
    await pressing
    assert any(isinstance(event, GameOver) for event in table.rendered)


def keeping_history(
    table: Table, history: frozenset[str], render: Callable[[Event], Awaitable[None]] | None = None
) -> Table:
    """The table's game as a front end plays it: with the server's no-repeat history of the pack."""
    table.store.asked[(GUILD, "pack")] = set(history)
    table.session = table.make_session(table.game, asked_before=history, render=render)
    return table


async def test_each_question_joins_the_history_as_it_is_asked_so_a_stopped_game_keeps_them() -> None:
    table = keeping_history(Table(AnswerMode.TEXT, questions=3), frozenset({"old"}))
    table.time.at(table.time.clock.now + 20 + 4 + 2, table.session.stop)  # two seconds into question 2
    await table.session.run()

    assert table.store.asked[(GUILD, "pack")] == {"old", "q1", "q2"}
    records = table.calls("record_asked")
    assert [(call[3], call[5]) for call in records] == [(("q1",), False), (("q2",), False)]
    # Remembered before it is shown: a crash in between cannot show a question the history lacks.
    asked_renders = [i for i, entry in enumerate(table.log) if entry == ("render", "QuestionAsked")]
    recorded_at = [table.log.index(call) for call in records]
    assert all(stored < shown for stored, shown in zip(recorded_at, asked_renders, strict=True))


async def test_a_game_that_dies_midway_has_still_recorded_the_questions_it_asked() -> None:
    table = Table(AnswerMode.TEXT, questions=3)

    async def render_then_die(event: Event) -> None:
        await table.render(event)
        if isinstance(event, QuestionAsked) and event.number == 2:
            runner.cancel()  # the process dies while question 2 is up: no GameOver, no standings

    keeping_history(table, frozenset(), render=render_then_die)
    runner = asyncio.ensure_future(table.session.run())
    with pytest.raises(asyncio.CancelledError):
        await runner

    assert table.store.asked[(GUILD, "pack")] == {"q1", "q2"}
    assert table.calls("finish_game") == []


async def test_a_round_that_repeats_questions_starts_the_history_over_with_the_whole_round() -> None:
    # The pack is used up: q2 and q3 were asked before, so they come last and the history starts over.
    table = keeping_history(Table(AnswerMode.TEXT, questions=3), frozenset({"q2", "q3", "gone"}))
    await table.session.run()

    assert table.store.asked[(GUILD, "pack")] == {"q1", "q2", "q3"}
    records = [(call[3], call[5]) for call in table.calls("record_asked")]
    assert records == [(("q1",), False), (("q1", "q2"), True), (("q3",), False)]


async def test_a_history_that_cannot_be_saved_does_not_stop_the_game() -> None:
    table = keeping_history(Table(AnswerMode.TEXT, questions=2, pause_seconds=0), frozenset())
    table.store.fail.add("record_asked")
    table.answers(1, (1, ALICE, "Right 1"))
    await table.session.run()

    assert len(table.of(QuestionAsked)) == 2
    over = table.rendered[-1]
    assert isinstance(over, GameOver) and over.reason is EndReason.FINISHED
    assert table.of(StorageFailed) == []


async def test_a_session_given_no_history_records_none() -> None:
    table = Table(AnswerMode.TEXT, questions=2, pause_seconds=0)
    await table.session.run()
    assert table.calls("record_asked") == []
