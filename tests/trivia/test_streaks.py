"""The streak, end to end: games played through the engine and the session into a real SQLite store
must leave every player with the current and best streak that a plain model of the rule gives.

The rule (README, "How scoring works"): a streak is the number of questions in a row a player answered
right in this server, across games. A wrong answer ends it (a wrong button, a wrong typed guess even
if a right one follows); so does a question asked while the player was in the game that they did not
answer right. A player is in a game from its start in the terminal (they join), otherwise from their
first answer that counts. A skipped question counts for nobody.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage.sqlite import SqliteStore
from bot.trivia.game import AnswerMode, Event, Game, Player, QuestionAsked, RoundSettings
from bot.trivia.model import Question
from bot.trivia.session import GameSession
from tests.fakes import VirtualTime

GUILD = 5
PLAYERS = (Player(1, "Ann"), Player(2, "Ben"), Player(3, "Cat"))
SECONDS = 20

RIGHT, WRONG, WRONG_THEN_RIGHT, PASS = "right", "wrong", "wrong then right", "pass"


@dataclass(frozen=True)
class QuestionPlay:
    outcomes: tuple[str, ...]  # one per player in PLAYERS
    skipped: bool


@dataclass(frozen=True)
class GamePlay:
    mode: AnswerMode
    joined: tuple[bool, ...]  # who joins at the start, as the terminal player does
    questions: tuple[QuestionPlay, ...]


def _question(number: int) -> Question:
    return Question(f"q{number}", f"Question {number}?", (f"Right {number}",), (f"Right {number}", f"Wrong {number}"))


@st.composite
def _game_plays(draw: st.DrawFn) -> GamePlay:
    mode = draw(st.sampled_from(AnswerMode))
    moves = [RIGHT, WRONG, PASS] + ([WRONG_THEN_RIGHT] if mode is AnswerMode.TEXT else [])
    questions = draw(
        st.lists(
            st.builds(
                QuestionPlay,
                st.tuples(*[st.sampled_from(moves)] * len(PLAYERS)),
                st.integers(0, 4).map(lambda roll: roll == 0),  # a skip now and then
            ),
            min_size=1,
            max_size=5,
        )
    )
    joined = draw(st.tuples(*[st.booleans()] * len(PLAYERS)))
    return GamePlay(mode, joined, tuple(questions))


# -- the plain model -----------------------------------------------------------------------------


def model_streaks(games: Sequence[GamePlay]) -> dict[int, tuple[int, int]]:
    """(current, best) per player id, straight from the rule, knowing nothing of the engine."""
    current = {player.id: 0 for player in PLAYERS}
    best = dict(current)

    def right(player_id: int) -> None:
        current[player_id] += 1
        best[player_id] = max(best[player_id], current[player_id])

    def ends(player_id: int) -> None:
        current[player_id] = 0

    for game in games:
        in_game = {player.id for player, joined in zip(PLAYERS, game.joined, strict=True) if joined}
        for question in game.questions:
            if question.skipped:
                continue
            outcomes = {player.id: outcome for player, outcome in zip(PLAYERS, question.outcomes, strict=True)}
            was_in_game = set(in_game)
            if game.mode is AnswerMode.CHOICES:
                for player_id, outcome in outcomes.items():
                    if outcome == RIGHT:
                        right(player_id)
                    elif outcome == WRONG or player_id in was_in_game:
                        ends(player_id)
                    if outcome != PASS:
                        in_game.add(player_id)
            else:
                # Wrong guesses come first, then the first right answer takes the question.
                first = next((pid for pid, outcome in outcomes.items() if outcome in (RIGHT, WRONG_THEN_RIGHT)), None)
                for player_id, outcome in outcomes.items():
                    if outcome in (WRONG, WRONG_THEN_RIGHT) or (player_id in was_in_game and player_id != first):
                        ends(player_id)
                if first is not None:
                    right(first)
                    in_game.add(first)
    return {player_id: (current[player_id], best[player_id]) for player_id in current}


# -- the real thing --------------------------------------------------------------------------------


def _moves(game: GamePlay, question: QuestionPlay, number: int, known: set[int]) -> list[tuple[Player, str]]:
    right, wrong = f"Right {number}", f"Wrong {number}"
    pairs = list(zip(PLAYERS, question.outcomes, strict=True))
    if question.skipped:
        return []
    if game.mode is AnswerMode.CHOICES:
        # Newcomers answer first: once every known player has answered, the question closes.
        pairs.sort(key=lambda pair: pair[0].id in known)
        return [(player, right if outcome == RIGHT else wrong) for player, outcome in pairs if outcome != PASS]
    wrong_guesses = [(player, "nope") for player, outcome in pairs if outcome in (WRONG, WRONG_THEN_RIGHT)]
    right_guesses = [(player, right) for player, outcome in pairs if outcome in (RIGHT, WRONG_THEN_RIGHT)]
    return wrong_guesses + right_guesses


async def play_games(games: Sequence[GamePlay]) -> dict[int, tuple[int, int]]:
    async with SqliteStore(":memory:") as store:
        for channel, play in enumerate(games, start=1):
            await _play_one(store, channel, play)
        streaks = {}
        for player in PLAYERS:
            stats = await store.player_stats(GUILD, player.id)
            streaks[player.id] = (stats.current_streak, stats.best_streak) if stats else (0, 0)
        return streaks


async def _play_one(store: SqliteStore, channel: int, play: GamePlay) -> None:
    time = VirtualTime()
    game = Game(
        [_question(n) for n in range(1, len(play.questions) + 1)],
        RoundSettings(
            questions=len(play.questions),
            seconds=SECONDS,
            mode=play.mode,
            hints=False,
            max_idle_questions=50,  # the model knows nothing of idle games
        ),
        time.clock,
        rng=random.Random(0),
    )
    for player, joined in zip(PLAYERS, play.joined, strict=True):
        if joined:
            game.join(player)

    async def render(event: Event) -> None:
        if not isinstance(event, QuestionAsked):
            return
        question = play.questions[event.number - 1]
        known = {player.id for player in game.players}
        for step, (player, text) in enumerate(_moves(play, question, event.number, known), start=1):
            time.after(step * 0.5, lambda p=player, t=text: session.submit(p, t))
        if question.skipped:
            time.after(1, session.skip)

    session = GameSession(game, store, guild_id=GUILD, channel_id=channel, pack_id="p", render=render, sleep=time.sleep)
    await session.run()


@settings(max_examples=60, deadline=None)
@given(st.lists(_game_plays(), min_size=1, max_size=3))
def test_stored_streaks_follow_the_rule_across_games(games: list[GamePlay]) -> None:
    assert asyncio.run(play_games(games)) == model_streaks(games)


def test_a_run_of_two_in_each_of_two_games_is_a_best_streak_of_two() -> None:
    """The reported bug: timeouts and wrong typed guesses did not end a streak, so runs of 2 added up."""
    ann_only = (True, False, False)
    choices = GamePlay(
        AnswerMode.CHOICES,
        ann_only,
        tuple(QuestionPlay((outcome, PASS, PASS), False) for outcome in (RIGHT, RIGHT, PASS, RIGHT)),
    )
    text = GamePlay(
        AnswerMode.TEXT,
        ann_only,
        tuple(QuestionPlay((outcome, PASS, PASS), False) for outcome in (RIGHT, WRONG_THEN_RIGHT, RIGHT)),
    )
    assert asyncio.run(play_games([choices, text]))[1] == (2, 2)
