"""Rules of the pure game engine, driven by a hand-moved clock (nothing here sleeps)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.trivia.game import (
    AnswerLocked,
    AnswerMode,
    AnswerRejected,
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
    RejectReason,
    RoundSettings,
    Standing,
    WrongAnswer,
    default_matcher,
    text_hint,
)
from bot.trivia.model import Question
from tests.fakes import FakeClock

ALICE = Player(1, "Alice")
BOB = Player(2, "Bob")
CAROL = Player(3, "Carol")


def exact_matcher(guess: str, accepted: Sequence[str], wrong: Sequence[str] = ()) -> bool:
    return guess.strip().casefold() in {answer.casefold() for answer in accepted}


def make_question(number: int) -> Question:
    return Question(
        id=f"q{number}",
        prompt=f"Question {number}?",
        answers=(f"Right {number}", f"R{number}"),
        choices=(f"Wrong {number}a", f"Right {number}", f"Wrong {number}b", f"Wrong {number}c"),
        pack_id="test",
    )


def make_game(
    mode: AnswerMode = AnswerMode.CHOICES,
    *,
    clock: FakeClock | None = None,
    questions: Sequence[Question] | None = None,
    **settings: object,
) -> tuple[Game, FakeClock]:
    clock = clock or FakeClock()
    settings.setdefault("questions", 5)
    settings.setdefault("hints", False)
    game = Game(
        questions if questions is not None else [make_question(n) for n in range(1, 11)],
        RoundSettings(mode=mode, **settings),  # type: ignore[arg-type]
        clock,
        matcher=exact_matcher,
        rng=random.Random(7),
    )
    return game, clock


def only(events: list[Event], kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]


def closed(events: list[Event]) -> QuestionClosed:
    (event,) = only(events, QuestionClosed)
    return event


def game_over(events: list[Event]) -> GameOver:
    (event,) = only(events, GameOver)
    return event


def points(game: Game) -> dict[str, int]:
    return {standing.player.name: standing.points for standing in game.standings()}


# -- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seconds", 2, "seconds must be between 5 and 300, got 2"),
        ("seconds", 301, "seconds must be between 5 and 300, got 301"),
        ("seconds", float("nan"), "seconds must be between 5 and 300"),
        ("questions", 0, "questions must be between 1 and 50, got 0"),
        ("questions", 51, "questions must be between 1 and 50, got 51"),
        ("questions", 2.5, "questions must be a whole number between 1 and 50, got 2.5"),
        ("questions", True, "questions must be a whole number"),
        ("points_to_win", 0, "points_to_win must be between 1 and 10000, got 0"),
        ("base_points", 0, "base_points must be between 1 and 1000, got 0"),
        ("pause_seconds", -1, "pause_seconds must be between 0 and 60, got -1"),
        ("max_idle_questions", 0, "max_idle_questions must be between 1 and 50, got 0"),
        ("mode", "essay", "mode must be one of choices, text, got 'essay'"),
        ("hints", "yes", "hints must be true or false"),
    ],
)
def test_invalid_settings_name_the_field_and_range(field: str, value: object, message: str) -> None:
    settings = RoundSettings(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        settings.validated()
    with pytest.raises(ValueError):
        Game([make_question(1)], settings, FakeClock())


def test_valid_settings_pass_and_mode_text_becomes_the_enum() -> None:
    settings = RoundSettings(mode="text", seconds=5, questions=50, points_to_win=None).validated()  # type: ignore[arg-type]
    assert settings.mode is AnswerMode.TEXT
    assert RoundSettings().validated() == RoundSettings()


def test_a_game_needs_questions_and_plays_at_most_the_configured_number() -> None:
    with pytest.raises(ValueError, match="at least one question"):
        Game([], RoundSettings(), FakeClock())
    game, _ = make_game(questions=[make_question(n) for n in range(1, 9)])
    assert game.total_questions == 5
    game, _ = make_game(questions=[make_question(1), make_question(2)])
    assert game.total_questions == 2


def test_the_default_matcher_is_the_answers_module() -> None:
    game = Game([make_question(1)], RoundSettings(), FakeClock())
    assert game._matcher is default_matcher
    pytest.importorskip("bot.trivia.answers")
    assert default_matcher("right 1", ("Right 1",), ("Wrong 1a",))
    assert not default_matcher("Wrong 1a", ("Right 1",), ("Wrong 1a",))


# -- start and time -------------------------------------------------------------------------------


def test_start_announces_the_game_and_asks_the_first_question() -> None:
    game, clock = make_game(seconds=20)
    events = game.start()
    assert isinstance(events[0], GameStarted) and events[0].total_questions == 5
    asked = events[1]
    assert isinstance(asked, QuestionAsked)
    assert (asked.number, asked.total, asked.question.id) == (1, 5, "q1")
    assert asked.mode is AnswerMode.CHOICES and asked.choices == make_question(1).choices
    assert (asked.deadline, asked.ends_in) == (clock.now + 20, 20)
    assert game.current is asked.question and game.next_deadline() == clock.now + 20
    assert game.start() == []  # starting twice does nothing


def test_nothing_happens_before_the_start() -> None:
    game, _ = make_game()
    assert game.next_deadline() is None and game.current is None and not game.is_started
    assert game.tick() == [] and game.skip() == []
    assert only(game.answer(ALICE, "A"), AnswerRejected)[0].reason is RejectReason.NO_QUESTION_OPEN


def test_timeout_reveals_then_pauses_then_asks_the_next_question() -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=10, pause_seconds=4)
    game.start()
    assert game.tick(clock.advance(9.9)) == []
    events = game.tick(clock.advance(0.1))
    event = closed(events)
    assert (event.reason, event.answer, event.answers, event.next_in) == (CloseReason.TIMEOUT, "Right 1", (), 4)
    assert game.current is None and game.next_deadline() == clock.now + 4
    assert game.tick(clock.advance(3.9)) == []
    (asked,) = game.tick(clock.advance(0.1))
    assert isinstance(asked, QuestionAsked) and asked.number == 2
    assert asked.deadline == clock.now + 10  # the full time counts from when it is asked


def test_a_late_tick_settles_the_question_without_a_stale_hint_and_still_pauses() -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=10, pause_seconds=4, hints=True)
    game.start()
    events = game.tick(clock.advance(60))
    assert [type(e) for e in events] == [QuestionClosed]
    assert game.next_deadline() == clock.now + 4  # the reveal still gets its full pause


def test_zero_pause_asks_the_next_question_on_the_same_tick() -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=10, pause_seconds=0)
    game.start()
    events = game.tick(clock.advance(10))
    assert [type(e) for e in events] == [QuestionClosed, QuestionAsked]


def test_the_last_question_finishes_the_game() -> None:
    game, clock = make_game(AnswerMode.TEXT, questions=[make_question(1), make_question(2)], seconds=10)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    game.tick(clock.advance(4))
    events = game.answer(BOB, "r2", clock.advance(1))
    assert [type(e) for e in events] == [QuestionClosed, GameOver]
    assert closed(events).next_in is None
    over = game_over(events)
    assert over.reason is EndReason.FINISHED and over.questions_asked == 2
    assert game.is_over and game.next_deadline() is None and game.current is None
    assert game.tick(clock.advance(100)) == [] and game.skip() == [] and game.stop() == []


# -- text mode ------------------------------------------------------------------------------------


def test_text_mode_first_correct_answer_scores_and_later_ones_are_ignored() -> None:
    game, clock = make_game(AnswerMode.TEXT, base_points=10)
    game.start()
    wrong = game.answer(BOB, "Wrong 1a", clock.advance(2))
    assert wrong == [WrongAnswer(1, BOB, "Wrong 1a")]
    events = game.answer(ALICE, "right 1", clock.advance(1))
    event = closed(events)
    assert event.reason is CloseReason.ANSWERED
    (score,) = event.answers
    assert (score.player, score.given, score.correct, score.points) == (ALICE, "right 1", True, 10)
    assert score.answered_after == 3 and score.answered_at == clock.now
    assert event.scorers == event.answers
    assert game.answer(BOB, "Right 1", clock.advance(0.1)) == []  # too late: chat, not an answer
    assert points(game) == {"Alice": 10}  # Bob's wrong guess is not stored and does not count him in


def test_text_mode_accepts_aliases_and_ignores_blank_messages() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.start()
    assert game.answer(ALICE, "   ", clock.advance(1)) == []
    assert closed(game.answer(ALICE, "R1", clock.advance(1))).answers[0].points == 10


def test_text_mode_does_not_offer_choices_even_when_the_question_has_them() -> None:
    game, _ = make_game(AnswerMode.TEXT)
    asked = game.start()[1]
    assert asked.mode is AnswerMode.TEXT and asked.choices == ()


def test_choices_game_plays_a_question_without_options_as_text() -> None:
    free_text = Question(id="free", prompt="Name it", answers=("Sampling",))
    game, clock = make_game(questions=[free_text, make_question(2)])
    asked = game.start()[1]
    assert asked.mode is AnswerMode.TEXT and asked.choices == ()
    assert only(game.answer(ALICE, "nope", clock.advance(1)), WrongAnswer)
    assert closed(game.answer(ALICE, "sampling", clock.advance(1))).reason is CloseReason.ANSWERED


def test_overlong_messages_are_echoed_cut_short() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.start()
    (wrong,) = game.answer(ALICE, "x" * 5000, clock.advance(1))
    assert len(wrong.text) == 200


# -- choices mode ---------------------------------------------------------------------------------


def test_choices_each_player_answers_once() -> None:
    game, clock = make_game()
    game.join(ALICE)
    game.join(BOB)
    game.start()
    (locked,) = game.answer(ALICE, "Wrong 1a", clock.advance(1))
    assert locked == AnswerLocked(1, ALICE, "Wrong 1a", answered=1, players=2)
    (again,) = game.answer(ALICE, "Right 1", clock.advance(1))
    assert isinstance(again, AnswerRejected) and again.reason is RejectReason.ALREADY_ANSWERED
    assert again.text == "Right 1"


def test_choices_score_only_at_close_faster_earns_more_and_wrong_earns_nothing() -> None:
    game, clock = make_game(seconds=30, base_points=10)
    for player in (ALICE, BOB, CAROL):
        game.join(player)
    start = clock.now
    game.start()
    game.answer(BOB, "Right 1", start + 15)
    game.answer(CAROL, "Wrong 1b", start + 16)
    assert points(game) == {"Alice": 0, "Bob": 0, "Carol": 0}  # locked in, not yet scored
    assert game.current is not None
    event = closed(game.answer(ALICE, "Right 1", start + 20))
    assert event.reason is CloseReason.EVERYONE_ANSWERED
    assert [(s.player.name, s.correct, s.points) for s in event.answers] == [
        ("Bob", True, 8),  # 10 * (0.5 + 0.5 * 15/30) = 7.5, rounded half up
        ("Carol", False, 0),
        ("Alice", True, 7),  # 10 * (0.5 + 0.5 * 10/30) = 6.67
    ]
    assert [s.player.name for s in event.scorers] == ["Bob", "Alice"]
    assert event.answers[0].answered_after == 15
    assert points(game) == {"Bob": 8, "Alice": 7, "Carol": 0}


@pytest.mark.parametrize(
    ("answered_after", "expected"),
    [(0, 10), (15, 8), (29.99, 5), (30 - 1e-9, 5)],
)
def test_choices_points_run_from_base_to_half(answered_after: float, expected: int) -> None:
    game, clock = make_game(seconds=30, base_points=10)
    game.join(ALICE)
    game.join(BOB)
    start = clock.now
    game.start()
    game.answer(ALICE, "Right 1", start + answered_after)
    event = closed(game.tick(start + 30))
    assert event.reason is CloseReason.TIMEOUT
    assert event.answers[0].points == expected


def test_choices_correct_answer_earns_at_least_one_point() -> None:
    game, clock = make_game(seconds=300, base_points=1)
    game.join(ALICE)
    start = clock.now
    game.start()
    assert closed(game.answer(ALICE, "Right 1", start + 299.9)).answers[0].points == 1


def test_choices_question_waits_for_every_known_player_then_closes_early() -> None:
    game, clock = make_game()
    game.join(ALICE)
    game.join(BOB)
    game.start()
    assert not only(game.answer(ALICE, "Right 1", clock.advance(1)), QuestionClosed)
    assert closed(game.answer(BOB, "Wrong 1a", clock.advance(1))).reason is CloseReason.EVERYONE_ANSWERED
    # Carol shows up on question 2; from then on she is waited for too.
    game.tick(clock.advance(10))
    game.answer(CAROL, "B", clock.advance(1))
    game.answer(ALICE, "B", clock.advance(1))
    assert game.current is not None
    assert closed(game.answer(BOB, "B", clock.advance(1))).reason is CloseReason.EVERYONE_ANSWERED


def test_the_first_answer_of_a_game_does_not_close_the_question_on_everyone_else() -> None:
    game, clock = make_game()
    game.start()
    assert [type(e) for e in game.answer(ALICE, "2", clock.advance(3))] == [AnswerLocked]
    assert [type(e) for e in game.answer(BOB, "1", clock.advance(1))] == [AnswerLocked]
    first = closed(game.tick(clock.advance(30)))
    assert first.reason is CloseReason.TIMEOUT and len(first.answers) == 2
    # From the next question on, both are known, so it closes once both have answered.
    game.tick(clock.advance(10))
    game.answer(ALICE, "A", clock.advance(1))
    assert closed(game.answer(BOB, "B", clock.advance(1))).reason is CloseReason.EVERYONE_ANSWERED


@pytest.mark.parametrize(
    ("typed", "choice"),
    [
        ("Right 1", "Right 1"),
        ("  right   1 ", "Right 1"),
        ("2", "Right 1"),
        ("b", "Right 1"),
        ("B", "Right 1"),
        ("(B)", "Right 1"),
        ("1.", "Wrong 1a"),
        ("D", "Wrong 1c"),
        ("wrong-1A!", "Wrong 1a"),  # the full text in normal form: case and punctuation fold
    ],
)
def test_choice_by_text_number_or_letter(typed: str, choice: str) -> None:
    game, clock = make_game()
    game.start()
    assert game.answer(ALICE, typed, clock.advance(1))[0] == AnswerLocked(1, ALICE, choice, 1, 1)


# "R1" is an alias of the right option: accepting it while refusing "Wrong" would tell them apart.
@pytest.mark.parametrize("typed", ["", "   ", "0", "5", "E", "Z", "Right", "-1", "R1", "Wrong", "x" * 5000])
def test_invalid_choice_is_rejected_and_the_player_may_try_again(typed: str) -> None:
    game, clock = make_game()
    game.start()
    (rejected,) = game.answer(ALICE, typed, clock.advance(1))
    assert isinstance(rejected, AnswerRejected) and rejected.reason is RejectReason.NOT_AN_OPTION
    assert isinstance(game.answer(ALICE, "A", clock.advance(1))[0], AnswerLocked)


def test_an_option_that_looks_like_a_number_is_taken_literally() -> None:
    years = Question(id="y", prompt="When?", answers=("2",), choices=("1", "2", "3"))
    game, clock = make_game(questions=[years])
    game.start()
    assert game.answer(ALICE, "1", clock.advance(1))[0].choice == "1"


# -- hints ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ("Sampling", "S_______ (8 letters)"),
        ("1994", "1___ (4 digits)"),
        ("The Beatles", "T__ _______ (2 words, 10 letters)"),
        ("Jay-Z", "J__-_ (4 letters)"),
        ("Blink-182", "B____-___ (8 characters)"),
        ("AC/DC", "A_/__ (4 letters)"),
        ("X", "_ (1 letter)"),
    ],
)
def test_text_hint_shows_first_letter_and_shape(answer: str, hint: str) -> None:
    assert text_hint(answer) == hint


def test_text_mode_hint_comes_at_half_time_once() -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=20, hints=True)
    start = clock.now
    game.start()
    assert game.next_deadline() == start + 10
    assert game.tick(start + 9.9) == []
    (hint,) = game.tick(start + 10)
    assert hint == HintGiven(1, make_question(1), "R____ _ (2 words, 6 characters)")
    assert game.tick(start + 11) == []
    assert game.next_deadline() == start + 20


def test_choices_hint_rules_out_half_the_wrong_options_but_never_all() -> None:
    game, clock = make_game(seconds=20, hints=True)
    start = clock.now
    game.start()
    (hint,) = game.tick(start + 10)
    assert len(hint.removed_choices) == 2 and "Right 1" in hint.remaining_choices
    assert len(hint.remaining_choices) == 2
    assert set(hint.removed_choices) | set(hint.remaining_choices) == set(make_question(1).choices)
    assert hint.text == "It's one of: " + ", ".join(hint.remaining_choices)


def test_no_hint_when_disabled_when_answered_first_or_when_it_would_give_the_answer_away() -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=20, hints=False)
    game.start()
    assert game.next_deadline() == clock.now + 20
    assert not only(game.tick(clock.advance(15)), HintGiven)

    game, clock = make_game(AnswerMode.TEXT, seconds=20, hints=True)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(5))
    assert not only(game.tick(clock.advance(6)), HintGiven)

    two_options = Question(id="2", prompt="?", answers=("Yes",), choices=("Yes", "No"))
    game, clock = make_game(questions=[two_options], seconds=20, hints=True)
    game.start()
    assert game.next_deadline() == clock.now + 20


# -- skip and stop --------------------------------------------------------------------------------


def test_skip_closes_the_question_unscored_then_pauses() -> None:
    game, clock = make_game(pause_seconds=4)
    game.join(ALICE)
    game.join(BOB)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    event = closed(game.skip(clock.advance(1)))
    assert (event.reason, event.answers, event.answer, event.next_in) == (
        CloseReason.SKIPPED,
        (),
        "Right 1",
        4,
    )
    assert points(game) == {"Alice": 0, "Bob": 0}
    assert game.next_deadline() == clock.now + 4


def test_skip_during_the_pause_asks_the_next_question_now() -> None:
    game, clock = make_game(pause_seconds=4)
    game.start()
    game.skip(clock.advance(1))
    (asked,) = game.skip(clock.advance(1))
    assert isinstance(asked, QuestionAsked) and asked.number == 2
    assert asked.deadline == clock.now + 30


def test_skip_after_an_unticked_deadline_scores_the_question_and_moves_on_once() -> None:
    game, clock = make_game(pause_seconds=4, seconds=10)
    game.join(ALICE)
    game.join(BOB)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    events = game.skip(clock.advance(20))
    assert [type(e) for e in events] == [QuestionClosed, QuestionAsked]
    assert closed(events).reason is CloseReason.TIMEOUT and points(game)["Alice"] > 0
    assert events[1].number == 2


def test_skip_after_the_pause_ran_out_asks_only_one_question() -> None:
    game, clock = make_game(pause_seconds=4)
    game.start()
    game.skip(clock.advance(1))
    events = game.skip(clock.advance(10))
    assert [e.number for e in only(events, QuestionAsked)] == [2]


def test_skipping_the_last_question_finishes_the_game() -> None:
    game, clock = make_game(questions=[make_question(1)])
    game.start()
    assert game_over(game.skip(clock.advance(1))).reason is EndReason.FINISHED


def test_stop_mid_question_closes_unscored_and_ends_with_standings_so_far() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    game.tick(clock.advance(10))
    game.answer(BOB, "nope", clock.advance(1))
    events = game.stop(clock.advance(1))
    assert [type(e) for e in events] == [QuestionClosed, GameOver]
    event = closed(events)
    assert (event.number, event.reason, event.answers, event.next_in) == (2, CloseReason.STOPPED, (), None)
    over = game_over(events)
    assert over.reason is EndReason.STOPPED and over.questions_asked == 2
    assert over.standings == (Standing(1, ALICE, 10, 1),) and over.winners == (ALICE,)
    assert game.stop() == [] and game.is_over


def test_stop_during_the_pause_and_before_the_start() -> None:
    game, clock = make_game()
    game.start()
    game.skip(clock.advance(1))
    assert [type(e) for e in game.stop(clock.advance(1))] == [GameOver]

    game, _ = make_game()
    (over,) = game.stop()
    assert over == GameOver(EndReason.STOPPED, (), (), 0)
    assert game.start() == []


def test_stop_after_an_unticked_deadline_still_scores_locked_answers() -> None:
    game, clock = make_game(seconds=10)
    game.join(ALICE)
    game.join(BOB)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    events = game.stop(clock.advance(30))
    assert closed(events).reason is CloseReason.TIMEOUT
    assert game_over(events).winners == (ALICE,)


# -- ending early ---------------------------------------------------------------------------------


def test_game_ends_after_max_idle_questions_nobody_answered() -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=10, pause_seconds=2, max_idle_questions=3)
    game.start()
    ends = []
    for _ in range(3):
        ends += game.tick(clock.advance(10))
        ends += game.tick(clock.advance(2))
    over = game_over(ends)
    assert over.reason is EndReason.IDLE and over.questions_asked == 3 and over.winners == ()


@pytest.mark.parametrize("activity", ["answer", "wrong guess", "skip"])
def test_any_activity_resets_the_idle_count(activity: str) -> None:
    game, clock = make_game(AnswerMode.TEXT, seconds=10, pause_seconds=0, max_idle_questions=2)
    game.start()
    game.tick(clock.advance(10))  # idle 1
    if activity == "answer":
        game.answer(ALICE, "Right 2", clock.advance(1))
    elif activity == "wrong guess":
        game.answer(ALICE, "no idea", clock.advance(1))
        game.tick(clock.advance(10))
    else:
        game.skip(clock.advance(1))
    if game.current is None:
        game.skip(clock.advance(0))  # past the pause
    game.tick(clock.advance(10))  # idle 1 again
    assert not game.is_over
    assert game_over(game.tick(clock.advance(10))).reason is EndReason.IDLE


def test_points_to_win_ends_the_game_after_that_question_closes() -> None:
    game, clock = make_game(AnswerMode.TEXT, points_to_win=20, base_points=10)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    game.tick(clock.advance(5))
    events = game.answer(ALICE, "Right 2", clock.advance(1))
    assert [type(e) for e in events] == [QuestionClosed, GameOver]
    over = game_over(events)
    assert (over.reason, over.winners, over.questions_asked) == (EndReason.POINTS_REACHED, (ALICE,), 2)


def test_points_to_win_in_choices_mode_counts_everyone_who_reached_it_in_that_question() -> None:
    game, clock = make_game(points_to_win=5, base_points=10)
    game.join(ALICE)
    game.join(BOB)
    start = clock.now
    game.start()
    game.answer(ALICE, "Right 1", start + 1)
    over = game_over(game.answer(BOB, "Right 1", start + 1))
    assert over.reason is EndReason.POINTS_REACHED and over.winners == (ALICE, BOB)


# -- standings ------------------------------------------------------------------------------------


def test_ties_share_rank_and_all_tied_leaders_win() -> None:
    game, clock = make_game(AnswerMode.TEXT, questions=[make_question(n) for n in (1, 2, 3)])
    game.join(CAROL)
    game.start()
    game.answer(BOB, "Right 1", clock.advance(1))
    game.skip(clock.advance(1))
    game.answer(ALICE, "Right 2", clock.advance(1))
    game.skip(clock.advance(1))
    over = game_over(game.skip(clock.advance(1)))
    # Bob reached 10 first, so he is listed first among equals; both win.
    assert over.standings == (Standing(1, BOB, 10, 1), Standing(1, ALICE, 10, 1), Standing(3, CAROL, 0, 0))
    assert over.winners == (BOB, ALICE)


def test_more_correct_answers_break_a_points_tie() -> None:
    game, clock = make_game(seconds=30, base_points=10, questions=[make_question(1), make_question(2)])
    game.join(ALICE)
    game.join(BOB)
    start = clock.now
    game.start()
    game.answer(ALICE, "Right 1", start)  # 10 points, one right
    game.answer(BOB, "Right 1", start + 30 - 1e-6)  # 5 points
    clock.now = start + 40
    game.tick()
    game.answer(ALICE, "Wrong 2a", clock.now)
    over = game_over(game.answer(BOB, "Right 2", clock.now + 30 - 1e-6))  # 5 more points: 10, two right
    assert [(s.rank, s.player, s.points, s.correct) for s in over.standings] == [
        (1, BOB, 10, 2),
        (2, ALICE, 10, 1),
    ]
    assert over.winners == (BOB,)


def test_a_game_nobody_scored_in_has_no_winner() -> None:
    game, clock = make_game(questions=[make_question(1)])
    game.join(ALICE)
    game.start()
    over = game_over(game.answer(ALICE, "Wrong 1a", clock.advance(1)))
    assert over.standings == (Standing(1, ALICE, 0, 0),) and over.winners == ()


def test_a_renamed_player_keeps_their_score() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.start()
    game.answer(ALICE, "Right 1", clock.advance(1))
    game.join(Player(ALICE.id, "Alicia"))
    assert game.standings() == [Standing(1, Player(1, "Alicia"), 10, 1)]


# -- bad input ------------------------------------------------------------------------------------


def test_answers_outside_a_question_in_choices_mode_are_rejected_with_a_reason() -> None:
    game, clock = make_game(questions=[make_question(1), make_question(2)])
    game.start()
    game.skip(clock.advance(1))
    (during_pause,) = game.answer(ALICE, "A", clock.advance(1))
    assert during_pause == AnswerRejected(ALICE, RejectReason.NO_QUESTION_OPEN, "A")
    game.stop()
    (after_end,) = game.answer(ALICE, "A", clock.advance(1))
    assert after_end == AnswerRejected(ALICE, RejectReason.GAME_OVER, "A")


def test_messages_outside_a_question_in_text_mode_are_just_chat() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.start()
    game.skip(clock.advance(1))
    assert game.answer(ALICE, "Right 1", clock.advance(1)) == []
    game.stop()
    assert game.answer(ALICE, "Right 2", clock.advance(1)) == []


def test_an_answer_after_the_deadline_but_before_the_tick_is_too_late() -> None:
    game, clock = make_game(seconds=10)
    game.join(ALICE)
    game.join(BOB)
    game.start()
    events = game.answer(ALICE, "Right 1", clock.advance(10))
    assert [type(e) for e in events] == [QuestionClosed, AnswerRejected]
    assert closed(events).reason is CloseReason.TIMEOUT and closed(events).answers == ()
    assert events[1].reason is RejectReason.NO_QUESTION_OPEN


# -- probe-free multiple choice ----------------------------------------------------------------------

_WORDS = st.sampled_from(["Daft", "Punk", "Kanye", "West", "Akira", "Otomo", "Stronger", "1988", "2", "B", "the", "Á"])
_NAMES = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join)


@st.composite
def _options_and_guess(draw: st.DrawFn) -> tuple[list[str], list[str], str]:
    options = draw(st.lists(_NAMES, min_size=2, max_size=5, unique_by=str.casefold))
    extra_alias = draw(_NAMES)
    typed = draw(
        st.one_of(
            st.sampled_from(options),
            st.sampled_from(options).map(lambda option: option.split()[-1]),  # a surname
            st.sampled_from(options).map(lambda option: option.upper() + "!"),
            st.sampled_from("ABCDEabcde12345"),
            st.just(extra_alias),
            _NAMES,
            st.text(max_size=12),
        )
    )
    return options, [extra_alias], typed


@settings(max_examples=300, deadline=None)
@given(_options_and_guess())
def test_whether_a_typed_option_is_refused_never_depends_on_which_option_is_right(
    case: tuple[list[str], list[str], str],
) -> None:
    options, extra_aliases, typed = case
    refused = set()
    for right in options:
        # The right answer carries aliases (its last word, another name); wrong options carry none.
        question = Question("q", "Which?", (right, right.split()[-1], *extra_aliases), tuple(options))
        game = Game([question], RoundSettings(questions=1, hints=False), FakeClock(), rng=random.Random(1))
        game.start()
        (event,) = game.answer(ALICE, typed)
        refused.add(isinstance(event, AnswerRejected))
    assert len(refused) == 1, f"{typed!r} among {options}: refused for some right answers only"


# -- who missed a question (what ends a streak) -------------------------------------------------------


def test_a_player_in_the_game_who_lets_a_choices_question_pass_missed_it() -> None:
    game, clock = make_game()
    game.join(ALICE)
    game.join(BOB)
    game.start()
    game.answer(ALICE, "D", clock.advance(1))  # wrong, but an answer: stored, not a miss
    timed_out = closed(game.tick(clock.advance(30)))
    assert timed_out.missed == (BOB,)
    assert [(score.player, score.correct) for score in timed_out.answers] == [(ALICE, False)]


def test_a_newcomer_misses_nothing_asked_before_their_first_answer() -> None:
    game, clock = make_game()
    game.start()
    assert closed(game.tick(clock.advance(30))).missed == ()
    game.tick(clock.advance(10))
    game.answer(BOB, "B", clock.advance(1))
    assert closed(game.tick(clock.advance(30))).missed == ()
    game.tick(clock.advance(10))
    assert closed(game.tick(clock.advance(30))).missed == (BOB,)


def test_in_text_mode_a_wrong_guess_or_being_beaten_is_a_miss() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.join(ALICE)
    game.join(BOB)
    game.join(CAROL)
    game.start()
    game.answer(ALICE, "nope", clock.advance(1))
    answered = closed(game.answer(ALICE, "Right 1", clock.advance(1)))
    # Alice's wrong guess counts against her even though she then got it; Bob and Carol were beaten.
    assert answered.missed == (ALICE, BOB, CAROL)
    assert [score.player for score in answered.scorers] == [ALICE]


def test_a_wrong_guess_by_a_newcomer_in_text_mode_is_a_miss() -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.start()
    game.answer(BOB, "nope", clock.advance(1))
    assert closed(game.tick(clock.advance(30))).missed == (BOB,)


@pytest.mark.parametrize("end", ["skip", "stop"])
def test_a_skipped_or_stopped_question_is_missed_by_nobody(end: str) -> None:
    game, clock = make_game(AnswerMode.TEXT)
    game.join(ALICE)
    game.start()
    game.answer(ALICE, "nope", clock.advance(1))
    assert closed(getattr(game, end)(clock.advance(1))).missed == ()
