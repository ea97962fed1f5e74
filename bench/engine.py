"""Durable scores under load: many concurrent text games on one store (SQLite, or PostgreSQL in 1+ processes).

Run with ``python bench/engine.py`` (under a minute; on PostgreSQL about two). Every game is the
real ``Game`` driven by a real ``GameSession`` over one ``SqliteStore`` in a temporary folder, on
real time (300 s questions, no hints, no pause), so every right answer closes its question and
is committed before the session returns it and before the close is rendered: the commit latency
measured here is what a player waits for.

First a calibration, in this process: the 1,000 flat-out games as bare ``Game`` objects (the same
questions, players and settings, no session, no store, no event loop), then as real sessions on a
store that does nothing (``NullStore``). They are this machine's ceilings at its current load: the
figures on a real store are printed as a share of the bare ``Game``'s rate, and the store that does
nothing shows what the event loop costs per answer with storage taken away.

The store runs as the bot runs it: group commits in a writer process (``SqliteStore(...,
writer="process")``, ``bot/storage/sqlite_writer.py``); ``--sqlite-writer thread`` runs them on
aiosqlite's thread instead, as CLI commands do. The writer process's CPU is counted in the CPU
figures (answers per CPU second, ``cpu_s``) and printed per answer beside the database thread's.

Two phases:

* **flat out**: each game answers its question the moment it is asked, as fast as the store lets
  it; repeated at 50 / 200 / 1,000 games for the scaling line.
* **offered load**: answers arrive at a fixed rate (5,000/s by default) spread over 1,000 games;
  the commit p50/p99 here is the figure that matters for players.

``commit`` latency is from ``submit`` being called to it returning (queueing included). Written
bytes are what the process and its writer process handed to ``write()`` (``/proc/<pid>/io``
``wchar``) during the phase: the WAL plus checkpoints into the database file (checkpoints run on a
thread of their own). Beside wall-clock rates it prints answers per CPU second of the whole process
(all threads, and the writer process) and of the event loop's thread alone (the one that runs out
first when each thread has a core), which a machine shared with other jobs inflates less, and the
load average. The garbage collector is set as the bot sets it (``bot/collector.py``: the young
generation collected every 5,000 allocations rather than 700, a full collection considered after 100
middle ones rather than 10). Prints readable lines and, last, one JSON line.

The same workload on PostgreSQL: ``--postgres`` starts a throwaway server from Debian's binaries with
fsync on, as a real server runs (``tests/postgres_server.py``), and gives each phase a new database;
``--database-url URL`` uses yours instead. ``--processes N`` splits each phase's games over N OS
processes sharing the one database (game ``n`` in process ``n % N``, so each process has its own
servers, as shards do), which pass a barrier together before the timed part; the offered rate is
split between them. For PostgreSQL, written bytes are the WAL the server generated during the phase
(``pg_current_wal_lsn``), and the server's CPU time (postmaster and backends, from ``/proc``) is
printed beside the bench's. Runs: ``python bench/engine.py``, ``python bench/engine.py --postgres``,
``python bench/engine.py --postgres --processes 2``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.collector import collecting_less_often  # noqa: E402
from bot.storage.base import Store  # noqa: E402
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
from bot.trivia.session import GameSession, StorageFailed  # noqa: E402

GUILDS = 50
PLAYERS_PER_GAME = 4
SETTINGS_FLAT_OUT = RoundSettings(questions=20, seconds=300, mode=AnswerMode.TEXT, hints=False, pause_seconds=0)
SETTINGS_OFFERED = RoundSettings(questions=50, seconds=300, mode=AnswerMode.TEXT, hints=False, pause_seconds=0)


class NullStore:
    """A store that keeps nothing and never waits: the calibration phase's, so that what is left is
    the event loop's own cost (the games, their sessions and this driver), with no storage at all."""

    async def __aenter__(self) -> NullStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def start_game(self, guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float) -> int:
        return channel_id

    async def record_answers(self, game_id: int, guild_id: int, answers: object, missed: object = ()) -> None:
        return None

    async def finish_game(
        self, game_id: int, guild_id: int, finished_at: float, results: object, stopped: bool
    ) -> None:
        return None

    async def record_asked(self, *arguments: object, **options: object) -> None:
        return None


