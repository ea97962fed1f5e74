"""The real bot under many concurrent button games, against the Discord double and Discord's rate limits.

Run with ``python bench/discord.py`` (under two minutes). For 50, 100 and 200 concurrent games it starts the
real bot against a ``DiscordDouble`` that enforces Discord's rate limits (global 50 requests/s, per-route
buckets, 429s), over real sockets on 127.0.0.1.

Where Discord is: by default (``--mode process``) the bot is the real ``crate-digger run`` in a process of
its own (settings from the environment: a SQLite database in a temporary folder, the built-in packs, no
pack worker), pointed at the double as ``tests/shard_child.py`` does, after one ``crate-digger sync``;
the double and the simulated players run in this process. The bot's event loop then carries only the
bot, as in production. ``--mode shared`` is the older set-up: the bot (``CrateDigger`` with a
``SqliteStore``, built the way the end-to-end tests do it with ``connected_bot``), the double and the
players on one event loop, so every latency also pays for Discord's and the players' work. Games start over the first
``--stagger`` seconds, each with ``--players`` players, ``--questions`` questions of 10 s (the shortest
``/trivia start`` allows) with hints, at real game speed. Each player presses a button a random 1 to 7 s
after the question appears and lets one question in ten pass, so most questions close when the last
player answers and some at the deadline (and get their hint first).

Figures (percentiles over every press of the level):

* ``ack``: from the double sending the press to the bot's interaction callback arriving. Discord
  refuses a callback after 3 s; ``refused`` counts those and presses never answered.
* ``result``: from the press that closes a question (the last of its players, every press locked in) to
  the answer being shown in the channel (a message or an edit whose embed says "The answer:").
* ``rest_calls_per_question``: calls counted against the global limit (everything but interaction
  endpoints) while the games ran, per question asked; ``game_webhook_calls_per_question``: the game's
  messages and edits sent through its ``/trivia start`` webhook (exempt from the global limit);
  ``interaction_calls_per_question``: every interaction call (those, plus each press's ack and reply).
* ``max_rest_per_s``: the most of those in any one second (Discord allows 50); ``rate_limited``: 429s.

CPU seconds (the bot's process, and this one's) and the load average are printed beside the figures.
Prints readable lines and, last, one JSON line with the 200-game figures and the scaling line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would shadow discord.py.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(_ROOT))

from bot.client import CrateDigger  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402
from bot.trivia.catalog import Catalog  # noqa: E402
from bot.trivia.packs import BUILTIN_PACKS_DIR  # noqa: E402
from tests.discord_double import DiscordDouble, InteractionRecord, Message, User, connected_bot  # noqa: E402
from tests.discord_double.ratelimits import RateLimits  # noqa: E402

CHANNELS_PER_GUILD = 10
SECONDS_PER_QUESTION = 10
PRESS_DELAY = (1.0, 7.0)
PASS_RATE = 0.1
DISCORD_ACK_DEADLINE = 3.0
BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.token"
BOT_STARTUP_TIMEOUT = 60.0


@dataclass
class Press:
    record: InteractionRecord
    question: int
    closes: bool = False  # the last of the game's players to answer this question


@dataclass
class GameWatch:
    """What one channel showed, as the double saw it."""

    channel_id: int
    guild_id: int
    players: list[User]
    question_number: int = 0
    question_message: Message | None = None
    asked: int = 0
    presses: list[Press] = field(default_factory=list)
    pressed: dict[int, int] = field(default_factory=dict)  # question -> presses so far
    answered_shown_at: dict[int, float] = field(default_factory=dict)  # question -> when its answer appeared
    over: bool = False


def closed_by_presses(game: GameWatch, question: int) -> bool:
    """Whether every player's press on ``question`` counted ("Locked in"), so the last one closed it. A press
    the bot refused (an option the 50:50 hint ruled out while the player chose it) leaves the question open
    until its deadline, which is not a delay in showing the answer."""
    presses = [press for press in game.presses if press.question == question]
    return len(presses) == len(game.players) and all("Locked in" in (p.record.content or "") for p in presses)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def embed_title(message: Message) -> str:
    return (message.embeds or [{}])[0].get("title", "") if message.embeds else ""


class Players:
    """Simulated players: press a button a while after each question appears."""

    def __init__(self, double: DiscordDouble, rng: random.Random, questions: int) -> None:
        self.double = double
        self.rng = rng
        self.questions = questions
        self.games: dict[int, GameWatch] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.all_over = asyncio.Event()

    def watch(self, game: GameWatch) -> None:
        self.games[game.channel_id] = game

    def on_message(self, event: str, message: Message) -> None:
        game = self.games.get(message.channel_id)
        if game is None or event == "MESSAGE_DELETE" or message.author.id != self.double.bot_user.id:
            return
        now = asyncio.get_running_loop().time()
        title = embed_title(message)
        if title.startswith("Question ") and message.buttons and message is not game.question_message:
            number = int(title.split()[1])
            if number > game.question_number:
                game.question_number = number
                game.question_message = message
                game.asked += 1
                for player in game.players:
                    if self.rng.random() >= PASS_RATE:
                        self._spawn(self._press_later(game, message, number, player, self.rng.uniform(*PRESS_DELAY)))
        if "The answer:" in title and game.question_number not in game.answered_shown_at:
            game.answered_shown_at[game.question_number] = now
        if title == "Final standings":
            game.over = True
            if all(g.over for g in self.games.values()):
                self.all_over.set()

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _press_later(self, game: GameWatch, message: Message, number: int, player: User, delay: float) -> None:
        await asyncio.sleep(delay)
        if game.question_number != number or number in game.answered_shown_at:
            return  # the question closed before this player got to it
        enabled = [b for b in message.buttons if not b.get("disabled")]
        if not enabled:
            return
        button = self.rng.choice(enabled)
        try:
            record = await self.double.click(message, button["custom_id"], player, wait=False, settle=False)
        except (KeyError, ValueError):
            return  # closed (buttons disabled) just now
        game.pressed[number] = game.pressed.get(number, 0) + 1
        # From the second question on, the game knows its players and closes when all have answered.
        closes = number > 1 and game.pressed[number] == len(game.players)
        game.presses.append(Press(record, number, closes))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_environment(double: DiscordDouble, folder: Path, games: int) -> dict[str, str]:
    """``crate-digger``'s settings for the bench: this repository, a fresh database, nothing from the caller's
    own Discord or database settings (and no ``.env``: the child runs in ``folder``)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "DATABASE_", "SHARD_", "DEV_GUILD", "PACKS_DIR", "REST_"))
    }
    return inherited | {
        "PYTHONPATH": str(_ROOT),
        "XDG_DATA_HOME": str(folder / "home"),  # shared by the levels: the pack cache is warm after the first
        "DISCORD_TOKEN": BOT_TOKEN,
        "DATABASE_PATH": str(folder / f"scores-{games}.sqlite3"),
        "LOG_LEVEL": "INFO",  # the default, as in production
        "PACK_WORKERS": "0",
        "DISCORD_DOUBLE_BASE_URL": double.base_url,
        "DISCORD_DOUBLE_GATEWAY_URL": double.gateway_url,
        "DISCORD_DOUBLE_CDN_URL": double.cdn_url,
    }


