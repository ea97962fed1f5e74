"""Behaviour every ``Store`` must have, written only against the interface in ``bot.storage.base``.

The ``store`` fixture is parametrised over implementations: SQLite on a file (group commits on its
thread, and in a writer process as the bot runs it), and PostgreSQL on the session's test server
(skipped, and reported at the end of the run, where no server can be started).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sharding import EVERY_SHARD, ShardScope, shard_of
from bot.storage.base import (
    DailyAnswer,
    DailyChannel,
    DailyTally,
    OneChannel,
    PlayerResult,
    Scope,
    ScoredAnswer,
    Season,
    Standing,
    Store,
    UnfinishedGame,
)
from bot.storage.errors import GameAlreadyRunning, StoreError
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from bot.trivia.daily import DailyStreak, next_streak
from bot.trivia.reports import Report, ReportReason
from tests.postgres_server import PostgresServer

GUILD = 1001
OTHER_GUILD = 2002
CHANNEL = 55


async def _sqlite_file(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return SqliteStore(tmp_path / "data" / "crate-digger.db")


async def _sqlite_file_writer_process(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return SqliteStore(tmp_path / "data" / "crate-digger.db", writer="process")


async def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return PostgresStore(await server.empty_shared_database())


STORE_FACTORIES: dict[str, Callable[[pytest.FixtureRequest, Path], Awaitable[Store]]] = {
    "sqlite": _sqlite_file,
    "sqlite-writer-process": _sqlite_file_writer_process,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(STORE_FACTORIES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    implementation = await STORE_FACTORIES[request.param](request, tmp_path)
    await implementation.open()
    try:
        yield implementation
    finally:
        await implementation.close()


def answer(
    user_id: int,
    correct: bool,
    points: int | None = None,
    *,
    name: str | None = None,
    question: str = "q1",
    at: float = 1_000.0,
) -> ScoredAnswer:
    if points is None:
        points = 10 if correct else 0
    return ScoredAnswer(
        user_id=user_id,
        display_name=name or f"player{user_id}",
        question_id=question,
        correct=correct,
        points=points,
        answered_at=at,
    )


def result(user_id: int, points: int = 0, correct: int = 0, won: bool = False) -> PlayerResult:
    return PlayerResult(user_id=user_id, display_name=f"player{user_id}", points=points, correct=correct, won=won)


_channels = itertools.count(1_000)


async def new_game(store: Store, guild_id: int = GUILD, channel_id: int | None = None) -> int:
    """A new game, by default in a channel of its own: a channel runs one game at a time."""
    channel_id = next(_channels) if channel_id is None else channel_id
    return await store.start_game(guild_id, channel_id, "samples-101", "classic", started_at=1_000.0)


# -- games and answers --------------------------------------------------------------------------


async def test_start_game_returns_distinct_ids(store: Store) -> None:
    first = await new_game(store)
    second = await new_game(store)
    assert isinstance(first, int)
    assert first != second


async def test_record_answers_adds_to_totals(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10), answer(2, False, 0)])
    await store.record_answers(game, GUILD, [answer(1, True, 7, question="q2"), answer(2, True, 5)])

    alice = await store.player_stats(GUILD, 1)
    bob = await store.player_stats(GUILD, 2)
    assert alice is not None and bob is not None
    assert (alice.points, alice.correct, alice.answered) == (17, 2, 2)
    assert (bob.points, bob.correct, bob.answered) == (5, 1, 2)
    # Answering is not finishing: no game is counted until finish_game.
    assert (alice.games, alice.wins) == (0, 0)


async def test_record_answers_with_nothing_is_a_no_op(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [])
    assert await store.leaderboard(GUILD) == []


async def test_display_name_follows_the_latest_answer(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, name="DJ Old")])
    await store.record_answers(game, GUILD, [answer(1, True, name="DJ New", question="q2")])
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and stats.display_name == "DJ New"


async def test_streaks(store: Store) -> None:
    game = await new_game(store)
    for index, correct in enumerate([True, True, False, True]):
        await store.record_answers(game, GUILD, [answer(1, correct, question=f"q{index}")])
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None
    assert (stats.best_streak, stats.current_streak) == (2, 1)


async def test_streaks_within_one_batch_follow_its_order(store: Store) -> None:
    game = await new_game(store)
    batch = [answer(1, correct, question=f"q{i}") for i, correct in enumerate([True, True, True, False])]
    await store.record_answers(game, GUILD, batch)
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None
    assert (stats.best_streak, stats.current_streak) == (3, 0)


async def test_streak_survives_across_games(store: Store) -> None:
    first, second = await new_game(store), await new_game(store)
    await store.record_answers(first, GUILD, [answer(1, True)])
    await store.record_answers(second, GUILD, [answer(1, True)])
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and stats.current_streak == 2


async def test_a_miss_ends_a_streak_but_keeps_the_best_and_the_totals(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True), answer(1, True, question="q2")])
    await store.record_answers(game, GUILD, [], missed=[1])
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None
    assert (stats.current_streak, stats.best_streak, stats.answered, stats.points) == (0, 2, 2, 20)


async def test_misses_apply_before_the_answers_of_the_same_question(store: Store) -> None:
    """A wrong typed guess followed by the right answer: the streak starts again at 1."""
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True), answer(2, True)])
    await store.record_answers(game, GUILD, [answer(1, True, question="q2")], missed=[1, 2])
    alice, bob = await store.player_stats(GUILD, 1), await store.player_stats(GUILD, 2)
    assert alice is not None and bob is not None
    assert (alice.current_streak, alice.best_streak) == (1, 1)
    assert (bob.current_streak, bob.best_streak) == (0, 1)


async def test_a_miss_by_an_unknown_player_creates_nobody(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [], missed=[99])
    assert await store.player_stats(GUILD, 99) is None
    assert await store.leaderboard(GUILD) == []


async def test_a_miss_stays_in_its_guild(store: Store) -> None:
    here, there = await new_game(store), await new_game(store, OTHER_GUILD)
    await store.record_answers(here, GUILD, [answer(1, True)])
    await store.record_answers(there, OTHER_GUILD, [answer(1, True)])
    await store.record_answers(there, OTHER_GUILD, [], missed=[1])
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and stats.current_streak == 1


async def test_a_caller_cancelled_while_its_write_commits_cancels_no_one_else(store: Store) -> None:
    """Writes that arrive together may commit together (both stores group them): cancelling one
    caller cancels that caller alone, and its write, already handed over, is stored."""
    game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
    calls = [
        asyncio.create_task(store.record_answers(game, GUILD, [answer(user, True, 5, question=f"q{user}")]))
        for user in range(1, 6)
    ]
    await asyncio.sleep(0)  # every call is queued before the first commit starts
    calls[2].cancel()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(outcomes[2], asyncio.CancelledError)
    assert outcomes[:2] + outcomes[3:] == [None] * 4
    answered = [await store.player_stats(GUILD, user) for user in range(1, 6)]
    assert [stats.points if stats else None for stats in answered] == [5] * 5


@pytest.mark.parametrize("miss_first", [True, False])
async def test_writes_arriving_together_apply_in_arrival_order(store: Store, miss_first: bool) -> None:
    """A player in two games of one server: a miss in one and a right answer in the other, arriving
    together, end with the streak that order gives."""
    first = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
    second = await store.start_game(GUILD, 2, "pack", "classic", 1.0)
    await store.record_answers(first, GUILD, [answer(7, True, 1, question="q0")])
    miss = store.record_answers(second, GUILD, [], missed=[7])
    right = store.record_answers(first, GUILD, [answer(7, True, 1, question="q1")])
    await asyncio.gather(*((miss, right) if miss_first else (right, miss)))
    stats = await store.player_stats(GUILD, 7)
    assert stats is not None
    assert (stats.current_streak, stats.best_streak) == ((1, 1) if miss_first else (0, 2))


async def test_record_answers_is_all_or_nothing(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10)])

    not_an_int: Any = None  # deliberately invalid, so the store fails part way through the batch
    broken = ScoredAnswer(
        user_id=3, display_name="broken", question_id="q2", correct=True, points=not_an_int, answered_at=1.0
    )
    batch = [answer(1, True, 10, question="q2"), answer(2, True, 10, question="q2"), broken]
    with pytest.raises(StoreError):
        await store.record_answers(game, GUILD, batch)

    # The failure came after player 1 and player 2 were written in that batch; neither survived.
    alice = await store.player_stats(GUILD, 1)
    assert alice is not None
    assert (alice.points, alice.correct, alice.answered, alice.current_streak) == (10, 1, 1, 1)
    assert await store.player_stats(GUILD, 2) is None
    assert await store.player_stats(GUILD, 3) is None

    # And the store is still usable afterwards.
    await store.record_answers(game, GUILD, [answer(2, True, 4, question="q3")])
    bob = await store.player_stats(GUILD, 2)
    assert bob is not None and bob.points == 4


async def test_record_answers_rejects_a_game_from_another_guild(store: Store) -> None:
    game = await new_game(store, OTHER_GUILD)
    with pytest.raises(StoreError):
        await store.record_answers(game, GUILD, [answer(1, True)])
    assert await store.player_stats(GUILD, 1) is None


async def test_concurrent_record_answers_all_land(store: Store) -> None:
    game = await new_game(store)
    await asyncio.gather(
        *(
            store.record_answers(game, GUILD, [answer(user, True, 3, question=f"q{round_}")])
            for round_ in range(10)
            for user in range(1, 6)
        )
    )
    for user in range(1, 6):
        stats = await store.player_stats(GUILD, user)
        assert stats is not None
        assert (stats.points, stats.answered, stats.best_streak) == (30, 10, 10)


# -- finishing games ----------------------------------------------------------------------------


async def test_finish_game_counts_games_and_wins(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10), answer(2, False, 0)])
    await store.finish_game(
        game, GUILD, 2_000.0, [result(1, 10, 1, won=True), result(2, 0, 0, won=False)], stopped=False
    )

    alice = await store.player_stats(GUILD, 1)
    bob = await store.player_stats(GUILD, 2)
    assert alice is not None and bob is not None
    assert (alice.games, alice.wins) == (1, 1)
    assert (bob.games, bob.wins) == (1, 0)
    # Points come from the answers; finishing must not add the game's points a second time.
    assert (alice.points, alice.correct) == (10, 1)


async def test_finish_game_counts_players_who_never_answered(store: Store) -> None:
    game = await new_game(store)
    await store.finish_game(game, GUILD, 2_000.0, [result(9)], stopped=True)
    stats = await store.player_stats(GUILD, 9)
    assert stats is not None
    assert (stats.games, stats.wins, stats.answered, stats.points) == (1, 0, 0, 0)
    assert [row.user_id for row in await store.leaderboard(GUILD)] == [9]


async def test_finish_game_twice_counts_once(store: Store) -> None:
    game = await new_game(store)
    await store.finish_game(game, GUILD, 2_000.0, [result(1, won=True)], stopped=False)
    await store.finish_game(game, GUILD, 2_001.0, [result(1, won=True)], stopped=True)
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and (stats.games, stats.wins) == (1, 1)


async def test_finish_unknown_game_raises(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.finish_game(424242, GUILD, 2_000.0, [result(1)], stopped=False)


async def test_games_and_wins_add_up_over_games(store: Store) -> None:
    for won in (True, False, True):
        game = await new_game(store)
        await store.finish_game(game, GUILD, 2_000.0, [result(1, won=won)], stopped=False)
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and (stats.games, stats.wins) == (3, 2)


@pytest.mark.reliability
async def test_games_left_unfinished_by_a_crash_are_closed_keeping_their_scores(store: Store) -> None:
    crashed = await store.start_game(GUILD, CHANNEL, "pack", "choices", 1_000.0)
    await store.record_answers(crashed, GUILD, [answer(1, True, 10), answer(2, False, 0)])
    elsewhere = await store.start_game(OTHER_GUILD, CHANNEL, "pack", "choices", 1_100.0)
    await store.record_answers(elsewhere, OTHER_GUILD, [answer(1, True, 7)])
    running = await store.start_game(GUILD, CHANNEL + 1, "pack", "choices", 3_000.0)  # started by this run
    finished = await store.start_game(GUILD, CHANNEL + 2, "pack", "choices", 1_200.0)
    await store.finish_game(finished, GUILD, 1_300.0, [result(3, won=True)], stopped=False)

    assert await store.close_interrupted_games(finished_at=2_500.0, started_before=2_000.0, scope=EVERY_SHARD) == 2
    alice, bob = await store.player_stats(GUILD, 1), await store.player_stats(GUILD, 2)
    assert alice is not None and bob is not None
    assert (alice.points, alice.correct, alice.games, alice.wins) == (10, 1, 1, 0)  # scores kept, no win
    assert (bob.points, bob.games, bob.wins) == (0, 1, 0)
    other = await store.player_stats(OTHER_GUILD, 1)
    assert other is not None and (other.points, other.games) == (7, 1)
    # Closed once: a second start closes nothing, and a late finish of a closed game counts nothing.
    assert await store.close_interrupted_games(finished_at=2_600.0, started_before=2_000.0, scope=EVERY_SHARD) == 0
    await store.finish_game(crashed, GUILD, 2_700.0, [result(1, 10, 1, won=True)], stopped=False)
    alice = await store.player_stats(GUILD, 1)
    assert alice is not None and (alice.games, alice.wins) == (1, 0)
    # A game this run started is not touched, and still finishes normally.
    await store.finish_game(running, GUILD, 3_100.0, [result(1, 10, 1, won=True)], stopped=False)
    alice = await store.player_stats(GUILD, 1)
    assert alice is not None and (alice.games, alice.wins) == (2, 1)


def on_shard(shard: int, shard_count: int, low_bits: int = 1001) -> int:
    """A server id that Discord routes to ``shard`` of ``shard_count``."""
    guild_id = (shard << 22) | low_bits
    assert shard_of(guild_id, shard_count) == shard
    return guild_id


@pytest.mark.reliability
async def test_closing_interrupted_games_keeps_to_the_shards_of_the_process(store: Store) -> None:
    mine, theirs = on_shard(0, 2), on_shard(1, 2)
    my_game = await store.start_game(mine, CHANNEL, "pack", "choices", 1_000.0)
    await store.record_answers(my_game, mine, [answer(1, True, 10)])
    their_game = await store.start_game(theirs, CHANNEL, "pack", "choices", 1_000.0)
    await store.record_answers(their_game, theirs, [answer(1, True, 10)])
    terminal_game = await store.start_game(0, 0, "pack", "choices", 1_000.0)

    # Process A (shard 0 of 2) starts: process B's game and the terminal's run on.
    assert await store.close_interrupted_games(2_000.0, 2_000.0, ShardScope(2, (0,))) == 1
    with pytest.raises(GameAlreadyRunning):
        await store.start_game(theirs, CHANNEL, "pack", "choices", 2_100.0)
    await store.finish_game(their_game, theirs, 2_200.0, [result(1, 10, 1, won=True)], stopped=False)
    theirs_stats, mine_stats = await store.player_stats(theirs, 1), await store.player_stats(mine, 1)
    assert theirs_stats is not None and (theirs_stats.games, theirs_stats.wins) == (1, 1)
    assert mine_stats is not None and (mine_stats.games, mine_stats.wins) == (1, 0)
    # Even a process running every shard leaves the terminal's game to the terminal.
    assert await store.close_interrupted_games(2_300.0, 2_300.0, EVERY_SHARD) == 0
    assert await store.close_interrupted_games(2_300.0, 2_300.0, OneChannel(0, 0)) == 1
    await store.finish_game(terminal_game, 0, 2_400.0, [], stopped=False)  # late, changes nothing


async def test_closing_one_channels_leftover_game_leaves_the_servers_other_channels(store: Store) -> None:
    here = await store.start_game(GUILD, CHANNEL, "pack", "choices", 1_000.0)
    await store.start_game(GUILD, CHANNEL + 1, "pack", "choices", 1_000.0)
    assert await store.close_interrupted_games(2_000.0, 2_000.0, OneChannel(GUILD, CHANNEL)) == 1
    assert await store.close_interrupted_games(2_000.0, 2_000.0, OneChannel(GUILD, CHANNEL)) == 0
    again = await store.start_game(GUILD, CHANNEL, "pack", "choices", 2_100.0)
    assert again != here
    with pytest.raises(GameAlreadyRunning):
        await store.start_game(GUILD, CHANNEL + 1, "pack", "choices", 2_100.0)


async def test_unfinished_games_lists_a_servers_games_with_no_end_oldest_first(store: Store) -> None:
    assert await store.unfinished_games(0) == []
    terminal_channel = (1 << 62) + 4_194_303  # the terminal's channel ids use all 63 bits
    newer = await store.start_game(0, terminal_channel, "pack", "choices", 1_500.25)
    older = await store.start_game(0, 7, "pack", "choices", 1_000.5)
    done = await store.start_game(0, 8, "pack", "choices", 900.0)
    await store.finish_game(done, 0, 950.0, [], stopped=False)
    crashed = await store.start_game(0, 9, "pack", "choices", 800.0)
    await store.close_interrupted_games(1_000.0, 1_000.0, OneChannel(0, 9))
    elsewhere = await store.start_game(GUILD, CHANNEL, "pack", "choices", 1_200.0)

    assert await store.unfinished_games(0) == [
        UnfinishedGame(older, 7, 1_000.5),
        UnfinishedGame(newer, terminal_channel, 1_500.25),
    ]
    assert crashed not in {game.game_id for game in await store.unfinished_games(0)}
    assert await store.unfinished_games(GUILD) == [UnfinishedGame(elsewhere, CHANNEL, 1_200.0)]


async def test_a_channel_runs_one_game_at_a_time(store: Store) -> None:
    first = await new_game(store, channel_id=CHANNEL)
    with pytest.raises(GameAlreadyRunning) as refused:
        await new_game(store, channel_id=CHANNEL)
    assert isinstance(refused.value, StoreError)  # callers that only know StoreError still catch it
    assert (refused.value.guild_id, refused.value.channel_id, refused.value.game_id) == (GUILD, CHANNEL, first)
    # Other channels and other servers' channels are free, whatever their id.
    await store.start_game(GUILD, CHANNEL + 1, "pack", "choices", 1_000.0)
    await store.start_game(OTHER_GUILD, CHANNEL, "pack", "choices", 1_000.0)
    # Finished (or stopped) frees the channel.
    await store.finish_game(first, GUILD, 2_000.0, [], stopped=True)
    second = await new_game(store, channel_id=CHANNEL)
    assert second != first


async def test_a_refused_game_leaves_nothing_behind(store: Store) -> None:
    first = await new_game(store, channel_id=CHANNEL)
    await store.record_answers(first, GUILD, [answer(1, True, 10)])
    with pytest.raises(GameAlreadyRunning):
        await new_game(store, channel_id=CHANNEL)
    await store.finish_game(first, GUILD, 2_000.0, [result(1, 10, 1, won=True)], stopped=False)
    # The refused start left no unfinished game behind to close or to block the channel.
    assert await store.close_interrupted_games(3_000.0, 3_000.0, EVERY_SHARD) == 0
    await new_game(store, channel_id=CHANNEL)


# -- leaderboard and stats ----------------------------------------------------------------------


async def _score(store: Store, game: int, guild_id: int, user_id: int, points: int, correct: int) -> None:
    """Give a player exactly ``points`` spread over ``correct`` right answers (and one wrong one)."""
    answers = [answer(user_id, True, 0, question=f"q{i}") for i in range(correct)]
    answers.append(answer(user_id, False, points, question="bonus"))
    await store.record_answers(game, guild_id, answers)


async def test_leaderboard_orders_by_points_then_correct_then_user(store: Store) -> None:
    game = await new_game(store)
    await _score(store, game, GUILD, user_id=5, points=30, correct=2)
    await _score(store, game, GUILD, user_id=4, points=50, correct=1)
    await _score(store, game, GUILD, user_id=3, points=30, correct=3)
    await _score(store, game, GUILD, user_id=2, points=30, correct=2)
    await _score(store, game, GUILD, user_id=1, points=10, correct=5)

    board = await store.leaderboard(GUILD)
    assert [(row.user_id, row.points, row.correct) for row in board] == [
        (4, 50, 1),
        (3, 30, 3),
        (2, 30, 2),
        (5, 30, 2),
        (1, 10, 5),
    ]
    # Competition ranking: users 2 and 5 tie (same points, same correct) and share 3rd; next is 5th.
    assert [row.rank for row in board] == [1, 2, 3, 3, 5]


async def test_leaderboard_limit_keeps_true_ranks(store: Store) -> None:
    game = await new_game(store)
    for user_id, points in [(1, 40), (2, 30), (3, 30), (4, 30), (5, 10)]:
        await _score(store, game, GUILD, user_id, points, correct=1)
    board = await store.leaderboard(GUILD, limit=3)
    assert [(row.rank, row.user_id) for row in board] == [(1, 1), (2, 2), (2, 3)]


async def test_leaderboard_rows_carry_games_and_wins(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10, name="Madlib")])
    await store.finish_game(game, GUILD, 2_000.0, [result(1, 10, 1, won=True)], stopped=False)
    (row,) = await store.leaderboard(GUILD)
    assert (row.rank, row.user_id, row.points, row.correct, row.games, row.wins) == (1, 1, 10, 1, 1, 1)
    assert row.display_name == "player1"  # finish_game carries the newest name too


async def test_leaderboard_is_empty_for_a_new_guild(store: Store) -> None:
    assert await store.leaderboard(GUILD) == []


async def test_guilds_never_see_each_other(store: Store) -> None:
    home = await new_game(store, GUILD)
    away = await new_game(store, OTHER_GUILD)
    await store.record_answers(home, GUILD, [answer(1, True, 10)])
    await store.record_answers(away, OTHER_GUILD, [answer(1, True, 99), answer(2, True, 50)])
    await store.finish_game(away, OTHER_GUILD, 2_000.0, [result(1, won=True), result(2)], stopped=False)

    board = await store.leaderboard(GUILD)
    assert [(row.user_id, row.points, row.games) for row in board] == [(1, 10, 0)]
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and (stats.points, stats.wins, stats.rank) == (10, 0, 1)
    assert await store.player_stats(GUILD, 2) is None

    away_stats = await store.player_stats(OTHER_GUILD, 1)
    assert away_stats is not None and (away_stats.points, away_stats.wins) == (99, 1)


async def test_player_stats_unknown_player_is_none(store: Store) -> None:
    assert await store.player_stats(GUILD, 404) is None


async def test_player_stats_rank_matches_leaderboard(store: Store) -> None:
    game = await new_game(store)
    for user_id, points, correct in [(1, 40, 1), (2, 30, 2), (3, 30, 2), (4, 20, 1)]:
        await _score(store, game, GUILD, user_id, points, correct)
    board = {row.user_id: row.rank for row in await store.leaderboard(GUILD)}
    for user_id in board:
        stats = await store.player_stats(GUILD, user_id)
        assert stats is not None and stats.rank == board[user_id]
    assert board == {1: 1, 2: 2, 3: 2, 4: 4}


# -- periods, packs and seasons ----------------------------------------------------------------


def ranks(board: list[Standing]) -> list[tuple[int, int, int, int]]:
    return [(row.rank, row.user_id, row.points, row.correct) for row in board]


async def test_a_window_counts_only_the_answers_given_in_it(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(
        game,
        GUILD,
        [
            answer(1, True, 10, at=999.0),  # before the window
            answer(1, True, 7, question="q2", at=1_000.0),  # at its start: in
            answer(2, True, 5, at=1_500.0),
            answer(2, False, 0, question="q2", at=1_999.9),
            answer(3, True, 10, at=2_000.0),  # at its end: out
        ],
    )
    board = await store.standings(GUILD, Scope(since=1_000.0, until=2_000.0))
    assert ranks(board) == [(1, 1, 7, 1), (2, 2, 5, 1)]
    assert [(row.answered, row.games) for row in board] == [(1, 1), (2, 1)]
    # All time still has everything, from the running totals.
    assert [row.points for row in await store.leaderboard(GUILD)] == [17, 10, 5]


async def test_scoped_ranks_share_ties_and_keep_true_ranks_past_the_limit(store: Store) -> None:
    game = await new_game(store)
    for user_id, points, correct in [(5, 30, 2), (4, 50, 1), (3, 30, 3), (2, 30, 2), (1, 10, 5)]:
        await _score(store, game, GUILD, user_id, points, correct)
    board = await store.standings(GUILD, Scope(since=0.0))
    assert ranks(board) == [(1, 4, 50, 1), (2, 3, 30, 3), (3, 2, 30, 2), (3, 5, 30, 2), (5, 1, 10, 5)]
    assert ranks(await store.standings(GUILD, Scope(since=0.0), limit=3)) == ranks(board)[:3]
    assert await store.standings(GUILD, Scope(since=0.0), limit=0) == []
    # One player's place agrees with the board, even outside the top N.
    for row in board:
        assert await store.standing(GUILD, row.user_id, Scope(since=0.0)) == row


async def test_a_player_without_answers_in_scope_has_no_standing(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, at=500.0)])
    assert await store.standing(GUILD, 1, Scope(since=1_000.0)) is None
    assert await store.standing(GUILD, 404, Scope()) is None
    assert await store.standings(GUILD, Scope(since=1_000.0)) == []


async def test_a_pack_scope_counts_the_games_of_that_pack_only(store: Store) -> None:
    breaks = await store.start_game(GUILD, CHANNEL, "amen-break", "choices", 1_000.0)
    kanye = await store.start_game(GUILD, CHANNEL + 1, "kanye", "choices", 1_000.0)
    kanye_again = await store.start_game(GUILD, CHANNEL + 2, "kanye", "choices", 1_100.0)
    elsewhere = await store.start_game(OTHER_GUILD, CHANNEL, "kanye", "choices", 1_000.0)
    await store.record_answers(breaks, GUILD, [answer(1, True, 50)])
    await store.record_answers(kanye, GUILD, [answer(1, True, 5), answer(2, True, 8)])
    await store.record_answers(kanye_again, GUILD, [answer(2, True, 8, question="q2")])
    await store.record_answers(elsewhere, OTHER_GUILD, [answer(3, True, 99)])

    board = await store.standings(GUILD, Scope(pack_id="kanye"))
    assert ranks(board) == [(1, 2, 16, 2), (2, 1, 5, 1)]
    assert [row.games for row in board] == [2, 1]
    assert ranks(await store.standings(GUILD, Scope(pack_id="kanye", since=1_050.0, until=None))) == []
    assert await store.standings(GUILD, Scope(pack_id="nothing-played")) == []


async def test_scoped_boards_show_the_latest_name(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, name="DJ Old", at=100.0)])
    await store.record_answers(game, GUILD, [answer(1, True, name="DJ New", question="q2", at=5_000.0)])
    (row,) = await store.standings(GUILD, Scope(until=1_000.0))
    assert (row.display_name, row.points) == ("DJ New", 10)


async def test_the_first_season_runs_from_the_start(store: Store) -> None:
    assert await store.current_season(GUILD) == Season(number=1, started_at=None, ended_at=None)
    assert await store.seasons(GUILD) == []


async def test_ending_a_season_archives_its_standings_and_starts_the_next(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10, name="ann"), answer(2, True, 10, name="bob")])
    await store.record_answers(game, GUILD, [answer(1, True, 5, question="q2", name="ann")])
    await store.record_answers(game, GUILD, [answer(3, False, 0, name="cy")])
    before = await store.player_stats(GUILD, 1)

    ended = await store.end_season(GUILD, 1, ended_at=5_000.0)
    assert ended == Season(number=1, started_at=None, ended_at=5_000.0, players=3)
    assert await store.current_season(GUILD) == Season(number=2, started_at=5_000.0, ended_at=None)
    archived = await store.standings(GUILD, Scope(season=1))
    assert ranks(archived) == [(1, 1, 15, 2), (2, 2, 10, 1), (3, 3, 0, 0)]
    assert [row.display_name for row in archived] == ["ann", "bob", "cy"]
    # The new season starts empty; all-time totals and streaks are untouched.
    assert await store.standings(GUILD, Scope(season=2)) == []
    assert await store.player_stats(GUILD, 1) == before

    await store.record_answers(game, GUILD, [answer(2, True, 7, question="q3", name="bobby")])
    assert ranks(await store.standings(GUILD, Scope(season=2))) == [(1, 2, 7, 1)]
    # The archive is frozen: later answers and renames do not change it.
    assert await store.standings(GUILD, Scope(season=1)) == archived
    assert await store.standing(GUILD, 2, Scope(season=1)) == archived[1]
    assert await store.standing(GUILD, 9, Scope(season=1)) is None


async def test_an_archived_season_narrowed_to_a_pack_is_counted_from_its_answers(store: Store) -> None:
    kanye = await store.start_game(GUILD, CHANNEL, "kanye", "choices", 1_000.0)
    breaks = await store.start_game(GUILD, CHANNEL + 1, "amen-break", "choices", 1_000.0)
    await store.record_answers(kanye, GUILD, [answer(1, True, 10)])
    await store.record_answers(breaks, GUILD, [answer(2, True, 20)])
    await store.end_season(GUILD, 1, ended_at=5_000.0)
    await store.record_answers(kanye, GUILD, [answer(3, True, 30, question="q2")])
    assert ranks(await store.standings(GUILD, Scope(season=1, pack_id="kanye"))) == [(1, 1, 10, 1)]


async def test_a_season_can_end_only_once(store: Store) -> None:
    """Two moderators confirming at once (or one pressing twice): one season ends, not two."""
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True)])
    first, second = await asyncio.gather(
        store.end_season(GUILD, 1, ended_at=5_000.0), store.end_season(GUILD, 1, ended_at=5_001.0)
    )
    assert [first is None, second is None].count(True) == 1
    assert await store.end_season(GUILD, 1, ended_at=6_000.0) is None
    assert await store.end_season(GUILD, 3, ended_at=6_000.0) is None  # not current yet either
    assert (await store.current_season(GUILD)).number == 2
    assert [season.number for season in await store.seasons(GUILD)] == [1]


async def test_answers_recorded_after_the_end_belong_to_the_next_season(store: Store) -> None:
    """What decides is when the store counted an answer, not its timestamp: a question that closes
    just after a moderator ended the season counts for the new one, never for neither."""
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10, at=4_000.0)])
    await store.end_season(GUILD, 1, ended_at=5_000.0)
    await store.record_answers(game, GUILD, [answer(1, True, 4, question="q2", at=4_999.0)])
    assert ranks(await store.standings(GUILD, Scope(season=1))) == [(1, 1, 10, 1)]
    assert ranks(await store.standings(GUILD, Scope(season=2))) == [(1, 1, 4, 1)]


async def test_seasons_are_listed_newest_first_and_kept_per_guild(store: Store) -> None:
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True), answer(2, True)])
    await store.end_season(GUILD, 1, ended_at=5_000.0)
    await store.end_season(GUILD, 2, ended_at=6_000.0)  # an empty season may end too
    other_game = await new_game(store, OTHER_GUILD)
    await store.record_answers(other_game, OTHER_GUILD, [answer(1, True, 99)])

    assert await store.seasons(GUILD) == [
        Season(number=2, started_at=5_000.0, ended_at=6_000.0, players=0),
        Season(number=1, started_at=None, ended_at=5_000.0, players=2),
    ]
    assert [season.number for season in await store.seasons(GUILD, limit=1)] == [2]
    assert await store.seasons(OTHER_GUILD) == []
    assert (await store.current_season(OTHER_GUILD)).number == 1
    assert ranks(await store.standings(OTHER_GUILD, Scope(season=1))) == [(1, 1, 99, 1)]
    assert await store.standings(GUILD, Scope(season=3)) == []


# -- packs --------------------------------------------------------------------------------------


async def test_pack_save_get_replace_list_remove(store: Store) -> None:
    assert await store.get_pack(GUILD, "beats") is None
    assert await store.list_packs(GUILD) == []

    await store.save_pack(GUILD, "beats", "id: beats\nv: 1\n", uploaded_by=7, uploaded_at=100.0)
    saved = await store.get_pack(GUILD, "beats")
    assert saved is not None
    assert (saved.guild_id, saved.pack_id, saved.yaml_text, saved.uploaded_by, saved.uploaded_at) == (
        GUILD,
        "beats",
        "id: beats\nv: 1\n",
        7,
        100.0,
    )

    await store.save_pack(GUILD, "beats", "id: beats\nv: 2\n", uploaded_by=8, uploaded_at=200.0)
    replaced = await store.get_pack(GUILD, "beats")
    assert replaced is not None
    assert (replaced.yaml_text, replaced.uploaded_by, replaced.uploaded_at) == ("id: beats\nv: 2\n", 8, 200.0)

    await store.save_pack(GUILD, "a-side", "id: a-side\n", uploaded_by=7, uploaded_at=300.0)
    await store.save_pack(GUILD, "zydeco", "id: zydeco\n", uploaded_by=7, uploaded_at=50.0)
    assert [pack.pack_id for pack in await store.list_packs(GUILD)] == ["a-side", "beats", "zydeco"]

    assert await store.remove_pack(GUILD, "beats") is True
    assert await store.remove_pack(GUILD, "beats") is False
    assert await store.get_pack(GUILD, "beats") is None
    assert [pack.pack_id for pack in await store.list_packs(GUILD)] == ["a-side", "zydeco"]


async def test_packs_are_per_guild(store: Store) -> None:
    await store.save_pack(GUILD, "beats", "mine\n", uploaded_by=7, uploaded_at=1.0)
    await store.save_pack(OTHER_GUILD, "beats", "theirs\n", uploaded_by=8, uploaded_at=2.0)

    mine = await store.get_pack(GUILD, "beats")
    assert mine is not None and mine.yaml_text == "mine\n"
    assert await store.remove_pack(OTHER_GUILD, "beats") is True
    assert await store.get_pack(GUILD, "beats") is not None
    assert await store.list_packs(OTHER_GUILD) == []


async def test_every_change_to_a_servers_packs_moves_its_pack_revision_on(store: Store) -> None:
    assert await store.pack_revision(GUILD) == 0
    await store.save_pack(GUILD, "beats", "one\n", uploaded_by=7, uploaded_at=1.0)
    first = await store.pack_revision(GUILD)
    # A replacement with the very same time and text still counts: the revision is no clock.
    await store.save_pack(GUILD, "beats", "one\n", uploaded_by=7, uploaded_at=1.0)
    replaced = await store.pack_revision(GUILD)
    assert await store.remove_pack(GUILD, "nothing-by-that-id") is False
    assert await store.pack_revision(GUILD) == replaced  # nothing changed
    assert await store.remove_pack(GUILD, "beats") is True
    removed = await store.pack_revision(GUILD)
    assert 0 < first < replaced < removed
    assert await store.pack_revision(OTHER_GUILD) == 0  # per server


async def test_pack_text_round_trips_exactly(store: Store) -> None:
    text = "title: \"Ça plane pour moi\"\nquote: 'It''s a loop; 🎛️'\n" + "x" * 50_000
    await store.save_pack(GUILD, "unicode", text, uploaded_by=1, uploaded_at=1.0)
    saved = await store.get_pack(GUILD, "unicode")
    assert saved is not None and saved.yaml_text == text


# -- question history (no repeats) ----------------------------------------------------------------


async def test_asked_questions_accumulate_per_guild_and_pack(store: Store) -> None:
    assert await store.asked_questions(GUILD, "p") == frozenset()
    await store.record_asked(GUILD, "p", ["q1", "q2"], 1.0, starts_over=False)
    await store.record_asked(GUILD, "p", ["q2", "q3"], 2.0, starts_over=False)
    await store.record_asked(GUILD, "other", ["q9"], 2.0, starts_over=False)
    await store.record_asked(OTHER_GUILD, "p", ["q4"], 2.0, starts_over=False)
    assert await store.asked_questions(GUILD, "p") == {"q1", "q2", "q3"}
    assert await store.asked_questions(GUILD, "other") == {"q9"}
    assert await store.asked_questions(OTHER_GUILD, "p") == {"q4"}


async def test_starting_over_forgets_the_earlier_history_of_that_pack_only(store: Store) -> None:
    await store.record_asked(GUILD, "p", ["q1", "q2"], 1.0, starts_over=False)
    await store.record_asked(GUILD, "other", ["q9"], 1.0, starts_over=False)
    await store.record_asked(GUILD, "p", ["q1", "q3"], 2.0, starts_over=True)
    assert await store.asked_questions(GUILD, "p") == {"q1", "q3"}
    assert await store.asked_questions(GUILD, "other") == {"q9"}


# -- question reports ---------------------------------------------------------------------------


async def report(
    store: Store,
    user_id: int,
    question_id: str = "beats/q1",
    *,
    guild_id: int = GUILD,
    reason: ReportReason = ReportReason.WRONG_ANSWER,
    comment: str = "",
    at: float = 1_000.0,
) -> Report | None:
    return await store.add_report(
        guild_id=guild_id,
        pack_id=question_id.split("/")[0],
        question_id=question_id,
        prompt=f"Prompt of {question_id}?",
        user_id=user_id,
        reason=reason,
        comment=comment,
        reported_at=at,
    )


async def test_a_report_round_trips(store: Store) -> None:
    stored = await report(store, 7, reason=ReportReason.OFFENSIVE, comment="Ça « dérange » 🎛️; 'quoted'")
    assert stored is not None
    assert stored == await store.get_report(GUILD, stored.id)
    assert stored.reason is ReportReason.OFFENSIVE and stored.comment == "Ça « dérange » 🎛️; 'quoted'"
    assert (stored.pack_id, stored.question_id, stored.prompt, stored.user_id) == (
        "beats",
        "beats/q1",
        "Prompt of beats/q1?",
        7,
    )
    assert await store.get_report(OTHER_GUILD, stored.id) is None


async def test_a_player_cannot_report_the_same_question_twice_while_it_is_open(store: Store) -> None:
    assert await report(store, 7) is not None
    assert await report(store, 7, reason=ReportReason.UNCLEAR, at=1_001.0) is None
    assert await report(store, 8) is not None  # another player
    assert await report(store, 7, "beats/q2") is not None  # another question
    assert await report(store, 7, guild_id=OTHER_GUILD) is not None  # another server
    assert len(await store.open_reports(GUILD)) == 3
    # Once dismissed, the question may be reported again (it may have been changed since).
    await store.dismiss_reports(GUILD, "beats/q1", dismissed_by=99, dismissed_at=1_002.0)
    assert await report(store, 7, at=1_003.0) is not None


async def test_open_reports_are_newest_first_per_server_and_pack(store: Store) -> None:
    await report(store, 1, "beats/q1", at=10.0)
    await report(store, 2, "zydeco/q9", at=30.0)
    await report(store, 3, "beats/q2", at=20.0)
    await report(store, 4, "beats/q3", at=5.0, guild_id=OTHER_GUILD)
    assert [r.user_id for r in await store.open_reports(GUILD)] == [2, 3, 1]
    assert [r.user_id for r in await store.open_reports(GUILD, "beats")] == [3, 1]
    assert [r.user_id for r in await store.open_reports(GUILD, limit=1)] == [2]
    assert [r.user_id for r in await store.open_reports(OTHER_GUILD)] == [4]


async def test_report_times_are_the_players_own_in_this_server_since_a_time(store: Store) -> None:
    for at, question in ((100.0, "beats/q1"), (200.0, "beats/q2"), (300.0, "beats/q3")):
        await report(store, 7, question, at=at)
    await report(store, 8, "beats/q4", at=250.0)
    await report(store, 7, "beats/q5", at=260.0, guild_id=OTHER_GUILD)
    await store.dismiss_reports(GUILD, "beats/q2", dismissed_by=99, dismissed_at=400.0)
    # A dismissed report still counts towards the rate limit.
    assert await store.report_times(GUILD, 7, since=150.0) == [200.0, 300.0]


async def test_disabling_a_question_resolves_its_reports_and_lists_it(store: Store) -> None:
    await report(store, 1, "beats/q1")
    await report(store, 2, "beats/q1")
    await report(store, 3, "beats/q2")
    assert await store.disabled_questions(GUILD) == frozenset()
    assert await store.disable_question(GUILD, "beats/q1", "beats", disabled_by=99, disabled_at=2_000.0) == 2
    assert await store.disabled_questions(GUILD) == frozenset({"beats/q1"})
    assert await store.disabled_questions(OTHER_GUILD) == frozenset()
    assert [r.question_id for r in await store.open_reports(GUILD)] == ["beats/q2"]
    # Disabling again changes nothing and resolves nothing more.
    assert await store.disable_question(GUILD, "beats/q1", "beats", disabled_by=98, disabled_at=3_000.0) == 0
    assert await store.disabled_questions(GUILD) == frozenset({"beats/q1"})


async def test_dismissing_keeps_the_question_playable(store: Store) -> None:
    await report(store, 1, "beats/q1")
    assert await store.dismiss_reports(GUILD, "beats/q1", dismissed_by=99, dismissed_at=2_000.0) == 1
    assert await store.open_reports(GUILD) == []
    assert await store.disabled_questions(GUILD) == frozenset()
    assert await store.dismiss_reports(GUILD, "beats/q1", dismissed_by=99, dismissed_at=2_001.0) == 0


# -- the daily question -------------------------------------------------------------------------

DAY = date(2026, 11, 25)


def daily(user_id: int, correct: bool, *, choice: str = "Akira", question: str = "q-daily") -> DailyAnswer:
    return DailyAnswer(
        user_id=user_id,
        display_name=f"player{user_id}",
        question_id=question,
        choice=choice,
        correct=correct,
        answered_at=1_000.0,
    )


async def test_the_first_pinned_daily_question_stays(store: Store) -> None:
    assert await store.daily_question(GUILD, DAY) is None
    assert await store.pin_daily_question(GUILD, DAY, "q1") == "q1"
    assert await store.pin_daily_question(GUILD, DAY, "q2") == "q1"
    assert await store.daily_question(GUILD, DAY) == "q1"
    assert await store.daily_question(OTHER_GUILD, DAY) is None
    assert await store.daily_question(GUILD, DAY + timedelta(days=1)) is None


async def test_one_daily_answer_per_player_per_day(store: Store) -> None:
    assert await store.record_daily_answer(GUILD, DAY, daily(1, True)) is True
    assert await store.record_daily_answer(GUILD, DAY, daily(1, False, choice="Heat")) is False
    kept = await store.daily_answer(GUILD, DAY, 1)
    assert kept is not None and (kept.choice, kept.correct) == ("Akira", True)
    # Another server, another day: separate answers.
    assert await store.record_daily_answer(OTHER_GUILD, DAY, daily(1, False)) is True
    assert await store.record_daily_answer(GUILD, DAY + timedelta(days=1), daily(1, False)) is True
    assert await store.daily_answer(GUILD, DAY, 2) is None


async def test_daily_tally_counts_answers_and_right_ones(store: Store) -> None:
    assert await store.daily_tally(GUILD, DAY) == DailyTally(answered=0, right=0)
    await store.record_daily_answer(GUILD, DAY, daily(1, True))
    await store.record_daily_answer(GUILD, DAY, daily(2, False))
    await store.record_daily_answer(GUILD, DAY, daily(3, True))
    await store.record_daily_answer(OTHER_GUILD, DAY, daily(4, True))
    assert await store.daily_tally(GUILD, DAY) == DailyTally(answered=3, right=2)


async def test_daily_streak_follows_next_streak(store: Store) -> None:
    assert await store.daily_streak(GUILD, 1) is None
    outcomes = [(0, True), (1, True), (2, True), (3, False), (4, True), (6, True), (7, True)]
    model = None
    for offset, correct in outcomes:
        day = DAY + timedelta(days=offset)
        await store.record_daily_answer(GUILD, day, daily(1, correct))
        model = next_streak(model, day, correct)
        assert await store.daily_streak(GUILD, 1) == model
    assert model == DailyStreak(current=2, best=3, last_right_day=DAY + timedelta(days=7))
    # A refused second answer leaves the streak alone.
    await store.record_daily_answer(GUILD, DAY + timedelta(days=7), daily(1, False))
    assert await store.daily_streak(GUILD, 1) == model
    assert await store.daily_streak(OTHER_GUILD, 1) is None


async def test_daily_channel_settings_and_one_post_per_day(store: Store) -> None:
    assert await store.daily_channels() == []
    assert await store.claim_daily_post(GUILD, DAY) is False  # no channel set
    await store.set_daily_channel(GUILD, 77, 9)
    assert await store.daily_channels() == [DailyChannel(GUILD, 77, 9, None)]
    assert await store.claim_daily_post(GUILD, DAY) is True
    assert await store.claim_daily_post(GUILD, DAY) is False
    # Moving the channel or the hour keeps the posted day, so today is not posted again.
    await store.set_daily_channel(GUILD, 78, 10)
    assert await store.daily_channels() == [DailyChannel(GUILD, 78, 10, DAY)]
    assert await store.claim_daily_post(GUILD, DAY) is False
    assert await store.claim_daily_post(GUILD, DAY + timedelta(days=1)) is True
    assert await store.clear_daily_channel(GUILD) is True
    assert await store.clear_daily_channel(GUILD) is False
    assert await store.daily_channels() == []


async def test_daily_channels_of_some_shards(store: Store) -> None:
    on_0, on_1 = on_shard(0, 2), on_shard(1, 2)
    for guild_id in (on_1, on_0):
        await store.set_daily_channel(guild_id, 77, 9)
    assert [s.guild_id for s in await store.daily_channels(ShardScope(2, (0,)))] == [on_0]
    assert [s.guild_id for s in await store.daily_channels(ShardScope(2, (1,)))] == [on_1]
    assert [s.guild_id for s in await store.daily_channels(ShardScope(2, (0, 1)))] == [on_0, on_1]
    assert [s.guild_id for s in await store.daily_channels()] == [on_0, on_1]


async def test_daily_channel_hour_must_be_an_hour(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.set_daily_channel(GUILD, 77, 24)


# -- a player's data and a server's reset ---------------------------------------------------------


async def _played(store: Store, guild_id: int, *, finished: bool = True) -> int:
    """A game in ``guild_id``: players 1, 2 and 3 answer two questions; 1 wins."""
    game = await new_game(store, guild_id)
    await store.record_answers(game, guild_id, [answer(1, True, 30), answer(2, True, 20), answer(3, False)])
    await store.record_answers(
        game, guild_id, [answer(1, True, 30, question="q2"), answer(2, False, question="q2"), answer(3, True, 5)]
    )
    if finished:
        await store.finish_game(game, guild_id, 2_000.0, [result(1, won=True), result(2), result(3)], stopped=False)
    return game


async def _report(store: Store, guild_id: int, user_id: int, question: str = "q1") -> Report | None:
    return await store.add_report(
        guild_id=guild_id,
        pack_id="samples-101",
        question_id=question,
        prompt="Which song ...?",
        user_id=user_id,
        reason=ReportReason.UNCLEAR,
        comment="",
        reported_at=1_100.0,
    )


async def test_forgetting_a_player_in_a_server_removes_their_data_and_keeps_everyone_elses(store: Store) -> None:
    for guild in (GUILD, OTHER_GUILD):
        await _played(store, guild)
        await store.end_season(guild, 1, ended_at=1_500.0)
        await _played(store, guild)  # season 2
        await store.record_daily_answer(guild, DAY, daily(1, True))
        await store.record_daily_answer(guild, DAY, daily(2, False))
        await _report(store, guild, 1)
        await _report(store, guild, 2)
    # Player 1 is also a moderator here: they uploaded a pack and disabled a question.
    await store.save_pack(GUILD, "uploaded", "id: uploaded\n", uploaded_by=1, uploaded_at=900.0)
    await store.disable_question(GUILD, "q9", "samples-101", disabled_by=1, disabled_at=1_200.0)
    others_before = [await store.player_stats(GUILD, user) for user in (2, 3)]

    erased = await store.forget_player(1, GUILD)

    assert erased.deleted == {
        "answers": 4,
        "players": 1,
        "season_standings": 1,
        "daily_answers": 1,
        "daily_streaks": 1,
        "question_reports": 1,
    }
    assert erased.anonymised == 2 and erased.total == 9
    assert await store.player_stats(GUILD, 1) is None
    assert await store.standing(GUILD, 1, Scope()) is None
    assert await store.daily_answer(GUILD, DAY, 1) is None and await store.daily_streak(GUILD, 1) is None
    assert await store.daily_tally(GUILD, DAY) == DailyTally(answered=1, right=0)
    assert await store.report_times(GUILD, 1, since=0.0) == []
    assert [report.user_id for report in await store.open_reports(GUILD)] == [2]
    # The others keep their totals, games and wins, and move up the boards.
    assert [await store.player_stats(GUILD, user) for user in (2, 3)] == [
        replace(stats, rank=rank) for stats, rank in zip(others_before, (1, 2), strict=True) if stats is not None
    ]
    assert [row.user_id for row in await store.leaderboard(GUILD)] == [2, 3]
    archived = await store.standings(GUILD, Scope(season=1))
    assert [(row.rank, row.user_id) for row in archived] == [(1, 2), (2, 3)]
    assert (await store.seasons(GUILD))[0].players == 2
    # What the server owns stays, without the player's id.
    pack = await store.get_pack(GUILD, "uploaded")
    assert pack is not None and pack.uploaded_by == 0
    assert await store.disabled_questions(GUILD) == frozenset({"q9"})
    # In the other server nothing changed.
    stats = await store.player_stats(OTHER_GUILD, 1)
    assert stats is not None and (stats.points, stats.games, stats.wins) == (120, 2, 2)
    assert (await store.seasons(OTHER_GUILD))[0].players == 3
    assert await store.daily_answer(OTHER_GUILD, DAY, 1) is not None
    # Forgetting again finds nothing; playing again starts afresh.
    assert (await store.forget_player(1, GUILD)).total == 0
    game = await new_game(store)
    await store.record_answers(game, GUILD, [answer(1, True, 10, question="q3")])
    stats = await store.player_stats(GUILD, 1)
    assert stats is not None and (stats.points, stats.answered, stats.games) == (10, 1, 0)


async def test_forgetting_a_player_everywhere_reaches_every_server(store: Store) -> None:
    for guild in (GUILD, OTHER_GUILD):
        await _played(store, guild)
        await store.end_season(guild, 1, ended_at=1_500.0)
        await store.record_daily_answer(guild, DAY, daily(1, True))
    # A server where they only answered the daily question, and one where they only uploaded a pack.
    await store.record_daily_answer(3003, DAY, daily(1, False))
    await store.save_pack(4004, "uploaded", "id: uploaded\n", uploaded_by=1, uploaded_at=900.0)

    erased = await store.forget_player(1)

    assert erased.deleted == {
        "answers": 4,
        "players": 2,
        "season_standings": 2,
        "daily_answers": 3,
        "daily_streaks": 3,
    }
    assert erased.anonymised == 1
    assert await store.daily_answer(3003, DAY, 1) is None
    pack = await store.get_pack(4004, "uploaded")
    assert pack is not None and pack.uploaded_by == 0
    for guild in (GUILD, OTHER_GUILD):
        assert await store.player_stats(guild, 1) is None
        assert [row.user_id for row in await store.leaderboard(guild)] == [2, 3]
        assert [(row.rank, row.user_id) for row in await store.standings(guild, Scope(season=1))] == [(1, 2), (2, 3)]


async def test_forgetting_someone_nobody_knows_changes_nothing(store: Store) -> None:
    await _played(store, GUILD)
    erased = await store.forget_player(42)
    assert erased.total == 0 and erased.anonymised == 0
    assert len(await store.leaderboard(GUILD)) == 3


async def test_resetting_a_server_wipes_its_boards_and_keeps_its_packs_and_settings(store: Store) -> None:
    for guild in (GUILD, OTHER_GUILD):
        await _played(store, guild)
        await store.end_season(guild, 1, ended_at=1_500.0)
        await _played(store, guild)
        await store.record_daily_answer(guild, DAY, daily(1, True))
        await store.pin_daily_question(guild, DAY, "q-daily")
        await store.set_daily_channel(guild, 77, 9)
        await store.save_pack(guild, "uploaded", "id: uploaded\n", uploaded_by=7, uploaded_at=900.0)
        await store.disable_question(guild, "q9", "samples-101", disabled_by=7, disabled_at=1_200.0)
        await _report(store, guild, 2)
        await store.record_asked(guild, "samples-101", ["q1"], 1_000.0, starts_over=False)
    running = await _played(store, GUILD, finished=False)
    other_board = await store.leaderboard(OTHER_GUILD)

    erased = await store.reset_guild(GUILD)

    assert erased.deleted == {
        "answers": 18,
        "games": 2,
        "players": 3,
        "season_standings": 3,
        "seasons": 1,
        "daily_answers": 1,
        "daily_streaks": 1,
    }
    assert await store.leaderboard(GUILD) == []
    assert await store.standings(GUILD, Scope()) == [] and await store.player_stats(GUILD, 1) is None
    assert await store.seasons(GUILD) == []
    assert (await store.current_season(GUILD)).number == 1
    assert await store.daily_streak(GUILD, 1) is None
    assert await store.daily_answer(GUILD, DAY, 1) is None
    # The server's packs, moderation, settings and question history stay.
    assert await store.get_pack(GUILD, "uploaded") is not None
    assert await store.disabled_questions(GUILD) == frozenset({"q9"})
    assert len(await store.open_reports(GUILD)) == 1
    assert await store.daily_question(GUILD, DAY) == "q-daily"
    assert await store.daily_channels() == [DailyChannel(GUILD, 77, 9, None), DailyChannel(OTHER_GUILD, 77, 9, None)]
    assert await store.asked_questions(GUILD, "samples-101") == frozenset({"q1"})
    # The other server is untouched.
    assert await store.leaderboard(OTHER_GUILD) == other_board
    assert len(await store.seasons(OTHER_GUILD)) == 1
    # The game that was running goes on; only what it scores after the reset counts.
    await store.record_answers(running, GUILD, [answer(2, True, 15, question="q3")])
    await store.finish_game(running, GUILD, 2_000.0, [result(1), result(2, won=True)], stopped=False)
    assert [(row.user_id, row.points, row.games, row.wins) for row in await store.leaderboard(GUILD)] == [
        (2, 15, 1, 1),
        (1, 0, 1, 0),
    ]
