"""Durable scores under load: many concurrent text games on one SQLite store.

Run with ``python bench/engine.py`` (under a minute). Every game is the real ``Game`` driven by a real
``GameSession`` over one ``SqliteStore`` in a temporary folder, on real time (300 s questions, no
hints, no pause), so every right answer closes its question and is committed before the session
returns it and before the close is rendered: the commit latency measured here is what a player
waits for.

Two phases:

* **flat out**: each game answers its question the moment it is asked, as fast as the store lets
  it; repeated at 50 / 200 / 1,000 games for the scaling line.
* **offered load**: answers arrive at a fixed rate (5,000/s by default) spread over 1,000 games;
  the commit p50/p99 here is the figure that matters for players.

``commit`` latency is from ``submit`` being called to it returning (queueing included). Written
bytes are what the process handed to ``write()`` (``/proc/self/io`` ``wchar``) during the phase:
the WAL plus checkpoints into the database file (checkpoints run on a thread of their own). Beside
wall-clock rates it prints answers per CPU second of the whole process (all threads) and of the
event loop's thread alone (the one that runs out first when each thread has a core), which a
machine shared with other jobs inflates less, and the load average. Prints readable lines and,
last, one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.sqlite import SqliteStore  # noqa: E402
from bot.trivia.game import (  # noqa: E402
    AnswerMode,
    Event,
    Game,
    GameOver,
    Player,
    QuestionAsked,
    QuestionClosed,
    RoundSettings,  # noqa: E402
)
from bot.trivia.model import Question  # noqa: E402
from bot.trivia.session import GameSession  # noqa: E402

GUILDS = 50
PLAYERS_PER_GAME = 4
SETTINGS_FLAT_OUT = RoundSettings(questions=20, seconds=300, mode=AnswerMode.TEXT, hints=False, pause_seconds=0)
SETTINGS_OFFERED = RoundSettings(questions=50, seconds=300, mode=AnswerMode.TEXT, hints=False, pause_seconds=0)


def questions(count: int) -> list[Question]:
    return [
        Question(id=f"q{number}", prompt=f"Who recorded album {number}?", answers=(f"The Band Number {number}",))
        for number in range(1, count + 1)
    ]


@dataclass
class Table:
    """One game and what the bench knows about it: whether a question is open for an answer."""

    session: GameSession
    players: tuple[Player, ...]
    asked: asyncio.Event = field(default_factory=asyncio.Event)

    async def render(self, event: Event) -> None:
        if isinstance(event, QuestionAsked | GameOver):
            self.asked.set()


@dataclass
class PhaseResult:
    games: int
    answers: int
    seconds: float
    latencies: list[float]
    written_bytes: int
    cpu_seconds: float
    loop_cpu_seconds: float

    @property
    def answers_per_cpu_s(self) -> float:
        return self.answers / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def answers_per_loop_cpu_s(self) -> float:
        """Per CPU second of the event loop's thread alone: with a core each for it and the database
        thread, the loop is the one that runs out first, so this is the rate a quiet machine reaches."""
        return self.answers / self.loop_cpu_seconds if self.loop_cpu_seconds else 0.0

    @property
    def answers_per_s(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def written_bytes() -> int:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def open_tables(store: SqliteStore, count: int, settings: RoundSettings, rng: random.Random) -> list[Table]:
    pool = questions(settings.questions)
    tables = []
    for index in range(count):
        players = tuple(Player(10_000 + index * PLAYERS_PER_GAME + n, f"p{index}-{n}") for n in range(PLAYERS_PER_GAME))
        game = Game(pool, settings, time.monotonic, rng=random.Random(rng.random()))
        table = Table(session=None, players=players)  # type: ignore[arg-type]
        table.session = GameSession(
            game,
            store,
            guild_id=1 + index % GUILDS,
            channel_id=1_000 + index,
            pack_id="bench",
            render=table.render,
        )
        tables.append(table)
    return tables


async def flat_out(path: Path, games: int, rng: random.Random) -> PhaseResult:
    """Every game answers each question as soon as it is asked, until all games are over."""
    latencies: list[float] = []
    async with SqliteStore(path) as store:
        tables = await open_tables(store, games, SETTINGS_FLAT_OUT, rng)

        async def play(table: Table) -> None:
            session = table.session
            while not session.is_over:
                question = session.game.current
                if question is None:
                    # Between questions (or before the first): wait for the front end to show one.
                    # A question asked inside the last submit is already open, no wait needed.
                    await table.asked.wait()
                    table.asked.clear()
                    continue
                started = time.perf_counter()
                events = await session.submit(rng.choice(table.players), question.answer)
                if any(isinstance(event, QuestionClosed) for event in events):
                    latencies.append(time.perf_counter() - started)

        written = written_bytes()
        cpu, loop_cpu = time.process_time(), time.thread_time()
        started = time.perf_counter()
        runners = [asyncio.create_task(table.session.run()) for table in tables]
        await asyncio.gather(*(play(table) for table in tables), *runners)
        seconds = time.perf_counter() - started
        cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
        written = written_bytes() - written
    return PhaseResult(games, len(latencies), seconds, latencies, written, cpu, loop_cpu)


async def offered(path: Path, games: int, rate: float, seconds: float, rng: random.Random) -> PhaseResult:
    """Answers arrive at ``rate`` per second, each to a game with a question open and no answer
    pending; the load is open loop, so a slow store shows as latency, not as a lower rate."""
    latencies: list[float] = []
    async with SqliteStore(path) as store:
        tables = await open_tables(store, games, SETTINGS_OFFERED, rng)
        ready: list[Table] = []
        pending: set[asyncio.Task[None]] = set()

        def watch(table: Table) -> Callable[[Event], object]:
            async def render(event: Event) -> None:
                if isinstance(event, QuestionAsked):
                    ready.append(table)

            return render

        for table in tables:
            table.session._render = watch(table)  # the bench's own front end

        async def answer(table: Table) -> None:
            question = table.session.game.current
            if question is None:
                return
            started = time.perf_counter()
            events = await table.session.submit(rng.choice(table.players), question.answer)
            if any(isinstance(event, QuestionClosed) for event in events):
                latencies.append(time.perf_counter() - started)

        runners = [asyncio.create_task(table.session.run()) for table in tables]
        await asyncio.sleep(0.2)  # every game asks its first question
        written = written_bytes()
        cpu, loop_cpu = time.process_time(), time.thread_time()
        started = time.perf_counter()
        offered_count = 0
        starved = 0
        step = 0.005
        while (now := time.perf_counter() - started) < seconds:
            due = int(now * rate) - offered_count
            for _ in range(due):
                offered_count += 1
                if not ready:
                    starved += 1
                    continue
                table = ready.pop(rng.randrange(len(ready)))
                task = asyncio.create_task(answer(table))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.sleep(step)
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - started
        cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
        written = written_bytes() - written
        for table in tables:
            await table.session.stop()
        await asyncio.gather(*runners)
    if starved:
        print(f"  {starved} offered answers found no game with a question open")
    return PhaseResult(games, len(latencies), elapsed, latencies, written, cpu, loop_cpu)


def describe(label: str, result: PhaseResult) -> None:
    per_commit = result.written_bytes / result.answers if result.answers else 0
    print(
        f"{label}: {result.games} games, {result.answers} answers in {result.seconds:.2f} s = "
        f"{result.answers_per_s:,.0f}/s ({result.answers_per_cpu_s:,.0f} per CPU second, "
        f"{result.answers_per_loop_cpu_s:,.0f} per event-loop CPU second); "
        f"commit p50 {result.percentile_ms(0.5):.2f} ms, "
        f"p99 {result.percentile_ms(0.99):.2f} ms, max {max(result.latencies, default=0) * 1000:.1f} ms; "
        f"written {result.written_bytes / 1e6:.1f} MB ({per_commit / 1024:.1f} KiB/answer)"
    )


async def main(rate: float, seconds: float, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="crate-digger-engine-") as folder:
        scaling = {}
        for games in (50, 200, 1_000):
            result = await flat_out(Path(folder) / f"flat-{games}.sqlite3", games, rng)
            describe("flat out", result)
            scaling[games] = result
        load = await offered(Path(folder) / "offered.sqlite3", 1_000, rate, seconds, rng)
        describe(f"offered {rate:,.0f}/s", load)
    print(
        "scaling (answers/s): "
        + ", ".join(f"{games} games {result.answers_per_s:,.0f}" for games, result in scaling.items())
    )
    top = scaling[1_000]
    load_average = os.getloadavg()[0]
    print(f"peak RSS {peak_rss_mb():.0f} MB; load average {load_average:.1f} on {os.cpu_count()} cores")
    figures = {
        "answers_per_s": round(top.answers_per_s),
        "answers_per_cpu_s": round(top.answers_per_cpu_s),
        "answers_per_loop_cpu_s": round(top.answers_per_loop_cpu_s),
        "flat_out_commit_p99_ms": round(top.percentile_ms(0.99), 2),
        "offered_per_s": rate,
        "offered_kept_up_per_s": round(load.answers_per_s),
        "commit_p50_ms": round(load.percentile_ms(0.5), 2),
        "commit_p99_ms": round(load.percentile_ms(0.99), 2),
        "written_mb": round((top.written_bytes + load.written_bytes) / 1e6, 1),
        "written_kib_per_answer": round(top.written_bytes / top.answers / 1024, 2) if top.answers else 0,
        "commits_counted": top.answers + load.answers,
        "peak_rss_mb": round(peak_rss_mb()),
        "scaling_answers_per_s": {str(games): round(result.answers_per_s) for games, result in scaling.items()},
        "load_average": round(load_average, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5_000, help="offered answers per second in phase two")
    parser.add_argument("--seconds", type=float, default=5, help="length of phase two")
    parser.add_argument("--seed", type=int, default=9)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rate, arguments.seconds, arguments.seed))
