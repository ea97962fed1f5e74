"""Two `crate-digger run` processes, shards 0 and 1 of 2, against one Discord double and one PostgreSQL.

Each process is the real command line (``tests/shard_child.py`` only points it at the double and lets
the test fast-forward its game clock). The double routes every server's events to the process running
its shard and refuses an event no connection holds, so a command answered at all was answered by the
right process. Both migrate one fresh database at once; games run in servers on both shards at the same
time; each server's leaderboard holds exactly the points of the presses made there; a pack uploaded in a
server of shard 0 is playable there and invisible in a server of shard 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bot.trivia.catalog import Catalog
from bot.trivia.model import Question
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import DiscordDouble, Guild, Message, User
from tests.e2e.test_bot import start_trivia
from tests.e2e.test_double_shards import double_with_guilds
from tests.packs_for_tests import uploaded_pack_yaml
from tests.postgres_server import PostgresServer

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.shard-test.token"
# Up to 120 s per question: a press within the first 12 s earns every point (10), so presses made at
# real speed score exactly; the child's clock then runs fast to end the round (see shard_child.py).
SECONDS = 120
STARTUP_TIMEOUT = 60


@dataclass
class BotProcess:
    shard_ids: str
    process: asyncio.subprocess.Process
    output: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read_output(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.output.append(line.decode(errors="replace").rstrip())

    def fast_forward(self) -> None:
        self.process.send_signal(signal.SIGUSR1)

    def real_time(self) -> None:
        self.process.send_signal(signal.SIGUSR2)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self.reader is not None:
            await self.reader

    @property
    def log(self) -> str:
        return "\n".join(self.output[-40:])


def child_environment(double: DiscordDouble, database_url: str, home: Path, **settings: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "DATABASE_", "SHARD_", "DEV_GUILD", "PACKS_DIR"))
    }
    home.mkdir(parents=True, exist_ok=True)
    return environment | {
        "PYTHONPATH": str(REPO_ROOT),
        "XDG_DATA_HOME": str(home),
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "PACK_WORKERS": "0",
        "DISCORD_DOUBLE_BASE_URL": double.base_url,
        "DISCORD_DOUBLE_GATEWAY_URL": double.gateway_url,
        "DISCORD_DOUBLE_CDN_URL": double.cdn_url,
        **settings,
    }


async def start_child(command: str, environment: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    # cwd is a folder without a .env, so a developer's own settings never reach the bot under test.
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.shard_child",
        command,
        env=environment,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@dataclass
class Fleet:
    """The bot processes of one deployment: one per shard, restartable; ``every`` keeps the stopped ones."""

    double: DiscordDouble
    database_url: str
    folder: Path
    by_shard: dict[str, BotProcess] = field(default_factory=dict)
    every: list[BotProcess] = field(default_factory=list)

    async def launch(self, shard: str) -> BotProcess:
        environment = child_environment(
            self.double, self.database_url, self.folder / f"shard-{shard}", SHARD_COUNT="2", SHARD_IDS=shard
        )
        bot = BotProcess(shard, await start_child("run", environment, self.folder))
        bot.reader = asyncio.create_task(bot.read_output())
        self.by_shard[shard] = bot
        self.every.append(bot)
        return bot

    async def restart(self, shard: str) -> BotProcess:
        await self.by_shard[shard].stop()
        bot = await self.launch(shard)
        await self.double.wait_until_ready(timeout=STARTUP_TIMEOUT)
        return bot


@contextlib.asynccontextmanager
async def two_shard_processes(double: DiscordDouble, database_url: str, folder: Path) -> AsyncIterator[Fleet]:
    fleet = Fleet(double, database_url, folder)
    try:
        # The commands are registered once for the whole application, as the README says, not per process.
        syncing = await start_child("sync", child_environment(double, database_url, folder / "sync"), folder)
        for shard in ("0", "1"):
            await fleet.launch(shard)
        sync_output = (await asyncio.wait_for(syncing.communicate(), STARTUP_TIMEOUT))[1].decode(errors="replace")
        assert syncing.returncode == 0, sync_output
        await double.wait_until_ready(timeout=STARTUP_TIMEOUT)
        yield fleet
    finally:
        for bot in fleet.every:
            await bot.stop()


def right_and_wrong(catalog: Catalog, asked: Message) -> tuple[str, str]:
    """The custom ids of the right button and of a wrong one, from the question as the players see it."""
    prompt = asked.embeds[0]["description"].split("\n", 1)[0]
    shown = {button["label"].split(" · ", 1)[1]: button["custom_id"] for button in asked.buttons}
    matches: list[Question] = [
        question
        for pack in catalog.packs()
        for question in catalog.questions(pack.id)
        if question.prompt == prompt and set(question.choices) == set(shown)
    ]
    assert len({question.answers[0] for question in matches}) == 1, (prompt, shown, matches)
    right = next(choice for choice in shown if choice in matches[0].answers)
    wrong = next(choice for choice in shown if choice not in matches[0].answers)
    return shown[right], shown[wrong]


def question_in(double: DiscordDouble, channel, *, after: Message | None = None):
    return double.wait_for_message(
        lambda m: bool(m.embeds) and m.embeds[0].get("title", "").startswith("Question 1 of "),
        channel=channel,
        after=after,
        timeout=15,
    )


def standings_in(double: DiscordDouble, channel, *, after: Message | None = None):
    return double.wait_for_message(
        lambda m: bool(m.embeds) and m.embeds[0].get("title") == "Final standings",
        channel=channel,
        after=after,
        timeout=15,
    )


async def leaderboard_lines(double: DiscordDouble, guild: Guild, user: User) -> list[str]:
    board = await double.slash(guild, guild.channel("trivia"), user, "trivia", subcommand="leaderboard", timeout=10)
    assert board.message is not None and board.message.embeds, board
    return board.message.embeds[0]["description"].splitlines()


async def test_two_processes_on_shards_0_and_1_share_one_postgresql(postgres_server: PostgresServer, tmp_path):
    double = double_with_guilds(shard_count=2, layout={"Crates": 0, "Breaks": 1})
    catalog = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]
    database_url = await postgres_server.create_database()  # fresh: both processes migrate it at once
    ann, bob, eve, mo = User.member("ann"), User.member("bob"), User.member("eve"), User.moderator("mo")
    crates, breaks = (next(g for g in double.guilds.values() if g.name == name) for name in ("Crates", "Breaks"))
    assert double.shard_of_guild(crates) == 0 and double.shard_of_guild(breaks) == 1

    async with double, two_shard_processes(double, database_url, tmp_path) as fleet:
        assert [session.shard_count for session in double.shard_sessions.values()] == [2, 2]
        assert len(double.commands[None]) == 3  # one global sync, from the `sync` process

        # One game in each server, both running at once.
        start = {"questions": 1, "seconds": SECONDS, "hints": False}
        for guild, starter in ((crates, ann), (breaks, eve)):
            started = await double.slash(
                guild, guild.channel("trivia"), starter, "trivia", subcommand="start", options=start, timeout=10
            )
            assert not started.ephemeral, started.content
        asked_crates = await question_in(double, crates.channel("trivia"))
        asked_breaks = await question_in(double, breaks.channel("trivia"))

        # Crates: ann right, eve wrong. Breaks: eve right, bob wrong (eve plays in both servers).
        right, wrong = right_and_wrong(catalog, asked_crates)
        await double.click(asked_crates, right, ann, timeout=10)
        await double.click(asked_crates, wrong, eve, timeout=10)
        right, wrong = right_and_wrong(catalog, asked_breaks)
        await double.click(asked_breaks, right, eve, timeout=10)
        await double.click(asked_breaks, wrong, bob, timeout=10)
        assert not [m for m in double.messages if m.embeds and m.embeds[0].get("title") == "Final standings"]

        for bot in fleet.by_shard.values():
            bot.fast_forward()
        ended = await standings_in(double, crates.channel("trivia"))
        await standings_in(double, breaks.channel("trivia"))

        assert await leaderboard_lines(double, crates, bob) == [
            "**1.** ann · 10 points · 1 right · 1 win",
            "**2.** eve · 0 points · 0 right · 0 wins",
        ]
        assert await leaderboard_lines(double, breaks, ann) == [
            "**1.** eve · 10 points · 1 right · 1 win",
            "**2.** bob · 0 points · 0 right · 0 wins",
        ]

        # Shard 1's process restarts while a game runs on shard 0. Its start-up closes the games its own
        # last run left open, never the other process's running one; Breaks is served from the database.
        fleet.by_shard["0"].real_time()
        await double.slash(
            crates, crates.channel("trivia"), ann, "trivia", subcommand="start", options=start, timeout=10
        )
        asked_again = await question_in(double, crates.channel("trivia"), after=ended)
        right, _ = right_and_wrong(catalog, asked_again)
        await double.click(asked_again, right, ann, timeout=10)
        await fleet.restart("1")
        assert await leaderboard_lines(double, breaks, ann) == [
            "**1.** eve · 10 points · 1 right · 1 win",
            "**2.** bob · 0 points · 0 right · 0 wins",
        ]
        fleet.by_shard["0"].fast_forward()
        await standings_in(double, crates.channel("trivia"), after=asked_again)
        assert await leaderboard_lines(double, crates, bob) == [
            "**1.** ann · 20 points · 2 right · 2 wins",
            "**2.** eve · 0 points · 0 right · 0 wins",
        ]
        connection = await asyncpg.connect(database_url)
        try:
            games = await connection.fetch("SELECT guild_id, interrupted FROM games ORDER BY id")
        finally:
            await connection.close()
        assert [(row["guild_id"], row["interrupted"]) for row in games] == [
            *sorted([(crates.id, False), (breaks.id, False)]),
            (crates.id, False),
        ]

        # A pack uploaded in Crates (shard 0) ...
        pack_file = double.upload("amen.yaml", uploaded_pack_yaml())
        added = await double.slash(
            crates, crates.channel("general"), mo, "pack", subcommand="add", options={"file": pack_file}, timeout=10
        )
        await double.wait_for(lambda: added.message is not None and not added.message.loading, timeout=15)
        assert "Added" in added.message.content, added.message.content

        # ... is listed, autocompleted and playable there ...
        listed = await double.slash(crates, crates.channel("general"), ann, "trivia", subcommand="packs")
        assert "amen-break" in listed.text
        offered = await double.autocomplete(
            crates, crates.channel("general"), ann, "trivia", subcommand="start", focused="pack", value="amen"
        )
        assert "amen-break" in [choice["value"] for choice in offered]
        started = await double.slash(
            crates,
            crates.channel("general"),
            ann,
            "trivia",
            subcommand="start",
            options={"pack": "amen-break", "questions": 1, "seconds": 10},
            timeout=10,
        )
        assert "The Amen break" in started.content
        asked = await question_in(double, crates.channel("general"))
        assert asked.embeds[0]["footer"]["text"] == "The Amen break"

        # ... and invisible in Breaks (shard 1): not listed, not offered, not startable.
        listed = await double.slash(breaks, breaks.channel("general"), eve, "trivia", subcommand="packs")
        assert "amen-break" not in listed.text
        offered = await double.autocomplete(
            breaks, breaks.channel("general"), eve, "trivia", subcommand="start", focused="pack", value="amen"
        )
        assert "amen-break" not in [choice["value"] for choice in offered]
        refused = await start_trivia(double, breaks.channel("general"), eve, {"pack": "amen-break"}, guild=breaks)
        assert refused.ephemeral and "no pack `amen-break`" in refused.content

    assert len(fleet.every) == 3
    for bot in fleet.every:
        assert bot.process.returncode == 0, bot.log
        assert not [line for line in bot.output if "Traceback" in line], bot.log
        connected = {line.split("Shard ID ", 1)[1].split()[0] for line in bot.output if "Shard ID " in line}
        assert connected == {bot.shard_ids}, bot.log
    assert not double.internal_errors
