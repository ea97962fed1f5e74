"""How long `crate-digger db copy` takes to move a busy SQLite database into PostgreSQL, verification included.

Builds a SQLite database through the store (the schema, every migration applied), fills it with
``--answers`` answers from 50 players in 20 servers, 20 answers a game (raw inserts: filling is not what is
measured), then copies it into a throwaway PostgreSQL server started here with fsync on (or ``--url``, an
EMPTY database of your own). Run from the repository root:

    .venv/bin/python bench/db_copy.py [--answers 200000] [--url postgresql://...]

Prints the figures, the last line as one JSON object, and asserts nothing. The CPU time is this process's
(reading SQLite, converting, checksumming); the PostgreSQL server's is not in it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.sqlite import SqliteStore  # noqa: E402
from bot.storage.transfer import copy_sqlite_to_postgres  # noqa: E402

SERVERS = 20
PLAYERS = 50
ANSWERS_PER_GAME = 20


async def build(path: Path, answers: int, rng: random.Random) -> None:
    async with SqliteStore(path):
        pass  # the schema
    games = max(1, answers // ANSWERS_PER_GAME)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO games (id, guild_id, channel_id, pack_id, mode, started_at, finished_at)"
            " VALUES (?, ?, 55, 'samples-101', 'classic', ?, ?)",
            [(game, 1 + game % SERVERS, 1_000.0 + game, 1_060.0 + game) for game in range(1, games + 1)],
        )
        rows = []
        for index in range(answers):
            game = 1 + index // ANSWERS_PER_GAME
            correct = rng.random() < 0.6
            rows.append(
                (
                    game,
                    1 + game % SERVERS,
                    rng.randrange(PLAYERS),
                    f"q{index % 400}",
                    correct,
                    10 if correct else 0,
                    1_000.0 + index / 10,
                )
            )
        conn.executemany(
            "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT INTO players (guild_id, user_id, display_name, points, correct, answered, games)"
            " SELECT guild_id, user_id, 'player' || user_id, SUM(points), SUM(correct), COUNT(*),"
            " COUNT(DISTINCT game_id) FROM answers GROUP BY guild_id, user_id"
        )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so its size is the data's


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200_000)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a throwaway server started here)")
    args = parser.parse_args()

    server = None
    if args.url is None:
        from tests.postgres_server import PostgresServer

        server = PostgresServer.start(durable=True)
    try:
        url = args.url or await server.create_database()
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "crate.db"
            await build(source, args.answers, random.Random(7))
            size_mb = source.stat().st_size / 2**20
            wall, cpu = time.perf_counter(), time.process_time()
            report = await copy_sqlite_to_postgres(source, url)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        if server is not None:
            server.stop()

    load = os.getloadavg()[0]
    print(
        f"copied {report.rows} rows ({size_mb:.1f} MB of SQLite) in {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"({report.rows / wall:,.0f} rows/s), verified; load average {load:.1f} on {os.cpu_count()} cores"
    )
    print(
        json.dumps(
            {
                "rows": report.rows,
                "answers": args.answers,
                "sqlite_mb": round(size_mb, 1),
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "rows_per_s": round(report.rows / wall),
                "load_average": round(load, 1),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
