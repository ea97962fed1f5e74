"""`crate-digger run`, `sync` and `commands`: starting the Discord side and saying plainly why it can't.

A missing or rejected token, or a privileged intent the Developer Portal has not enabled, ends in one
line saying what to do and exit code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
import sys

import aiohttp
import discord

from bot.authoring.fetch import FetchLimits
from bot.client import CrateDigger
from bot.collector import collecting_less_often
from bot.config import ConfigError, Settings, log_level_number
from bot.metrics import NO_METRICS, Metrics, metrics_for
from bot.packcache import cached_catalog
from bot.packwork import PackWorker, ServerLimits
from bot.rest_budget import RestBudget
from bot.storage import store_for

EXIT_CONFIG = 2
log = logging.getLogger(__name__)
# What systemd and Docker send (SIGTERM) and what Ctrl-C sends (SIGINT) close the bot the same way.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _fail(message: str) -> int:
    print(f"crate-digger: {message}", file=sys.stderr)
    return EXIT_CONFIG


def _setup_logging(settings: Settings) -> None:
    discord.utils.setup_logging(level=log_level_number(settings), root=True)
    # aiosqlite logs every statement at DEBUG, which drowns the bot's own debug output.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, log_level_number(settings)))


def build_bot(settings: Settings, *, sync_on_start: bool = True, metrics: Metrics = NO_METRICS) -> CrateDigger:
    # Cached like the CLI's: a restart with unchanged packs skips parsing, validation and generation.
    catalog, problems = cached_catalog(settings.pack_folders, settings.pack_cache_dir, settings.pack_limits)
    for problem in problems:
        log.warning("skipped a pack: %s", problem)
    return CrateDigger(
        # Group commits in a process of their own, off the event loop's GIL (bot/storage/sqlite_writer.py).
        store=store_for(settings, sqlite_writer="process"),
        catalog=catalog,
        message_content=settings.message_content,
        dev_guild_id=settings.dev_guild_id,
        sync_on_start=sync_on_start,
        fetch_limits=FetchLimits.from_settings(settings),
        pack_worker=PackWorker(processes=settings.pack_workers, timeout=settings.pack_work_timeout_seconds),
        pack_limits=ServerLimits(settings.max_packs_per_server, settings.max_facts_per_pack, settings.pack_limits),
        pack_cache_dir=settings.pack_cache_dir,
        shard_scope=settings.shard_scope,
        metrics=metrics,
        rest_budget=RestBudget(settings.process_rest_per_second),
    )


def freeze_heap_when_ready(bot: discord.Client) -> None:
    """The first time ``bot`` is ready, take everything alive then (the question catalog, discord.py's
    caches of servers and channels), which lives as long as the process, out of the cycle collector's
    sight: at 200 games a full collection walking it held the event loop for about 80 ms, acks waiting."""
    frozen = False

    async def freeze() -> None:
        nonlocal frozen
        if frozen:
            return  # a reconnect's ready: what lives now includes games, which end and must be collectable
        frozen = True
        gc.collect()  # garbage from start-up is freed, not frozen
        gc.freeze()

    bot.add_listener(freeze, "on_ready")


def run(settings: Settings) -> int:
    try:
        token = settings.require_token()
    except ConfigError as error:
        return _fail(str(error))
    _setup_logging(settings)
    metrics = metrics_for(settings)
    try:
        metrics.serve()
    except OSError as error:
        return _fail(
            f"cannot serve metrics on {settings.metrics_address} port {settings.metrics_port} "
            f"({error.strerror or error}): pick a free METRICS_PORT, or leave it empty to serve none"
        )
    bot = build_bot(settings, metrics=metrics)
    freeze_heap_when_ready(bot)
    try:
        with collecting_less_often():
            asyncio.run(_run_bot(bot, token))
    except discord.LoginFailure:
        return _fail("Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal (Bot > Reset Token)")
    except discord.PrivilegedIntentsRequired:
        return _fail(
            "the Message Content intent is not enabled for this bot: turn it on in the Developer Portal "
            "(Bot > Privileged Gateway Intents) or set MESSAGE_CONTENT_INTENT=false"
        )
    except discord.ConnectionClosed as error:
        return _fail(_gateway_refused(error))
    except UNREACHABLE as error:
        return _fail(_unreachable(error))
    except discord.HTTPException as error:
        return _fail(f"Discord refused to log in ({error.status}): try again later")
    except KeyboardInterrupt:
        pass
    finally:
        metrics.close()
    return 0


# What a login raises when Discord cannot be reached at all: no network, a DNS failure, a refused
# connection, a proxy or firewall that never answers.
UNREACHABLE = (aiohttp.ClientConnectionError, OSError, asyncio.TimeoutError)


def _gateway_refused(error: discord.ConnectionClosed) -> str:
    """Why Discord closed the gateway for good (discord.py reconnects by itself after any other close)."""
    shard = f"shard {error.shard_id}" if error.shard_id is not None else "the connection"
    if error.code == 4011:
        return (
            f"Discord closed {shard}: this bot is in too many servers for SHARD_COUNT (code 4011, sharding "
            "required): raise SHARD_COUNT in every process, or unset SHARD_COUNT and SHARD_IDS to run the "
            "shards Discord recommends in one process"
        )
    if error.code == 4010:
        return (
            f"Discord refused {shard} (code 4010, invalid shard): SHARD_COUNT must be the same in every "
            "process and each SHARD_IDS below it"
        )
    if error.code == 4004:
        return "Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal (Bot > Reset Token)"
    reason = " ".join(str(error.reason or "").split())[:200] or "no reason given"
    return f"Discord closed {shard} and will not take it back (code {error.code}: {reason})"


def _unreachable(error: BaseException) -> str:
    reason = " ".join(str(error).split())[:200] or type(error).__name__
    return f"cannot reach Discord ({reason}): check this machine's network connection, then try again"


async def _run_bot(bot: CrateDigger, token: str) -> None:
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def close_gracefully(signal_name: str) -> None:
        # The same path as Ctrl-C: every game stopped with its final standings posted and stored,
        # its buttons disabled. A second signal gets the default behaviour (an immediate stop).
        log.info("%s received: finishing the games in progress, then closing", signal_name)
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)
        closing.append(loop.create_task(bot.close()))

    try:
        for number in STOP_SIGNALS:
            loop.add_signal_handler(number, close_gracefully, signal.Signals(number).name)
    except NotImplementedError:  # Windows: Ctrl-C still stops the bot, through KeyboardInterrupt
        pass
    try:
        await _serve(bot, token)
    finally:
        for number in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(number)
        if closing:
            await closing[0]


async def _serve(bot: CrateDigger, token: str) -> None:
    async with bot:
        # A database that cannot be used is found out before going online (and without a network).
        await bot.store.open()
        await bot.start(token)


def sync(settings: Settings, guild_id: int | None) -> int:
    try:
        token = settings.require_token()
    except ConfigError as error:
        return _fail(str(error))
    _setup_logging(settings)
    bot = build_bot(settings, sync_on_start=False)
    try:
        count = asyncio.run(_sync(bot, token, guild_id))
    except discord.LoginFailure:
        return _fail("Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal (Bot > Reset Token)")
    except UNREACHABLE as error:
        return _fail(_unreachable(error))
    except discord.HTTPException as error:
        return _fail(f"Discord refused the sync: {error.status} {error.text[:200]}")
    where = f"server {guild_id} (available now)" if guild_id else "every server (may take up to an hour to appear)"
    print(f"synced {count} commands to {where}")
    return 0


async def _sync(bot: CrateDigger, token: str, guild_id: int | None) -> int:
    async with bot:
        await bot.login(token)
        if guild_id:
            guild = discord.Object(guild_id)
            bot.tree.copy_global_to(guild=guild)
            return len(await bot.tree.sync(guild=guild))
        return len(await bot.tree.sync())


def command_payload(bot: CrateDigger) -> list[dict]:
    """Exactly what `tree.sync()` sends for the global commands."""
    return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


async def _payload(settings: Settings) -> list[dict]:
    bot = build_bot(settings, sync_on_start=False)
    await bot.add_commands()
    return command_payload(bot)


def print_commands(settings: Settings) -> int:
    print(json.dumps(asyncio.run(_payload(settings)), indent=2, ensure_ascii=False))
    return 0