async def run_cli(command: str, environment: dict[str, str], folder: Path) -> asyncio.subprocess.Process:
    """``crate-digger COMMAND`` pointed at the double, in a process of its own (stderr kept for errors)."""
    code = "import sys; from tests.shard_child import point_at_the_double; from bot import cli; "
    code += f"point_at_the_double(); sys.exit(cli.main([{command!r}]))"
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env=environment,
        cwd=folder,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    cpu_at_start: float = 0.0
    log: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid) - self.cpu_at_start

    async def read_log(self) -> None:
        """Keep the bot's log (read as it comes, so a full pipe never stalls the bot); note its first ready."""
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.log.append(line)
            if "connected as" in line:
                self.ready.set()

    def log_worth_seeing(self) -> list[str]:
        # Start-up notes (voice support, shards and servers connected) are noise here; warnings are not.
        return [
            line
            for line in self.log
            if ("WARNING" in line or "ERROR" in line or "Traceback" in line) and "voice will NOT" not in line
        ]


@contextlib.asynccontextmanager
async def bot_in_its_own_process(double: DiscordDouble, folder: Path, games: int) -> AsyncIterator[BotProcess]:
    """The real ``crate-digger run`` against ``double`` (its commands registered first by ``crate-digger sync``),
    until it is READY; stopped with SIGTERM (its graceful close) afterwards."""
    environment = bot_environment(double, folder, games)
    syncing = await run_cli("sync", environment, folder)
    _, errors = await asyncio.wait_for(syncing.communicate(), BOT_STARTUP_TIMEOUT)
    if syncing.returncode != 0:
        raise RuntimeError(f"crate-digger sync failed: {errors.decode(errors='replace')}")
    bot = BotProcess(await run_cli("run", environment, folder))
    reader = asyncio.get_running_loop().create_task(bot.read_log())
    try:
        await double.wait_until_ready(timeout=BOT_STARTUP_TIMEOUT)
        # Its own on_ready ("connected as ..."), when discord.py has stopped waiting for more servers.
        await asyncio.wait_for(bot.ready.wait(), BOT_STARTUP_TIMEOUT)
        bot.cpu_at_start = process_cpu_seconds(bot.process.pid)
        yield bot
    finally:
        if bot.process.returncode is None:
            bot.process.terminate()
        try:
            await asyncio.wait_for(bot.process.wait(), 30)
        except TimeoutError:
            bot.process.kill()
            await bot.process.wait()
        await reader
        if worth_seeing := bot.log_worth_seeing():
            print("      the bot's log:\n" + "\n".join(worth_seeing[-20:]), file=sys.stderr)