@dataclass(frozen=True)
class SqliteFile:
    """A phase's SQLite database, and where its store runs group commits ("thread" or "process")."""

    path: Path
    writer: str


# A database for one phase: a SQLite file, a PostgreSQL URL that every process of the phase shares,
# or no database at all (the calibration).
Target = SqliteFile | str | NullStore


def open_store(target: Target) -> Store:
    if isinstance(target, NullStore):
        return target  # type: ignore[return-value]
    if isinstance(target, SqliteFile):
        return SqliteStore(target.path, writer=target.writer)  # type: ignore[arg-type]
    from bot.storage.postgres import PostgresStore

    return PostgresStore(target)


@dataclass(frozen=True)
class Share:
    """Which games of a phase this process plays (every ``processes``-th, from ``process``), and the
    barrier that all of the phase's processes pass together once their games are set up, so that the
    timed part runs in all of them at once. Game ``n`` is in server ``1 + n % GUILDS``, so with two
    processes each has its own servers, as two shards would."""

    process: int = 0
    processes: int = 1
    barrier: object | None = None  # a multiprocessing Barrier when processes > 1

    def indices(self, games: int) -> range:
        return range(self.process, games, self.processes)

    async def all_set(self) -> None:
        if self.barrier is not None:
            await asyncio.to_thread(self.barrier.wait)  # type: ignore[attr-defined]


ALONE = Share()


# What the store failed to save in this process (StorageFailed.operation), each a game stopped.
STORAGE_FAILURES: list[str] = []


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
    asked: asyncio.Event


def wakes_the_players(asked: asyncio.Event) -> Callable[[Event], Awaitable[None]]:
    """The flat-out phase's front end for one game: it sets ``asked`` when there is something to answer.

    It holds the event, not the ``Table``: a table holding its session holding a render that held the
    table would be a cycle, and 1,000 of them left for the next full collection would pause the next
    phase's timed part (about 120 ms) to free them, a cost of the bench's own making.
    """

    async def render(event: Event) -> None:
        # A game whose start could not be stored ends with StorageFailed alone, no GameOver.
        if isinstance(event, _WAKES_THE_PLAYERS):
            asked.set()
            if isinstance(event, StorageFailed):
                STORAGE_FAILURES.append(event.operation)

    return render


_WAKES_THE_PLAYERS = (QuestionAsked, GameOver, StorageFailed)


@dataclass
class PhaseResult:
    games: int
    answers: int
    seconds: float
    latencies: list[float]
    written_bytes: int
    cpu_seconds: float
    loop_cpu_seconds: float
    storage_failures: int = 0  # games stopped because the store failed (a timeout, an error)
    database_cpu_seconds: float = 0.0  # SQLite's own thread (aiosqlite's): group commits with writer="thread"
    writer_cpu_seconds: float = 0.0  # the SQLite writer process, where group commits run with writer="process"

    @classmethod
    def of(cls, games: int, latencies: list[float], used: Usage, storage_failures: int) -> PhaseResult:
        return cls(
            games,
            len(latencies),
            used.wall,
            latencies,
            used.written,
            used.cpu,
            used.loop_cpu,
            storage_failures,
            used.database_cpu,
            used.writer_cpu,
        )

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


def written_bytes(store: Store | None = None) -> int:
    """Bytes handed to ``write()`` so far by this process and, if ``store`` has one, its writer process."""
    writer = getattr(store, "_writer_process", None)
    pid = writer.pid if writer is not None else None
    return _wchar("self") + (_wchar(str(pid)) if pid is not None else 0)


