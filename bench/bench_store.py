"""Rough per-operation cost of the SQLite store, to know whether it can keep up with a busy server.

A trivia round writes one small batch per question and ``/leaderboard`` reads the top ten, so those
are the two operations timed. Run from the repository root:

    .venv/bin/python bench/bench_store.py [--answers 5000] [--reads 1000]

Figures depend on the disk (every commit is a WAL append, fsync'd only at checkpoints because of
``synchronous=NORMAL``); this prints them and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.base import PlayerResult, ScoredAnswer  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402

log = logging.getLogger(__name__)

GUILD = 1
PLAYERS = 200


async def run(answer_count: int, read_count: int, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="crate-digger-bench-") as folder:
        path = Path(folder) / "bench.db"
        async with SqliteStore(path) as store:
            game = await store.start_game(GUILD, 1, "bench", "classic", time.time())

            batches: list[list[ScoredAnswer]] = []
            remaining = answer_count
            question = 0
            while remaining:
                size = min(rng.randint(1, 5), remaining)
                players = rng.sample(range(1, PLAYERS + 1), size)
                batch = []
                for user_id in players:
                    correct = rng.random() < 0.6
                    batch.append(
                        ScoredAnswer(
                            user_id=user_id,
                            display_name=f"player{user_id}",
                            question_id=f"q{question}",
                            correct=correct,
                            points=rng.randint(5, 20) if correct else 0,
                            answered_at=time.time(),
                        )
                    )
                batches.append(batch)
                remaining -= size
                question += 1

            started = time.perf_counter()
            for batch in batches:
                await store.record_answers(game, GUILD, batch)
            write_seconds = time.perf_counter() - started

            results = [
                PlayerResult(user_id, f"player{user_id}", 0, 0, user_id == 1) for user_id in range(1, PLAYERS + 1)
            ]
            await store.finish_game(game, GUILD, time.time(), results, stopped=False)

            started = time.perf_counter()
            for _ in range(read_count):
                await store.leaderboard(GUILD, limit=10)
            read_seconds = time.perf_counter() - started

            started = time.perf_counter()
            for _ in range(read_count):
                await store.player_stats(GUILD, rng.randint(1, PLAYERS))
            stats_seconds = time.perf_counter() - started

        size_kib = path.stat().st_size / 1024 if path.exists() else 0.0

    print(f"record_answers: {len(batches)} calls, {answer_count} answers ({PLAYERS} players)")
    per_call_ms = write_seconds * 1000 / len(batches)
    per_answer_us = write_seconds * 1e6 / answer_count
    print(f"  {per_call_ms:.3f} ms per call, {per_answer_us:.1f} µs per answer")
    print(f"leaderboard(limit=10): {read_count} calls, {read_seconds * 1000 / read_count:.3f} ms per call")
    print(f"player_stats: {read_count} calls, {stats_seconds * 1000 / read_count:.3f} ms per call")
    print(f"database file after close: {size_kib:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5_000)
    parser.add_argument("--reads", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.answers, args.reads, args.seed))


if __name__ == "__main__":
    main()