@contextlib.asynccontextmanager
async def bot_on_this_loop(
    double: DiscordDouble, folder: Path, games: int, catalog: Catalog
) -> AsyncIterator[BotProcess | None]:
    """The bot built in this process, on this event loop, as the end-to-end tests run it."""
    store_path = folder / f"scores-{games}.sqlite3"

    def factory() -> CrateDigger:
        return CrateDigger(store=SqliteStore(store_path), catalog=catalog)

    async with connected_bot(factory, double) as bot:
        await bot.tree.sync()
        yield None


class LoopLag:
    """How late this process's event loop wakes a 5 ms sleeper: the Discord side's own delay, which every
    latency measured here includes (in process mode the bot's loop is elsewhere)."""

    PERIOD = 0.005

    def __init__(self) -> None:
        self.lags_ms: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.PERIOD)
            self.lags_ms.append((loop.time() - asked - self.PERIOD) * 1000)


@dataclass(frozen=True)
class LevelFigures:
    games: int
    presses: int
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    discord_lag_p99_ms: float
    result_p50_ms: float
    result_p99_ms: float
    refused: int
    questions: int
    rest_calls_per_question: float
    game_webhook_calls_per_question: float
    interaction_calls_per_question: float
    max_rest_per_s: int
    rate_limited: int
    wall_s: float
    cpu_s: float  # the bot's process (in shared mode: the one process)
    discord_cpu_s: float  # the double and the players (in shared mode: included in cpu_s)
    unfinished_games: int


