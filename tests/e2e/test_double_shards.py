"""The Discord double serving several shards: which connection gets READY, which guilds, which events.

The routing is checked with bare gateway clients (raw websockets), so the double's rule is tested on its
own; then an unmodified ``AutoShardedBot`` and the project's bot run on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from bot.client import CrateDigger
from bot.sharding import ShardScope
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import DiscordDouble, User, connected_bot

# Guilds, guild messages, direct messages and message content: enough to see every message routed.
GATEWAY_INTENTS = 1 | 1 << 9 | 1 << 12 | 1 << 15
NO_PINGS = discord.AllowedMentions.none()


def guild_id_on(shard: int, shard_count: int, serial: int = 0) -> int:
    """A realistic server id (2020s timestamp bits) that Discord routes to ``shard`` of ``shard_count``."""
    timestamp_bits = 300_000_000_000 // shard_count * shard_count + shard
    return (timestamp_bits + serial * shard_count) << 22 | 4242


def double_with_guilds(*, shard_count: int, layout: dict[str, int]) -> DiscordDouble:
    """A double recommending ``shard_count`` shards, with one guild per name on the given shard."""
    double = DiscordDouble(guild_name=None, shard_count=shard_count)
    serials: dict[int, int] = {}
    for name, shard in layout.items():
        serial = serials[shard] = serials.get(shard, -1) + 1
        double.add_guild(name, channels=("general", "trivia"), id=guild_id_on(shard, shard_count, serial))
    return double


def guild_named(double: DiscordDouble, name: str):
    return next(guild for guild in double.guilds.values() if guild.name == name)


class GatewayClient:
    """A bare gateway connection: IDENTIFY as one shard, then read what the double sends it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.ready: dict[str, Any] = {}
        self.guild_creates: list[dict[str, Any]] = []

    async def identify(self, shard: list[int] | None) -> None:
        hello = await self.ws.receive_json(timeout=5)
        assert hello["op"] == 10
        data: dict[str, Any] = {"token": "x.y.z", "intents": GATEWAY_INTENTS, "properties": {}}
        if shard is not None:
            data["shard"] = shard
        await self.ws.send_json({"op": 2, "d": data})
        ready = await self.next_dispatch()
        # Every shard's session numbers its own events from 1.
        assert (ready["t"], ready["s"]) == ("READY", 1)
        self.ready = ready["d"]
        for _ in self.ready["guilds"]:
            create = await self.next_dispatch()
            assert create["t"] == "GUILD_CREATE"
            self.guild_creates.append(create["d"])

    async def next_dispatch(self, timeout: float = 5) -> dict[str, Any]:
        while True:
            frame = await self.ws.receive_json(timeout=timeout)
            if frame["op"] == 0:
                return frame

    async def next_event(self, name: str) -> dict[str, Any]:
        """The next dispatch called ``name`` (a first message from a user may bring a GUILD_ROLE_CREATE first)."""
        while (frame := await self.next_dispatch())["t"] != name:
            pass
        return frame

    async def nothing_more(self, within: float = 0.2) -> bool:
        with contextlib.suppress(TimeoutError):
            frame = await self.ws.receive(timeout=within)
            return frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        return True

    @property
    def guild_ids(self) -> set[int]:
        return {int(guild["id"]) for guild in self.guild_creates}


@contextlib.asynccontextmanager
async def gateway_clients(double: DiscordDouble) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as session:

        async def connect() -> GatewayClient:
            return GatewayClient(await session.ws_connect(double.gateway_url))

        yield connect


async def test_get_gateway_bot_recommends_the_configured_shard_count():
    async with DiscordDouble(shard_count=3) as double, aiohttp.ClientSession() as session:
        async with session.get(f"{double.base_url}/gateway/bot") as response:
            body = await response.json(content_type=None)
    assert body["shards"] == 3


async def test_each_shard_gets_ready_and_guild_create_only_for_its_guilds():
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "b0": 0, "c1": 1})
    async with double, gateway_clients(double) as connect:
        first, second = await connect(), await connect()
        await first.identify([0, 2])
        assert not double.connected  # shard 1 is not there yet
        await second.identify([1, 2])
        await double.wait_until_ready()

        assert first.ready["shard"] == [0, 2] and second.ready["shard"] == [1, 2]
        assert first.guild_ids == {guild_named(double, "a0").id, guild_named(double, "b0").id}
        assert second.guild_ids == {guild_named(double, "c1").id}
        assert {int(g["id"]) for g in second.ready["guilds"]} == second.guild_ids
        assert first.ready["session_id"] != second.ready["session_id"]


async def test_events_for_a_guild_go_only_to_the_connection_of_its_shard():
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "c1": 1})
    ann = User.member("ann")
    async with double, gateway_clients(double) as connect:
        first, second = await connect(), await connect()
        await first.identify([0, 2])
        await second.identify([1, 2])

        on_shard_1 = guild_named(double, "c1")
        await double.send_message(on_shard_1, on_shard_1.channel("trivia"), ann, "hello shard one")
        event = await second.next_event("MESSAGE_CREATE")
        assert event["d"]["content"] == "hello shard one"
        assert await first.nothing_more()

        on_shard_0 = guild_named(double, "a0")
        await double.send_message(on_shard_0, on_shard_0.channel("trivia"), ann, "hello shard zero")
        event = await first.next_event("MESSAGE_CREATE")
        assert event["d"]["content"] == "hello shard zero"
        assert await second.nothing_more()

        # Direct messages go to shard 0, as Discord sends them.
        await double.send_message(None, None, ann, "a DM")
        assert (await first.next_event("MESSAGE_CREATE"))["d"]["content"] == "a DM"
        assert await second.nothing_more()