def _wchar(process: str) -> int:
    try:
        for line in Path(f"/proc/{process}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def database_thread_cpu(store: Store) -> float:
    """CPU seconds used so far by the thread that runs a ``SqliteStore``'s statements (0 for other stores)."""
    connection = getattr(store, "_conn", None)
    thread = getattr(connection, "_thread", None)
    if thread is None or thread.ident is None:
        return 0.0
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (OSError, AttributeError):
        return 0.0


def writer_process_cpu(store: Store) -> float:
    """CPU seconds used so far by a ``SqliteStore``'s writer process (0 without one)."""
    writer = getattr(store, "_writer_process", None)
    pid = writer.pid if writer is not None else None
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@dataclass(frozen=True)
class Usage:
    """The counters a phase is measured by: read before its timed part, read again after it, and the
    difference (``since``) is what the phase used."""

    wall: float
    cpu: float  # this process, all threads; ``since`` adds the writer process (the store's work, wherever it ran)
    loop_cpu: float
    database_cpu: float
    writer_cpu: float
    written: int

    @classmethod
    def now(cls, store: Store) -> Usage:
        return cls(
            time.perf_counter(),
            time.process_time(),
            time.thread_time(),
            database_thread_cpu(store),
            writer_process_cpu(store),
            written_bytes(store),
        )

    def since(self, start: Usage) -> Usage:
        writer_cpu = self.writer_cpu - start.writer_cpu
        return Usage(
            self.wall - start.wall,
            self.cpu - start.cpu + writer_cpu,
            self.loop_cpu - start.loop_cpu,
            self.database_cpu - start.database_cpu,
            writer_cpu,
            self.written - start.written,
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def players_of(index: int) -> tuple[Player, ...]:
    return tuple(Player(10_000 + index * PLAYERS_PER_GAME + n, f"p{index}-{n}") for n in range(PLAYERS_PER_GAME))


@dataclass(frozen=True)
class BareResult:
    answers: int
    seconds: float
    cpu_seconds: float

    @property
    def answers_per_s(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0

    @property
    def answers_per_cpu_s(self) -> float:
        return self.answers / self.cpu_seconds if self.cpu_seconds else 0.0


def bare_games(games: int, rng: random.Random) -> BareResult:
    """The flat-out phase's games alone: the same questions, players and settings, each ``Game``
    played to the end in turn, with no session, no store and no event loop. What this machine can
    do at best, so the engine's rate can be read as a share of it."""
    pool = questions(SETTINGS_FLAT_OUT.questions)
    tables = [
        (
            Game(pool, SETTINGS_FLAT_OUT, time.monotonic, rng=random.Random(rng.random())),
            rng.choices(players_of(index), k=SETTINGS_FLAT_OUT.questions)[::-1],  # popped from the end
        )
        for index in range(games)
    ]
    answers = 0
    cpu, started = time.thread_time(), time.perf_counter()
    for game, answerers in tables:
        game.start()
        while not game.is_over:
            question = game.current
            if question is None:
                game.tick()
                continue
            game.answer(answerers.pop(), question.answer)
            answers += 1
    return BareResult(answers, time.perf_counter() - started, time.thread_time() - cpu)


async def open_tables(store: Store, indices: range, settings: RoundSettings, rng: random.Random) -> list[Table]:
    pool = questions(settings.questions)
    tables = []
    for index in indices:
        players = players_of(index)
        game = Game(pool, settings, time.monotonic, rng=random.Random(rng.random()))
        asked = asyncio.Event()
        session = GameSession(
            game,
            store,
            guild_id=1 + index % GUILDS,
            channel_id=1_000 + index,
            pack_id="bench",
            render=wakes_the_players(asked),
        )
        tables.append(Table(session, players, asked))
    return tables


async def flat_out(target: Target, games: int, rng: random.Random, share: Share = ALONE) -> PhaseResult:
    """Every game answers each question as soon as it is asked, until all games are over."""
    latencies: list[float] = []
    failed = len(STORAGE_FAILURES)
    async with open_store(target) as store:
        tables = await open_tables(store, share.indices(games), SETTINGS_FLAT_OUT, rng)

        async def play(table: Table, answerers: list[Player]) -> None:
            game, submit, asked, clock = table.session.game, table.session.submit, table.asked, time.perf_counter
            answerers.reverse()  # popped from the end, in the order drawn
            while not game.is_over:
                question = game.current
                if question is None:
                    # Between questions (or before the first): wait for the front end to show one.
                    # A question asked inside the last submit is already open, no wait needed.
                    await asked.wait()
                    asked.clear()
                    continue
                started = clock()
                events = await submit(answerers.pop(), question.answer)
                for event in events:
                    if isinstance(event, QuestionClosed):
                        latencies.append(clock() - started)
                        break

        # Who answers each question, drawn before the clock starts: the bench's own work stays out
        # of the figures. Every question is answered once, so a game needs as many as it asks.
        answerers = [rng.choices(table.players, k=SETTINGS_FLAT_OUT.questions) for table in tables]
        await share.all_set()
        before = Usage.now(store)
        runners = [asyncio.create_task(table.session.run()) for table in tables]
        await asyncio.gather(*(play(table, drawn) for table, drawn in zip(tables, answerers, strict=True)), *runners)
        used = Usage.now(store).since(before)
    return PhaseResult.of(len(tables), latencies, used, len(STORAGE_FAILURES) - failed)


async def offered(
    target: Target, games: int, rate: float, seconds: float, rng: random.Random, share: Share = ALONE
) -> PhaseResult:
    """Answers arrive at ``rate`` per second, each to a game with a question open and no answer
    pending; the load is open loop, so a slow store shows as latency, not as a lower rate."""
    latencies: list[float] = []
    failed = len(STORAGE_FAILURES)
    async with open_store(target) as store:
        tables = await open_tables(store, share.indices(games), SETTINGS_OFFERED, rng)
        ready: list[int] = []  # the tables (by index) with a question open and no answer pending
        pending: set[asyncio.Task[None]] = set()

        def watch(index: int) -> Callable[[Event], Awaitable[None]]:
            # By index, not the table itself, so that no table is in a cycle (see wakes_the_players).
            async def render(event: Event) -> None:
                if isinstance(event, QuestionAsked):
                    ready.append(index)
                elif isinstance(event, StorageFailed):
                    STORAGE_FAILURES.append(event.operation)

            return render

        for index, table in enumerate(tables):
            table.session._render = watch(index)  # the bench's own front end

        async def answer(table: Table) -> None:
            question = table.session.game.current
            if question is None:
                return
            started = time.perf_counter()
            events = await table.session.submit(rng.choice(table.players), question.answer)
            if any(isinstance(event, QuestionClosed) for event in events):
                latencies.append(time.perf_counter() - started)

        runners = [asyncio.create_task(table.session.run()) for table in tables]
        # Every game stores its start and asks its first question before the clock starts: on a
        # slower store that takes seconds, and answers offered meanwhile would queue behind it.
        while not all(table.session.is_over or table.session.game.current is not None for table in tables):
            await asyncio.sleep(0.05)
        await share.all_set()
        before = Usage.now(store)
        started = before.wall
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
                table = tables[ready.pop(rng.randrange(len(ready)))]
                task = asyncio.create_task(answer(table))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.sleep(step)
        await asyncio.gather(*pending)
        used = Usage.now(store).since(before)
        for table in tables:
            await table.session.stop()
        await asyncio.gather(*runners)
    if starved:
        print(f"  {starved} offered answers found no game with a question open")
    return PhaseResult.of(len(tables), latencies, used, len(STORAGE_FAILURES) - failed)


def describe(label: str, result: PhaseResult) -> None:
    per_commit = result.written_bytes / result.answers if result.answers else 0
    print(
        f"{label}: {result.games} games, {result.answers} answers in {result.seconds:.2f} s = "
        f"{result.answers_per_s:,.0f}/s ({result.answers_per_cpu_s:,.0f} per CPU second, "
        f"{result.answers_per_loop_cpu_s:,.0f} per event-loop CPU second); "
        f"commit p50 {result.percentile_ms(0.5):.2f} ms, "
        f"p99 {result.percentile_ms(0.99):.2f} ms, max {max(result.latencies, default=0) * 1000:.1f} ms; "
        f"written {result.written_bytes / 1e6:.1f} MB ({per_commit / 1024:.1f} KiB/answer)"
        + (
            f"; database thread {result.database_cpu_seconds / result.answers * 1e6:.0f} µs CPU/answer"
            if result.database_cpu_seconds and result.answers
            else ""
        )
        + (
            f"; writer process {result.writer_cpu_seconds / result.answers * 1e6:.0f} µs CPU/answer"
            if result.writer_cpu_seconds and result.answers
            else ""
        )
        + (f"; {result.storage_failures} games stopped by a storage failure" if result.storage_failures else "")
    )


# -- several processes, PostgreSQL ----------------------------------------------------------------


def _play_share(
    phase: str, target: Target, games: int, rate: float, seconds: float, seed: int, share: Share, results: object
) -> None:
    """One process's part of a phase (run in a spawned process); its PhaseResult goes to ``results``."""
    rng = random.Random(seed)
    with collecting_less_often():  # as the bot does (bot/launcher.py)
        if phase == "flat out":
            result = asyncio.run(flat_out(target, games, rng, share))
        else:
            result = asyncio.run(offered(target, games, rate / share.processes, seconds, rng, share))
    results.put(result)  # type: ignore[attr-defined]


def combine(results: list[PhaseResult]) -> PhaseResult:
    """The processes of one phase as one: they ran at once, so the phase took as long as the slowest."""
    return PhaseResult(
        games=sum(result.games for result in results),
        answers=sum(result.answers for result in results),
        seconds=max(result.seconds for result in results),
        latencies=[latency for result in results for latency in result.latencies],
        written_bytes=sum(result.written_bytes for result in results),
        cpu_seconds=sum(result.cpu_seconds for result in results),
        loop_cpu_seconds=sum(result.loop_cpu_seconds for result in results),
        storage_failures=sum(result.storage_failures for result in results),
        database_cpu_seconds=sum(result.database_cpu_seconds for result in results),
        writer_cpu_seconds=sum(result.writer_cpu_seconds for result in results),
    )


def fan_out(phase: str, target: Target, games: int, rate: float, seconds: float, seed: int, processes: int):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(
            target=_play_share,
            args=(phase, target, games, rate, seconds, seed + number, Share(number, processes, barrier), results),
            daemon=True,  # ended with the bench, however it ends
        )
        for number in range(processes)
    ]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    return combine(collected)


class PostgresMeter:
    """What the throwaway PostgreSQL server did during a phase: its CPU time (the postmaster, its
    backends, and backends that have exited, which the postmaster has reaped) and the WAL it wrote."""

    def __init__(self, server) -> None:
        self.server = server

    def cpu_seconds(self) -> float:
        postmaster = int((self.server.data_dir / "postmaster.pid").read_text().split()[0])
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pid, parent = int(stat.parent.name), int(fields[1])
                if pid == postmaster:
                    ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
                elif parent == postmaster:
                    ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def wal_position(self) -> int:
        """Bytes of WAL the server has generated since it was created."""
        import asyncpg

        async def read() -> int:
            connection = await asyncpg.connect(self.server.url())
            try:
                return int(await connection.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"))
            finally:
                await connection.close()

        return asyncio.run(read())


@dataclass
class Bench:
    """Runs each phase on a fresh database (a SQLite file, or a new PostgreSQL database on the
    throwaway server; a ``--database-url`` is reused as it is) in one or several processes."""

    folder: Path
    seed: int
    processes: int = 1
    server: object | None = None  # tests.postgres_server.PostgresServer
    database_url: str | None = None
    sqlite_writer: str = "process"
    server_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def store(self) -> str:
        return "sqlite" if self.server is None and self.database_url is None else "postgresql"

    def target(self, name: str) -> Target:
        if self.server is not None:
            return asyncio.run(self.server.create_database())  # type: ignore[attr-defined]
        return self.database_url or SqliteFile(self.folder / f"{name}.sqlite3", self.sqlite_writer)

    def phase(self, phase: str, games: int, rate: float = 0.0, seconds: float = 0.0) -> PhaseResult:
        target = self.target(f"{phase}-{games}".replace(" ", "-"))
        meter = PostgresMeter(self.server) if self.server is not None else None
        if meter is not None:
            cpu, wal = meter.cpu_seconds(), meter.wal_position()
        self.seed += 1
        if self.processes == 1:
            rng = random.Random(self.seed)
            if phase == "flat out":
                result = asyncio.run(flat_out(target, games, rng))
            else:
                result = asyncio.run(offered(target, games, rate, seconds, rng))
        else:
            result = fan_out(phase, target, games, rate, seconds, self.seed * 100, self.processes)
        if meter is not None:
            # The server wrote the WAL; the bench's own writes were only the requests it sent.
            result.written_bytes = meter.wal_position() - wal
            self.server_cpu[f"{phase} {games}"] = meter.cpu_seconds() - cpu
        return result


def calibrate(seed: int) -> tuple[BareResult, PhaseResult]:
    """The 1,000 flat-out games as bare ``Game``s, then with their sessions on a store that does
    nothing, in this process: the ceilings of this machine (at its current load) that the store's
    figures are read against."""
    bare = bare_games(1_000, random.Random(seed))
    print(
        f"calibration, bare Game: {bare.answers} answers in {bare.seconds:.2f} s = {bare.answers_per_s:,.0f}/s "
        f"({bare.answers_per_cpu_s:,.0f} per CPU second)"
    )
    null = asyncio.run(flat_out(NullStore(), 1_000, random.Random(seed)))
    describe("calibration, Game + GameSession on a store that does nothing", null)
    return bare, null


def main(rate: float, seconds: float, seed: int, bench: Bench) -> None:
    sqlite_writer = bench.sqlite_writer if bench.store == "sqlite" else None
    writer_line = f" (group commits in a writer {sqlite_writer})" if sqlite_writer else ""
    print(f"store {bench.store}{writer_line}, {bench.processes} process{'es' if bench.processes > 1 else ''}")
    bare, null = calibrate(seed)
    scaling = {}
    for games in (50, 200, 1_000):
        result = bench.phase("flat out", games)
        describe("flat out", result)
        scaling[games] = result
    flat_load_average = os.getloadavg()[0]
    load = bench.phase("offered", 1_000, rate, seconds)
    describe(f"offered {rate:,.0f}/s", load)
    load_average = os.getloadavg()[0]
    print(
        "scaling (answers/s): "
        + ", ".join(f"{games} games {result.answers_per_s:,.0f}" for games, result in scaling.items())
    )
    top = scaling[1_000]
    print(f"peak RSS {peak_rss_mb():.0f} MB (this process); load average {load_average:.1f} on {os.cpu_count()} cores")
    print(
        f"share of the bare Game's rate, 1,000 flat-out games: {top.answers_per_s / bare.answers_per_s:.0%} wall "
        f"({top.answers_per_loop_cpu_s / bare.answers_per_cpu_s:.0%} per event-loop CPU second); "
        f"on the store that does nothing {null.answers_per_s / bare.answers_per_s:.0%} "
        f"({null.answers_per_loop_cpu_s / bare.answers_per_cpu_s:.0%}), "
        f"{1e6 * null.loop_cpu_seconds / null.answers:.0f} us of event-loop CPU per answer"
    )
    server_cpu = bench.server_cpu.get("flat out 1000")
    if server_cpu is not None:
        print(
            f"PostgreSQL server CPU: {server_cpu:.1f} s for the 1,000 flat-out games "
            f"({top.answers / server_cpu:,.0f} answers per server CPU second), "
            f"{bench.server_cpu['offered 1000']:.1f} s for the offered load"
        )
    print(
        f"CPU vs wall, 1,000 flat-out games: bench {top.cpu_seconds:.1f} s CPU"
        + (f" + server {server_cpu:.1f} s" if server_cpu is not None else "")
        + f" in {top.seconds:.1f} s wall; load average {flat_load_average:.1f} (1 min) then {load_average:.1f}"
    )
    figures = {
        "store": bench.store,
        "sqlite_writer": sqlite_writer,
        "processes": bench.processes,
        "answers_per_s": round(top.answers_per_s),
        "answers_per_cpu_s": round(top.answers_per_cpu_s),
        "answers_per_loop_cpu_s": round(top.answers_per_loop_cpu_s),
        "bare_game_answers_per_s": round(bare.answers_per_s),
        "bare_game_answers_per_cpu_s": round(bare.answers_per_cpu_s),
        "null_store_answers_per_s": round(null.answers_per_s),
        "null_store_answers_per_loop_cpu_s": round(null.answers_per_loop_cpu_s),
        "loop_cpu_us_per_answer": round(1e6 * top.loop_cpu_seconds / top.answers, 1) if top.answers else None,
        "null_store_loop_cpu_us_per_answer": round(1e6 * null.loop_cpu_seconds / null.answers, 1),
        "flat_out_commit_p50_ms": round(top.percentile_ms(0.5), 2),
        "flat_out_commit_p99_ms": round(top.percentile_ms(0.99), 2),
        "offered_per_s": rate,
        "offered_kept_up_per_s": round(load.answers_per_s),
        "commit_p50_ms": round(load.percentile_ms(0.5), 2),
        "commit_p99_ms": round(load.percentile_ms(0.99), 2),
        "written_mb": round((top.written_bytes + load.written_bytes) / 1e6, 1),
        "written_kib_per_answer": round(top.written_bytes / top.answers / 1024, 2) if top.answers else 0,
        "offered_written_kib_per_answer": round(load.written_bytes / load.answers / 1024, 2) if load.answers else 0,
        "database_cpu_us_per_answer": round(top.database_cpu_seconds / top.answers * 1e6) if top.answers else 0,
        "offered_database_cpu_us_per_answer": (
            round(load.database_cpu_seconds / load.answers * 1e6) if load.answers else 0
        ),
        "writer_process_cpu_us_per_answer": round(top.writer_cpu_seconds / top.answers * 1e6) if top.answers else 0,
        "offered_writer_process_cpu_us_per_answer": (
            round(load.writer_cpu_seconds / load.answers * 1e6) if load.answers else 0
        ),
        "commits_counted": top.answers + load.answers,
        "storage_failures": top.storage_failures + load.storage_failures,
        "peak_rss_mb": round(peak_rss_mb()),
        "wall_s": round(top.seconds, 2),
        "cpu_s": round(top.cpu_seconds, 2),
        "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
        "load_average": round(load_average, 1),
        "flat_out_load_average": round(flat_load_average, 1),
        "scaling_answers_per_s": {str(games): round(result.answers_per_s) for games, result in scaling.items()},
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5_000, help="offered answers per second in phase two")
    parser.add_argument("--seconds", type=float, default=5, help="length of phase two")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use a throwaway PostgreSQL server (Debian's binaries, fsync on) instead of SQLite",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="use this PostgreSQL database instead (Crate Digger's tables in it are written to)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="split the games over this many OS processes sharing the one database (PostgreSQL only)",
    )
    parser.add_argument(
        "--sqlite-writer",
        choices=("process", "thread"),
        default="process",
        help="where SQLite group commits run: a writer process, as the bot runs them (default), or aiosqlite's thread",
    )
    arguments = parser.parse_args()
    postgres = arguments.postgres or arguments.database_url is not None
    if arguments.processes < 1 or (arguments.processes > 1 and not postgres):
        parser.error("--processes N needs N >= 1, and more than one needs PostgreSQL (--postgres or --database-url)")
    # SIGTERM unwinds like Ctrl-C, so a throwaway PostgreSQL server is stopped either way.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="crate-digger-engine-")))
        server = None
        if arguments.postgres and arguments.database_url is None:
            from tests.postgres_server import PostgresServer

            server = PostgresServer.start(durable=True)
            stack.callback(server.stop)
        bench = Bench(
            folder, arguments.seed, arguments.processes, server, arguments.database_url, arguments.sqlite_writer
        )
        with collecting_less_often():  # as the bot does (bot/launcher.py)
            main(arguments.rate, arguments.seconds, arguments.seed, bench)