async def run_level(games: int, args: argparse.Namespace, catalog: Catalog | None, folder: Path) -> LevelFigures:
    rng = random.Random(args.seed + games)
    double = DiscordDouble(guild_name=None, rate_limits=RateLimits())
    guilds = [
        double.add_guild(f"Guild {g}", channels=[f"trivia-{c}" for c in range(CHANNELS_PER_GUILD)])
        for g in range((games + CHANNELS_PER_GUILD - 1) // CHANNELS_PER_GUILD)
    ]
    channels = [(guild, channel) for guild in guilds for channel in guild.channels][:games]
    players = Players(double, rng, args.questions)
    if args.mode == "process":
        bot_context = bot_in_its_own_process(double, folder, games)
    else:
        bot_context = bot_on_this_loop(double, folder, games, catalog)
    async with double, bot_context as bot_process:
        # The bench's presses don't wait for the bot to go quiet, as users don't; and under load it never does.
        double.settle_hook = None
        double.rate_limiter.reset_counts()
        requests_before = len(double.requests)
        double.message_listeners.append(players.on_message)
        for index, (guild, channel) in enumerate(channels):
            game_players = [User.member(f"p{index}-{n}") for n in range(args.players)]
            players.watch(GameWatch(channel.id, guild.id, game_players))
        wall0, cpu0 = time.monotonic(), time.process_time()
        lag = LoopLag()
        lag_task = asyncio.get_running_loop().create_task(lag.run())

        async def start(index: int, guild, channel) -> None:
            await asyncio.sleep(args.stagger * index / games)
            starter = players.games[channel.id].players[0]
            options = {"questions": args.questions, "seconds": SECONDS_PER_QUESTION}
            await double.slash(guild, channel, starter, "trivia start", options, wait=False)

        await asyncio.gather(*(start(i, g, c) for i, (g, c) in enumerate(channels)))
        deadline = args.questions * (SECONDS_PER_QUESTION + 6) + args.stagger + 30
        try:
            await asyncio.wait_for(players.all_over.wait(), deadline)
        except TimeoutError:
            pass
        # Let the last presses be answered, or run out of Discord's time.
        presses = [press.record for game in players.games.values() for press in game.presses]
        try:
            await double.wait_for(lambda: all(r.responded or r.rejected for r in presses), DISCORD_ACK_DEADLINE)
        except TimeoutError:
            pass
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        lag_task.cancel()
        bot_cpu = cpu if bot_process is None else bot_process.cpu_seconds()
        discord_cpu = cpu if bot_process is not None else 0.0
        limiter = double.rate_limiter
        all_presses = [p for g in players.games.values() for p in g.presses]
        acks, refused = [], 0
        for press in all_presses:
            latency = press.record.latency
            if latency is None or not press.record.responded or latency > DISCORD_ACK_DEADLINE:
                refused += 1
            if latency is not None:
                acks.append(latency * 1000)
        # When the slow acks happened (seconds after the first game started): bursts, or all along?
        loop_t0 = asyncio.get_running_loop().time() - (time.monotonic() - wall0)
        slow_by_second = Counter(
            int(press.record.dispatched_at - loop_t0)
            for press in all_presses
            if press.record.latency is not None and press.record.latency > 0.05
        )
        results = []
        for game in players.games.values():
            for press in game.presses:
                shown = game.answered_shown_at.get(press.question)
                if press.closes and shown is not None and closed_by_presses(game, press.question):
                    results.append((shown - press.record.dispatched_at) * 1000)
        questions = sum(g.asked for g in players.games.values())
        global_calls = limiter.total_calls(global_only=True)
        interaction_calls = limiter.total_calls() - global_calls
        start_tokens = {r.token for r in double.interaction_responses.values() if r.command_name == "trivia start"}
        game_webhook_calls = sum(
            1
            for request in double.requests[requests_before:]
            if request.path.startswith("/webhooks/") and request.path.split("/")[3] in start_tokens
        )
        by_route = limiter.calls_by_route().most_common(8)
        hits = Counter((hit.bucket, hit.scope) for hit in limiter.hits)
        figures = LevelFigures(
            games=games,
            presses=len(all_presses),
            ack_p50_ms=round(percentile(acks, 0.5), 1),
            ack_p99_ms=round(percentile(acks, 0.99), 1),
            ack_max_ms=round(max(acks, default=float("nan")), 1),
            discord_lag_p99_ms=round(percentile(lag.lags_ms, 0.99), 1),
            result_p50_ms=round(percentile(results, 0.5), 1),
            result_p99_ms=round(percentile(results, 0.99), 1),
            refused=refused,
            questions=questions,
            rest_calls_per_question=round(global_calls / max(questions, 1), 2),
            game_webhook_calls_per_question=round(game_webhook_calls / max(questions, 1), 2),
            interaction_calls_per_question=round(interaction_calls / max(questions, 1), 2),
            max_rest_per_s=limiter.max_global_per_second(),
            rate_limited=len(limiter.hits),
            wall_s=round(wall, 1),
            cpu_s=round(bot_cpu, 1),
            discord_cpu_s=round(discord_cpu, 1),
            unfinished_games=sum(not g.over for g in players.games.values()),
        )
        for task in list(players.tasks):
            task.cancel()
    print(
        f"{games:>4} games: {figures.presses} presses, ack p50 {figures.ack_p50_ms} ms p99 {figures.ack_p99_ms} ms "
        f"max {figures.ack_max_ms} ms, refused {figures.refused}; result p50 {figures.result_p50_ms} ms "
        f"p99 {figures.result_p99_ms} ms"
    )
    print(
        f"      {figures.questions} questions, {figures.rest_calls_per_question} REST calls per question "
        f"and {figures.game_webhook_calls_per_question} through the games' webhooks "
        f"({figures.interaction_calls_per_question} interaction calls in all), peak {figures.max_rest_per_s}/s, "
        f"{figures.rate_limited} answered 429; {figures.unfinished_games} games unfinished; "
        f"{figures.wall_s} s wall, {figures.cpu_s} s CPU in the bot"
        + f" (the double's loop lag p99 {figures.discord_lag_p99_ms} ms)"
        + (f", {figures.discord_cpu_s} s in the double and players" if args.mode == "process" else " (all in one)")
    )
    print("      busiest routes: " + ", ".join(f"{route} {count}" for route, count in by_route))
    if slow_by_second:
        print("      acks over 50 ms, by second: " + ", ".join(f"{s}s: {n}" for s, n in sorted(slow_by_second.items())))
    if hits:
        print("      429s: " + ", ".join(f"{bucket} ({scope}) {count}" for (bucket, scope), count in hits.items()))
    return figures


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    catalog = Catalog.from_folder(BUILTIN_PACKS_DIR)[0] if args.mode == "shared" else None
    where = "the bot in a process of its own" if args.mode == "process" else "bot, double and players on one loop"
    print(
        f"bench/discord.py ({where}): {args.players} players per game, {args.questions} questions of "
        f"{SECONDS_PER_QUESTION} s, starts over {args.stagger} s; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    levels: dict[int, LevelFigures] = {}
    with tempfile.TemporaryDirectory() as folder:
        for games in args.games:
            levels[games] = await run_level(games, args, catalog, Path(folder))
    top = levels[max(levels)]
    bot_rusage = resource.RUSAGE_CHILDREN if args.mode == "process" else resource.RUSAGE_SELF
    figures = {
        "mode": args.mode,
        "games": top.games,
        "ack_p50_ms": top.ack_p50_ms,
        "ack_p99_ms": top.ack_p99_ms,
        "result_p99_ms": top.result_p99_ms,
        "refused": top.refused,
        "rest_calls_per_question": top.rest_calls_per_question,
        "max_rest_per_s": top.max_rest_per_s,
        "rate_limited": top.rate_limited,
        "game_webhook_calls_per_question": top.game_webhook_calls_per_question,
        "interaction_calls_per_question": top.interaction_calls_per_question,
        "cpu_s": top.cpu_s,
        "discord_cpu_s": top.discord_cpu_s,
        "discord_lag_p99_ms": top.discord_lag_p99_ms,
        # The bot's: this process's own in shared mode, the largest child's (the bot's run) otherwise.
        "peak_rss_mb": round(resource.getrusage(bot_rusage).ru_maxrss / 1024, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "scaling": {
            str(games): {
                "ack_p99_ms": level.ack_p99_ms,
                "result_p99_ms": level.result_p99_ms,
                "refused": level.refused,
                "rest_calls_per_question": level.rest_calls_per_question,
                "game_webhook_calls_per_question": level.game_webhook_calls_per_question,
                "max_rest_per_s": level.max_rest_per_s,
                "rate_limited": level.rate_limited,
            }
            for games, level in levels.items()
        },
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--players", type=int, default=3)
    parser.add_argument("--questions", type=int, default=2)
    parser.add_argument("--stagger", type=float, default=5.0, help="seconds over which the games start")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--mode",
        choices=("process", "shared"),
        default="process",
        help="process: the bot in a process of its own (as in production); shared: bot, double and players on one loop",
    )
    asyncio.run(main(parser.parse_args()))