async def test_an_event_for_a_shard_nobody_holds_is_an_error():
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "c1": 1})
    async with double, gateway_clients(double) as connect:
        first = await connect()
        await first.identify([0, 2])
        lost = guild_named(double, "c1")
        with pytest.raises(RuntimeError, match=rf"no bot connection holds shard 1 of 2 \(guild {lost.id}\)"):
            await double.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(lost.id), "user": {"id": "1"}})
        with pytest.raises(RuntimeError, match="no bot connection holds shard 1 of 2"):
            await double.slash(lost, lost.channel("trivia"), User.member("ann"), "ping")
        assert not double.holds(lost) and double.holds(guild_named(double, "a0"))

        # A shard whose connection drops stops receiving: its guild's events have nowhere to go.
        second = await connect()
        await second.identify([1, 2])
        assert double.holds(lost)
        await second.ws.close()
        await double.wait_for(lambda: not double.holds(lost), what="shard 1 gone")
        with pytest.raises(RuntimeError, match="no bot connection holds shard 1 of 2"):
            await double.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(lost.id), "user": {"id": "1"}})


async def test_a_shard_resumes_its_own_session_and_gets_its_events_again():
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "c1": 1})
    ann = User.member("ann")
    async with double, aiohttp.ClientSession() as session:
        first = GatewayClient(await session.ws_connect(double.gateway_url))
        second = GatewayClient(await session.ws_connect(double.gateway_url))
        await first.identify([0, 2])
        await second.identify([1, 2])

        async def resume_when_asked() -> GatewayClient:
            while (await second.ws.receive_json(timeout=5))["op"] != 7:
                pass
            await second.ws.close()
            resumed = GatewayClient(await session.ws_connect(second.ready["resume_gateway_url"]))
            await resumed.ws.receive_json(timeout=5)  # HELLO
            resume = {"token": "x.y.z", "session_id": second.ready["session_id"], "seq": 2}
            await resumed.ws.send_json({"op": 6, "d": resume})
            assert (await resumed.next_dispatch())["t"] == "RESUMED"
            return resumed

        resuming = asyncio.create_task(resume_when_asked())
        await double.request_reconnect(shard_id=1)
        resumed = await resuming
        assert double.resume_count == 1 and double.identify_count == 2
        on_shard_1 = guild_named(double, "c1")
        await double.send_message(on_shard_1, on_shard_1.channel("trivia"), ann, "after the resume")
        assert (await resumed.next_event("MESSAGE_CREATE"))["d"]["content"] == "after the resume"
        assert await first.nothing_more()


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 3]])
async def test_an_impossible_shard_is_closed_with_4010(shard):
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "c1": 1})
    async with double, gateway_clients(double) as connect:
        live = await connect()
        await live.identify([1, 2])  # so [0, 3] disagrees with the count in use
        refused = await connect()
        await refused.ws.receive_json(timeout=5)  # HELLO
        await refused.ws.send_json({"op": 2, "d": {"token": "x.y.z", "intents": 1, "properties": {}, "shard": shard}})
        closing = await refused.ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4010


async def test_an_unsharded_identify_is_shard_0_of_1_and_holds_every_guild():
    double = double_with_guilds(shard_count=1, layout={"a": 0, "b": 0})
    async with double, gateway_clients(double) as connect:
        only = await connect()
        await only.identify(None)
        assert only.ready["shard"] == [0, 1]
        assert only.guild_ids == set(double.guilds)


class FastIdentifyBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord allows one IDENTIFY per 5 s, which discord.py waits out between shards; the double doesn't.
        return None


async def test_an_auto_sharded_bot_runs_every_recommended_shard_and_answers_on_each():
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "c1": 1})

    def make_bot() -> commands.AutoShardedBot:
        bot = FastIdentifyBot(command_prefix="!", intents=discord.Intents.none(), allowed_mentions=NO_PINGS)

        @bot.tree.command(name="where", description="Which shard am I on")
        async def where(interaction: discord.Interaction) -> None:
            assert interaction.guild is not None
            await interaction.response.send_message(f"shard {interaction.guild.shard_id}")

        return bot

    async with double, connected_bot(make_bot, double) as bot:
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        assert sorted(double.shard_sessions) == [0, 1]
        await bot.tree.sync()
        for name, shard in (("a0", 0), ("c1", 1)):
            guild = guild_named(double, name)
            record = await double.slash(guild, guild.channel("trivia"), User.member("ann"), "where")
            assert record.content == f"shard {shard}"


async def test_the_bot_on_some_shards_gets_only_their_servers(tmp_path):
    double = double_with_guilds(shard_count=2, layout={"a0": 0, "b0": 0, "c1": 1})
    catalog = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]

    def factory() -> CrateDigger:
        return CrateDigger(store=SqliteStore(tmp_path / "db.sqlite3"), catalog=catalog, shard_scope=ShardScope(2, (1,)))

    async with double, connected_bot(factory, double) as bot:
        assert [guild.name for guild in bot.guilds] == ["c1"]
        assert [session.shard_id for session in double.shard_sessions.values()] == [1]
        assert double.identify is not None and double.identify["shard"] == [1, 2]
