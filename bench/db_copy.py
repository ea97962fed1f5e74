"""How long `crate-digger db copy` takes to move a busy SQLite database into PostgreSQL, verification included.

Builds a SQLite database through the store (the schema, every migration applied), fills it with
``--answers`` answers from 50 players in 20 servers (``bench/scores.py``: raw inserts, filling is not what is
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
import sys
import tempfile
import time
from pathlib import Path

# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scores import fill_scores  # noqa: E402
from bot.storage.transfer import copy_sqlite_to_postgres  # noqa: E402

SERVERS = 20
PLAYERS = 50


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
            await asyncio.to_thread(
                fill_scores, source, args.answers, random.Random(7), servers=SERVERS, players=PLAYERS
            )
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
