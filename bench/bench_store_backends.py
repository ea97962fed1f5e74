"""The same 1,000-game workload against SQLite (one process) and PostgreSQL (one and two processes).

Each game is what a channel's round does to the store: start it, close 5 questions (a batch of 1 to 5
answers from the server's 50 players, and the players who let it pass as misses), finish it with
everyone who answered, then read the leaderboard. Games are spread over 20 servers; each process plays
8 games at a time, as 8 busy channels would. The PostgreSQL server is a throwaway one started here from
Debian's binaries with fsync on, as a real server runs (or pass --url to use your own, whose tables
Crate Digger then writes to). Run from the repository root:

    .venv/bin/python bench/bench_store_backends.py [--games 1000] [--concurrency 8] [--url postgresql://...]

Figures depend on the machine and its disk (every commit is a WAL write; PostgreSQL's are fsync'd). It
prints them, the last line as one JSON object, and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.base import PlayerResult, ScoredAnswer, Store  # noqa: E402
from bot.storage.postgres import PostgresStore  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402

GUILDS = 20
PLAYERS_PER_GUILD = 50
QUESTIONS = 5


@dataclass(frozen=True)
class GamePlan:
    guild_id: int
    channel_id: int
    batches: tuple[tuple[tuple[ScoredAnswer, ...], tuple[int, ...]], ...]  # (answers, missed) per question


def plan_games(count: int, seed: int) -> list[GamePlan]:
    rng = random.Random(seed)
    plans = []
    for number in range(count):
        guild_id = 1 + number % GUILDS
        in_game = rng.sample(range(1, PLAYERS_PER_GUILD + 1), rng.randint(2, 6))
        batches = []
        for question in range(QUESTIONS):
            answering = rng.sample(in_game, rng.randint(1, min(5, len(in_game))))
            answers = tuple(
                ScoredAnswer(
                    user_id=guild_id * 1_000 + user,
                    display_name=f"player{user}",
                    question_id=f"g{number}q{question}",
                    correct=(correct := rng.random() < 0.6),
                    points=rng.randint(5, 20) if correct else 0,
                    answered_at=time.time(),
                )
                for user in answering
            )
            missed = tuple(guild_id * 1_000 + user for user in in_game if user not in answering)
            batches.append((answers, missed))
        # A channel of its own per game: a channel runs one game at a time, and games overlap here.
        plans.append(GamePlan(guild_id, 100 + number, tuple(batches)))
    return plans


@dataclass
class Timings:
    record_answers: list[float]
    finish_game: list[float]
    leaderboard: list[float]


async def play(store: Store, plan: GamePlan, timings: Timings) -> None:
    game = await store.start_game(plan.guild_id, plan.channel_id, "bench", "choices", time.time())
    players: dict[int, str] = {}
    for answers, missed in plan.batches:
        started = time.perf_counter()
        await store.record_answers(game, plan.guild_id, answers, missed)
        timings.record_answers.append(time.perf_counter() - started)
        players.update((answer.user_id, answer.display_name) for answer in answers)
    results = [PlayerResult(user, name, 0, 0, index == 0) for index, (user, name) in enumerate(sorted(players.items()))]
    started = time.perf_counter()
    await store.finish_game(game, plan.guild_id, time.time(), results, stopped=False)
    timings.finish_game.append(time.perf_counter() - started)
    started = time.perf_counter()
    await store.leaderboard(plan.guild_id)
    timings.leaderboard.append(time.perf_counter() - started)


async def run_process(store: Store, plans: list[GamePlan], concurrency: int) -> tuple[Timings, float]:
    timings = Timings([], [], [])
    queue: asyncio.Queue[GamePlan] = asyncio.Queue()
    for plan in plans:
        queue.put_nowait(plan)

    async def channel() -> None:
        while not queue.empty():
            await play(store, queue.get_nowait(), timings)

    async with store:  # type: ignore[attr-defined]  # both stores are async context managers
        started = time.perf_counter()
        await asyncio.gather(*(channel() for _ in range(concurrency)))
        return timings, time.perf_counter() - started


def _postgres_worker(url: str, plans: list[GamePlan], concurrency: int, start_at: float) -> tuple[Timings, float]:
    # Every process waits for the same moment, so the two really run at once.
    time.sleep(max(0.0, start_at - time.time()))
    return asyncio.run(run_process(PostgresStore(url), plans, concurrency))


def summarise(label: str, processes: int, results: list[tuple[Timings, float]], games: int) -> dict:
    record = sorted(value for timings, _ in results for value in timings.record_answers)
    finish = sorted(value for timings, _ in results for value in timings.finish_game)
    board = sorted(value for timings, _ in results for value in timings.leaderboard)
    wall = max(seconds for _, seconds in results)

    def percentile(values: list[float], fraction: float) -> float:
        return values[min(len(values) - 1, int(fraction * len(values)))] * 1000

    figures = {
        "store": label,
        "processes": processes,
        "games": games,
        "seconds": round(wall, 2),
        "games_per_second": round(games / wall, 1),
        "record_answers_ms_p50": round(statistics.median(record) * 1000, 2),
        "record_answers_ms_p99": round(percentile(record, 0.99), 2),
        "finish_game_ms_p50": round(statistics.median(finish) * 1000, 2),
        "leaderboard_ms_p50": round(statistics.median(board) * 1000, 2),
    }
    print(
        f"{label:>10} x{processes}: {games} games in {wall:.2f} s ({figures['games_per_second']} games/s); "
        f"record_answers p50 {figures['record_answers_ms_p50']} ms, p99 {figures['record_answers_ms_p99']} ms; "
        f"finish_game p50 {figures['finish_game_ms_p50']} ms; leaderboard p50 {figures['leaderboard_ms_p50']} ms"
    )
    return figures


def bench_postgres(url: str, plans: list[GamePlan], processes: int, concurrency: int) -> dict:
    shares = [plans[index::processes] for index in range(processes)]
    start_at = time.time() + 2.0  # time for the workers to start and import
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_postgres_worker, [(url, share, concurrency, start_at) for share in shares])
    return summarise("postgresql", processes, results, len(plans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=8, help="games at once per process")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--url", help="an existing PostgreSQL database to use instead of a throwaway server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    plans = plan_games(args.games, args.seed)
    figures = []

    with tempfile.TemporaryDirectory(prefix="crate-digger-bench-") as folder:
        store = SqliteStore(Path(folder) / "bench.db")
        figures.append(summarise("sqlite", 1, [asyncio.run(run_process(store, plans, args.concurrency))], len(plans)))

    server = None
    url = args.url
    if url is None:
        from tests.postgres_server import PostgresServer

        server = PostgresServer.start(durable=True)
        url = server.url()
    try:
        for processes in (1, 2):
            if server is not None:
                # Each run starts from an empty database, as the SQLite one did.
                url = asyncio.run(server.create_database())
            figures.append(bench_postgres(url, plans, processes, args.concurrency))
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({"benchmark": "store_backends", "runs": figures}))


if __name__ == "__main__":
    main()
