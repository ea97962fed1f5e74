"""Wiring a real discord.py bot to a ``DiscordDouble``.

discord.py has no setting for "talk to this host": its REST base, gateway URL and CDN base
are class attributes. ``patch_discord_urls`` swaps them for the double's loopback URLs and
restores them afterwards; ``connected_bot`` additionally logs a bot in, waits for READY and
tears it down. A resolver that refuses every hostname is installed in the bot's HTTP
connector, so a forgotten hard-coded ``discord.com`` URL fails loudly instead of leaving
127.0.0.1.

``connected_bot`` also gives the double a *settle* barrier. The double records a callback
the moment the request arrives, but discord.py acts on the answer (e.g. ``store_view``,
which makes a button clickable) only after reading the HTTP response. Clicking in between
would race. The barrier waits until the bot has no REST call in flight. Because the caller
resumes synchronously when a wrapped call returns, its follow-up bookkeeping has run by
the time the waiter wakes.

The URL patch is process-global, so run one double per test (the default with pytest).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from aiohttp.abc import AbstractResolver
from discord.asset import Asset
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord.webhook.async_ import async_context

from .server import DiscordDouble

FAKE_TOKEN = "x.y.z"

BotFactory = Callable[[], discord.Client | Awaitable[discord.Client]]


class LoopbackOnlyResolver(AbstractResolver):
    """Resolves nothing: the bot may only reach IP literals (the double on 127.0.0.1)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        raise OSError(f"DiscordDouble: refusing to resolve {host!r}; tests must stay on 127.0.0.1")

    async def close(self) -> None:
        return None


class _InFlightRequests:
    """Counts the bot's in-progress REST calls (HTTPClient and the interaction webhook adapter)."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def wrap(self, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def tracked(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            self._idle.clear()
            try:
                return await func(*args, **kwargs)
            finally:
                self.count -= 1
                if self.count == 0:
                    self._idle.set()

        return tracked

    async def wait_idle(self) -> None:
        await self._idle.wait()


@contextlib.contextmanager
def _track_requests(bot: discord.Client, double: DiscordDouble) -> Iterator[None]:
    tracker = _InFlightRequests()
    adapter = async_context.get()  # process-wide default adapter used by interactions
    # Another bot connected in this process (several shards' bots) may have wrapped it already.
    outer_adapter_request = adapter.__dict__.get("request")
    outer_settle_hook = double.settle_hook
    bot.http.request = tracker.wrap(bot.http.request)  # type: ignore[method-assign]
    bot.http.get_from_cdn = tracker.wrap(bot.http.get_from_cdn)  # type: ignore[method-assign]
    adapter.request = tracker.wrap(adapter.request)  # type: ignore[method-assign]
    double.settle_hook = tracker.wait_idle
    try:
        yield
    finally:
        double.settle_hook = outer_settle_hook
        # Drop the instance attributes so the class methods (or the other bot's wrap) show through again.
        if outer_adapter_request is None:
            del adapter.request
        else:
            adapter.request = outer_adapter_request  # type: ignore[method-assign]
        del bot.http.request
        del bot.http.get_from_cdn


@contextlib.contextmanager
def patch_discord_urls(double: DiscordDouble) -> Iterator[None]:
    """Point discord.py's REST base, gateway and CDN at ``double`` for the duration."""
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY, Asset.BASE)
    Route.BASE = double.base_url  # interaction callbacks and webhooks use Route too
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)
    Asset.BASE = double.cdn_url
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY, Asset.BASE = saved


@contextlib.asynccontextmanager
async def connected_bot(
    bot_factory: BotFactory | discord.Client,
    double: DiscordDouble,
    *,
    token: str = FAKE_TOKEN,
    timeout: float = 10.0,
    guild_ready_timeout: float | None = 0.05,
) -> AsyncIterator[Any]:
    """Log a bot in against ``double``, wait until it is READY, yield it, then close it.

    ``bot_factory`` is a (sync or async) callable returning the bot, or the bot itself;
    it is called *after* the URLs are patched. ``guild_ready_timeout`` shortens
    discord.py's wait for further GUILD_CREATEs before it fires ``on_ready`` (2 s by
    default, i.e. 2 s per test); ``None`` keeps the bot's own setting.
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(patch_discord_urls(double))
        bot = bot_factory if isinstance(bot_factory, discord.Client) else bot_factory()
        if inspect.isawaitable(bot):
            bot = await bot
        stack.enter_context(_track_requests(bot, double))
        if guild_ready_timeout is not None:
            # Private, but the only knob: it is read from the constructor options otherwise.
            bot._connection.guild_ready_timeout = guild_ready_timeout
        if bot.http.connector is discord.utils.MISSING:
            bot.http.connector = aiohttp.TCPConnector(limit=0, resolver=LoopbackOnlyResolver())

        runner: asyncio.Task[None] | None = None
        try:
            # login() runs setup_hook (and so any tree.sync) and surfaces its errors directly.
            await bot.login(token)
            runner = asyncio.create_task(bot.connect(reconnect=True), name="discord-double-bot")
            await _wait_ready(bot, double, runner, timeout)
            yield bot
        finally:
            await bot.close()
            if runner is not None:
                try:
                    await asyncio.wait_for(runner, timeout=5)
                except (asyncio.CancelledError, TimeoutError, discord.ConnectionClosed):
                    pass
        if double.internal_errors:
            raise AssertionError(f"DiscordDouble crashed while serving the bot: {double.internal_errors!r}")


def _guilds_on_shards_of(bot: discord.Client, double: DiscordDouble) -> list[int]:
    """The double's guilds on the shards this bot runs (all of them for an unsharded bot)."""
    shard_ids = getattr(bot, "shard_ids", None)
    if not shard_ids:
        return list(double.guilds)
    return [guild_id for guild_id in double.guilds if double.shard_of_guild(guild_id) in shard_ids]


async def _wait_ready(bot: discord.Client, double: DiscordDouble, runner: asyncio.Task[None], timeout: float) -> None:
    async def ready_with_guilds() -> None:
        await bot.wait_until_ready()
        # With a short guild_ready_timeout a slow GUILD_CREATE can land just after on_ready;
        # tests expect bot.get_guild() to work, so wait for the cache to hold every guild.
        await double.wait_for(
            lambda: all(bot.get_guild(g) for g in _guilds_on_shards_of(bot, double)), timeout, what="guild cache"
        )

    ready = asyncio.create_task(ready_with_guilds(), name="discord-double-ready")
    try:
        done, _ = await asyncio.wait({runner, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if ready in done:
        ready.result()
        return
    if runner in done:
        runner.result()  # re-raise why the bot stopped
        raise RuntimeError("the bot stopped before becoming ready")
    raise TimeoutError(f"bot did not become ready within {timeout}s")


@pytest.fixture
async def discord_double() -> AsyncIterator[DiscordDouble]:
    """A started ``DiscordDouble`` with one guild ("Test Guild": #general, #trivia)."""
    async with DiscordDouble() as double:
        yield double
