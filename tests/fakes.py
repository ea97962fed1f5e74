"""Test doubles shared across the test suite: a clock you move by hand, virtual time for async code,
and an in-memory ``Store``.

They exist so that game and session tests never sleep and never touch a database: time only passes
when a test says so, and every storage call is recorded in order for assertions such as "the score
was saved before it was announced".
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.storage.base import (
    GameScope,
    LeaderboardRow,
    OneChannel,
    PlayerResult,
    PlayerStats,
    ScoredAnswer,
    StoredPack,
    UnfinishedGame,
)
from bot.storage.errors import GameAlreadyRunning


class FakeClock:
    """A clock that stands still until ``advance`` is called; pass it wherever a ``time.monotonic`` goes."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class VirtualTime:
    """Instant, deterministic time for async code: an injectable ``sleep`` that jumps the clock ahead
    instead of waiting, plus actions scheduled at virtual times (scripted players, a stop command).

    ``sleep`` runs any scheduled action that falls inside the requested delay, at its time, and then
    returns early, the way a real sleeper is woken by something happening; callers that re-check
    their deadline after waking (as the session runner does) behave exactly as in real time.
    """

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self._scheduled: list[tuple[float, int, Callable[[], Awaitable[object]]]] = []
        self._order = itertools.count()
        self.sleeps: list[float] = []

    def at(self, when: float, action: Callable[[], Awaitable[object]]) -> None:
        heapq.heappush(self._scheduled, (when, next(self._order), action))

    def after(self, delay: float, action: Callable[[], Awaitable[object]]) -> None:
        self.at(self.clock.now + delay, action)

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        target = self.clock.now + max(delay, 0.0)
        if self._scheduled and self._scheduled[0][0] <= target:
            when, _, action = heapq.heappop(self._scheduled)
            self.clock.now = max(self.clock.now, when)
            await action()
        else:
            self.clock.now = target
        await asyncio.sleep(0)


@dataclass
class _PlayerTotals:
    display_name: str
    points: int = 0
    correct: int = 0
    answered: int = 0
    games: int = 0
    wins: int = 0
    best_streak: int = 0
    current_streak: int = 0


