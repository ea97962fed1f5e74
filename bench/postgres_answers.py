"""What one ``record_answers`` costs on PostgreSQL without contention: wall, bot CPU and server CPU per call.

Calls it one after another on a pool of one connection against a throwaway server with fsync on
(``tests/postgres_server.py``), with one answer and three misses (a text question in a four-player
game) and with one answer alone. The engine bench (``bench/engine.py --postgres``) shows the same
cost under load, where a machine shared with other jobs makes it noisy. Runs in under a minute:
``python bench/postgres_answers.py [CALLS]``; the last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine import PostgresMeter  # noqa: E402
from bot.storage.base import ScoredAnswer  # noqa: E402
from bot.storage.postgres import PostgresStore  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402

GUILD = 1
WARM_UP_CALLS = 50
CASES = {"one answer, three misses": [11, 12, 13], "one answer": []}


async def measure(calls: int) -> dict[str, dict[str, float]]:
    server = PostgresServer.start(durable=True)
    try:
        url = await server.create_database()
        meter = PostgresMeter(server)
        results: dict[str, dict[str, float]] = {}
        async with PostgresStore(url, min_size=1, max_size=1) as store:
            for channel, (case, missed) in enumerate(CASES.items(), start=1):
                game = await store.start_game(GUILD, channel, "pack", "classic", 1.0)

                async def answer(n: int, game: int = game, missed: list[int] = missed) -> None:
                    scored = ScoredAnswer(10 + n % 4, f"p{n % 4}", f"q{n}", n % 3 > 0, 10, 1.0)
                    await store.record_answers(game, GUILD, [scored], missed)

                for n in range(WARM_UP_CALLS):
                    await answer(-1 - n)
                cpu, server_cpu, wall = time.process_time(), meter.cpu_seconds(), time.perf_counter()
                for n in range(calls):
                    await answer(n)
                per_call_ms = 1000 / calls
                results[case] = {
                    "wall_ms": round((time.perf_counter() - wall) * per_call_ms, 3),
                    "bot_cpu_ms": round((time.process_time() - cpu) * per_call_ms, 3),
                    "server_cpu_ms": round((meter.cpu_seconds() - server_cpu) * per_call_ms, 3),
                }
        return results
    finally:
        server.stop()


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    results = asyncio.run(measure(calls))
    for case, figures in results.items():
        wall, bot, server = figures["wall_ms"], figures["bot_cpu_ms"], figures["server_cpu_ms"]
        print(f"{case}: per call {wall} ms wall, {bot} ms bot CPU, {server} ms server CPU")
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"load average {load}")
    print(json.dumps({"calls": calls, "load_average": float(load), **results}))


if __name__ == "__main__":
    main()
