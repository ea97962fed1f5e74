"""What a database's page size costs the reads users wait for: boards and stats on a big SQLite database.

New databases get 1 KiB pages (``NEW_DATABASE_PAGE_SIZE`` in ``bot/storage/sqlite.py``: each page a
commit changes goes to the WAL whole, so smaller pages write less per answer); databases made before
keep SQLite's default 4 KiB. This builds the same database at each page size (``--answers`` answers in
``SERVERS`` servers of ``PLAYERS`` players each, 20 answers a game, one season ended half way; the
schema through the store, the rows by raw inserts: filling is not what is measured), then times the
store's own read calls on it: the leaderboard (off the players table), a player's stats, and the boards
counted from the answers (all time, a week, a season, a pack) with one player's place on the season's.
Each call runs ``--reads`` times over random servers, on the store's one connection, as ``/leaderboard``
and ``/stats`` do. Run from the repository root:

    .venv/bin/python bench/store_reads.py [--answers 500000] [--reads 50] [--page-sizes 4096,1024]

Prints a line per page size and call (p50 and p99 in ms, CPU time beside wall time, the load average)
and, last, one JSON line. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scores import PACKS, SECONDS_PER_ANSWER, START, fill_scores  # noqa: E402
from bot.storage.base import Scope  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402

SERVERS = 20
PLAYERS = 500


def build(path: Path, page_size: int, answers: int, rng: random.Random) -> None:
    """A database at ``page_size`` with the store's schema and ``answers`` answers, all checkpointed."""
    with sqlite3.connect(path) as conn:
        # A file with a page already written is one the store leaves at its size, as a database from before.
        conn.execute(f"PRAGMA page_size = {page_size:d}")
        conn.execute("PRAGMA journal_mode = WAL")
    fill_scores(path, answers, rng, servers=SERVERS, players=PLAYERS)


def calls(answers: int) -> dict[str, Callable[[SqliteStore, int, int], Awaitable[object]]]:
    """The read calls timed, each given a server and a player."""
    end = START + answers * SECONDS_PER_ANSWER
    last_week = Scope(since=end - 7 * 86_400)
    return {
        "leaderboard": lambda store, guild, user: store.leaderboard(guild, 10),
        "player_stats": lambda store, guild, user: store.player_stats(guild, user),
        "board_all_time": lambda store, guild, user: store.standings(guild, Scope(), 10),
        "board_week": lambda store, guild, user: store.standings(guild, last_week, 10),
        "board_season": lambda store, guild, user: store.standings(guild, Scope(season=2), 10),
        "board_pack": lambda store, guild, user: store.standings(guild, Scope(pack_id=PACKS[0]), 10),
        "standing_season": lambda store, guild, user: store.standing(guild, user, Scope(season=2)),
    }


async def time_reads(path: Path, answers: int, reads: int, seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    figures: dict[str, dict[str, float]] = {}
    async with SqliteStore(path) as store:
        for name, call in calls(answers).items():
            await call(store, 1, 0)  # warm the page cache, as a running bot's is
            wall: list[float] = []
            cpu = time.process_time()
            for _ in range(reads):
                guild, user = 1 + rng.randrange(SERVERS), rng.randrange(PLAYERS)
                started = time.perf_counter()
                await call(store, guild, user)
                wall.append(time.perf_counter() - started)
            cpu = time.process_time() - cpu
            ordered = sorted(wall)
            figures[name] = {
                "p50_ms": round(statistics.median(ordered) * 1000, 2),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2),
                "cpu_ms_per_read": round(cpu / reads * 1000, 2),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=500_000)
    parser.add_argument("--reads", type=int, default=50, help="times each call runs")
    parser.add_argument("--page-sizes", default="4096,1024", help="comma-separated page sizes to compare")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    page_sizes = [int(size) for size in args.page_sizes.split(",")]

    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="crate-digger-reads-") as folder:
        for page_size in page_sizes:
            path = Path(folder) / f"reads-{page_size}.db"
            started = time.perf_counter()
            build(path, page_size, args.answers, random.Random(args.seed))
            built_s = time.perf_counter() - started
            figures = asyncio.run(time_reads(path, args.answers, args.reads, args.seed))
            size_mb = path.stat().st_size / 2**20
            print(f"page size {page_size}: {args.answers:,} answers, {size_mb:.1f} MB, built in {built_s:.1f} s")
            for name, figure in figures.items():
                print(
                    f"  {name:16s} p50 {figure['p50_ms']:7.2f} ms  p99 {figure['p99_ms']:7.2f} ms  "
                    f"CPU {figure['cpu_ms_per_read']:7.2f} ms/read"
                )
            results[str(page_size)] = {"database_mb": round(size_mb, 1), "reads": figures}
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print(json.dumps({"answers": args.answers, "reads": args.reads, "page_sizes": results, "load_average": load}))


if __name__ == "__main__":
    main()