@dataclass
class FakeStore:
    """In-memory ``Store``. ``log`` records every call in order as ``(method, args...)`` tuples; pass a
    shared list to interleave them with a test's own records. Name a method in ``fail`` to make it raise."""

    log: list[tuple] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)
    games: dict[int, dict] = field(default_factory=dict)
    answers: list[tuple[int, int, ScoredAnswer]] = field(default_factory=list)
    totals: dict[tuple[int, int], _PlayerTotals] = field(default_factory=dict)
    packs: dict[tuple[int, str], StoredPack] = field(default_factory=dict)
    pack_revisions: dict[int, int] = field(default_factory=dict)
    asked: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    is_open: bool = False

    def _call(self, method: str, *args: object) -> None:
        self.log.append((method, *args))
        if method in self.fail:
            raise RuntimeError(f"{method} failed (FakeStore told to fail)")

    async def open(self) -> None:
        self._call("open")
        self.is_open = True

    async def close(self) -> None:
        self._call("close")
        self.is_open = False

    async def start_game(self, guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float) -> int:
        self._call("start_game", guild_id, channel_id, pack_id, mode, started_at)
        for running, game in self.games.items():
            if game["finished_at"] is None and (game["guild_id"], game["channel_id"]) == (guild_id, channel_id):
                raise GameAlreadyRunning(guild_id, channel_id, running)
        game_id = len(self.games) + 1
        self.games[game_id] = {
            "guild_id": guild_id,
            "channel_id": channel_id,
            "pack_id": pack_id,
            "mode": mode,
            "started_at": started_at,
            "finished_at": None,
            "stopped": None,
            "results": (),
        }
        return game_id

    async def record_answers(
        self, game_id: int, guild_id: int, answers: Sequence[ScoredAnswer], missed: Sequence[int] = ()
    ) -> None:
        self._call("record_answers", game_id, guild_id, tuple(answers), tuple(missed))
        for user_id in missed:
            if (guild_id, user_id) in self.totals:
                self.totals[(guild_id, user_id)].current_streak = 0
        for answer in answers:
            self.answers.append((game_id, guild_id, answer))
            totals = self._totals(guild_id, answer.user_id, answer.display_name)
            totals.points += answer.points
            totals.answered += 1
            if answer.correct:
                totals.correct += 1
                totals.current_streak += 1
                totals.best_streak = max(totals.best_streak, totals.current_streak)
            else:
                totals.current_streak = 0

    async def finish_game(
        self, game_id: int, guild_id: int, finished_at: float, results: Sequence[PlayerResult], stopped: bool
    ) -> None:
        self._call("finish_game", game_id, guild_id, finished_at, tuple(results), stopped)
        game = self.games[game_id]
        if game["finished_at"] is not None:  # as the contract says: never counted twice
            return
        game.update(finished_at=finished_at, stopped=stopped, results=tuple(results))
        for result in results:
            totals = self._totals(guild_id, result.user_id, result.display_name)
            totals.games += 1
            totals.wins += result.won

    async def close_interrupted_games(self, finished_at: float, started_before: float, scope: GameScope) -> int:
        self._call("close_interrupted_games", finished_at, started_before, scope)
        closed = 0
        for game_id, game in self.games.items():
            if isinstance(scope, OneChannel):
                in_scope = (game["guild_id"], game["channel_id"]) == (scope.guild_id, scope.channel_id)
            else:
                in_scope = game["guild_id"] > 0 and scope.owns(game["guild_id"])
            if in_scope and game["finished_at"] is None and game["started_at"] < started_before:
                game.update(finished_at=finished_at, interrupted=True)
                closed += 1
                for guild_id, user_id in {(g, a.user_id) for gid, g, a in self.answers if gid == game_id}:
                    self.totals[(guild_id, user_id)].games += 1
        return closed

    async def unfinished_games(self, guild_id: int) -> list[UnfinishedGame]:
        self._call("unfinished_games", guild_id)
        return sorted(
            (
                UnfinishedGame(game_id, game["channel_id"], game["started_at"])
                for game_id, game in self.games.items()
                if game["guild_id"] == guild_id and game["finished_at"] is None
            ),
            key=lambda game: (game.started_at, game.game_id),
        )

    async def asked_questions(self, guild_id: int, pack_id: str) -> frozenset[str]:
        self._call("asked_questions", guild_id, pack_id)
        return frozenset(self.asked.get((guild_id, pack_id), ()))

    async def record_asked(
        self, guild_id: int, pack_id: str, question_ids: Sequence[str], asked_at: float, *, starts_over: bool
    ) -> None:
        self._call("record_asked", guild_id, pack_id, tuple(question_ids), asked_at, starts_over)
        history = self.asked.setdefault((guild_id, pack_id), set())
        if starts_over:
            history.clear()
        history.update(question_ids)

    async def leaderboard(self, guild_id: int, limit: int = 10) -> list[LeaderboardRow]:
        self._call("leaderboard", guild_id, limit)
        rows = sorted(
            ((user_id, totals) for (guild, user_id), totals in self.totals.items() if guild == guild_id),
            key=lambda row: (-row[1].points, -row[1].correct, row[1].display_name),
        )
        return [
            LeaderboardRow(rank, user_id, t.display_name, t.points, t.correct, t.games, t.wins)
            for rank, (user_id, t) in enumerate(rows[:limit], start=1)
        ]

    async def player_stats(self, guild_id: int, user_id: int) -> PlayerStats | None:
        self._call("player_stats", guild_id, user_id)
        totals = self.totals.get((guild_id, user_id))
        if totals is None:
            return None
        board = await self.leaderboard(guild_id, limit=len(self.totals))
        rank = next((row.rank for row in board if row.user_id == user_id), None)
        return PlayerStats(
            user_id,
            totals.display_name,
            totals.points,
            totals.correct,
            totals.answered,
            totals.games,
            totals.wins,
            totals.best_streak,
            totals.current_streak,
            rank,
        )

    async def save_pack(
        self, guild_id: int, pack_id: str, yaml_text: str, uploaded_by: int, uploaded_at: float
    ) -> None:
        self._call("save_pack", guild_id, pack_id, uploaded_by, uploaded_at)
        self.packs[(guild_id, pack_id)] = StoredPack(guild_id, pack_id, yaml_text, uploaded_by, uploaded_at)
        self.pack_revisions[guild_id] = self.pack_revisions.get(guild_id, 0) + 1

    async def remove_pack(self, guild_id: int, pack_id: str) -> bool:
        self._call("remove_pack", guild_id, pack_id)
        removed = self.packs.pop((guild_id, pack_id), None) is not None
        if removed:
            self.pack_revisions[guild_id] = self.pack_revisions.get(guild_id, 0) + 1
        return removed

    async def pack_revision(self, guild_id: int) -> int:
        self._call("pack_revision", guild_id)
        return self.pack_revisions.get(guild_id, 0)

    async def get_pack(self, guild_id: int, pack_id: str) -> StoredPack | None:
        self._call("get_pack", guild_id, pack_id)
        return self.packs.get((guild_id, pack_id))

    async def list_packs(self, guild_id: int) -> list[StoredPack]:
        self._call("list_packs", guild_id)
        return sorted((p for (g, _), p in self.packs.items() if g == guild_id), key=lambda p: p.pack_id)

    def _totals(self, guild_id: int, user_id: int, display_name: str) -> _PlayerTotals:
        totals = self.totals.setdefault((guild_id, user_id), _PlayerTotals(display_name))
        totals.display_name = display_name
        return totals
