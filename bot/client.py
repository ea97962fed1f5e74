"""The discord.py Bot: intents, start-up, cogs, command sync and the one place errors are turned into replies.

Everything it sends has mentions disabled, so no text from a pack or a player can ever ping anyone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.authoring.fetch import FetchLimits
from bot.config import DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_TIMEOUT_SECONDS
from bot.library import PackLibrary
from bot.metrics import NO_METRICS, Metrics
from bot.packwork import PackWorker, PackWorkTimeout, ServerLimits
from bot.rest_budget import RestBudget
from bot.sharding import EVERY_SHARD, ShardScope
from bot.storage.base import Store
from bot.trivia.catalog import Catalog

log = logging.getLogger(__name__)

# Docker gives a container 10 seconds after SIGTERM before it kills it; systemd gives 90.
SHUTDOWN_GRACE_SECONDS = 8


def build_intents(message_content: bool) -> discord.Intents:
    # Guilds and guild messages are all the bot needs; message content is privileged and only
    # wanted for free-text answers, so it is opt-in.
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = message_content
    return intents


class CrateDigger(commands.AutoShardedBot):
    """One process's bot: every shard of ``shard_scope`` over one gateway connection each.

    With the default scope it asks Discord how many shards to run (``GET /gateway/bot``) and runs all
    of them; several processes each run their own ``shard_ids`` of one ``shard_count``.
    """

    def __init__(
        self,
        *,
        store: Store,
        catalog: Catalog,
        message_content: bool = False,
        dev_guild_id: int | None = None,
        sync_on_start: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
        fetch_limits: FetchLimits | None = None,
        pack_worker: PackWorker | None = None,
        pack_limits: ServerLimits | None = None,
        pack_cache_dir: Path | None = None,
        shard_scope: ShardScope = EVERY_SHARD,
        metrics: Metrics = NO_METRICS,
        rest_budget: RestBudget | None = None,
    ):
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=build_intents(message_content),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            shard_count=shard_scope.shard_count,
            shard_ids=list(shard_scope.shard_ids) if shard_scope.shard_ids is not None else None,
            http_trace=metrics.http_trace(),
        )
        # Which servers this process owns: their games, their daily posts, their interactions.
        self.shard_scope = shard_scope
        self.metrics = metrics
        store = metrics.measure_store(store)
        metrics.watch(self)
        self.store = store
        self.library = PackLibrary(
            store, catalog, clock=wall_clock, worker=pack_worker, limits=pack_limits, cache_dir=pack_cache_dir
        )
        self.pack_worker = pack_worker
        self.message_content = message_content
        self.dev_guild_id = dev_guild_id
        self.sync_on_start = sync_on_start
        # Game time: tests pass a faster clock with a matching sleep instead of waiting out timers.
        self.monotonic = monotonic
        self.sleep = sleep
        self.wall_clock = wall_clock
        # `/pack draft url:` fetches under these; by default private addresses are refused.
        self.fetch_limits = fetch_limits or FetchLimits(
            DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_TIMEOUT_SECONDS, refuse_private_addresses=True
        )
        # Every call Discord counts against the bot's global limit (all but interaction responses, which
        # discord.py sends through another client) waits for its turn, so hundreds of games spread their
        # sends instead of being answered 429.
        self.rest_budget = rest_budget or RestBudget()
        self.http.request = self.rest_budget.wrap(self.http.request)  # type: ignore[method-assign]
        self.tree.on_error = self.on_app_command_error

    async def setup_hook(self) -> None:
        await self.store.open()
        if self.pack_worker is not None:
            # A new interpreter takes a moment to start: better now than during the first upload.
            await asyncio.get_running_loop().run_in_executor(None, self.pack_worker.start)
        # Games a crash (SIGKILL, power cut) left open: nothing of this run has started yet. Only
        # those of this process's shards: another process sharing the database runs the others.
        now = self.wall_clock()
        closed = await self.store.close_interrupted_games(finished_at=now, started_before=now, scope=self.shard_scope)
        if closed:
            log.warning("closed %d game(s) the last run left unfinished (scores kept, marked interrupted)", closed)
        await self.add_commands()
        self.add_persistent_buttons()
        if self.dev_guild_id and self.sync_on_start:
            guild = discord.Object(self.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to development server %s", len(synced), self.dev_guild_id)

    async def add_commands(self) -> None:
        """Add every cog; also used without a connection to print the command payload."""
        from bot.cogs.daily import DailyCog
        from bot.cogs.facts import FactsCog
        from bot.cogs.packs import PacksCog
        from bot.cogs.privacy import PrivacyCog
        from bot.cogs.seasons import SeasonsCog
        from bot.cogs.trivia import TriviaCog

        await self.add_cog(TriviaCog(self))
        await self.add_cog(DailyCog(self))  # after TriviaCog: its commands join the /trivia group
        await self.add_cog(SeasonsCog(self))  # likewise
        await self.add_cog(PrivacyCog(self))  # likewise
        await self.add_cog(FactsCog(self))
        await self.add_cog(PacksCog(self))

    def add_persistent_buttons(self) -> None:
        """Buttons answered from their ``custom_id`` alone, so a press still gets a reply after a restart."""
        from bot.cogs.reports import PERSISTENT_ITEMS
        from bot.cogs.seasons import EndSeasonButton
        from bot.cogs.trivia import AnswerButton

        self.add_dynamic_items(AnswerButton, EndSeasonButton, *PERSISTENT_ITEMS)

    async def close(self) -> None:
        try:
            trivia = self.get_cog("TriviaCog")
            if trivia is not None:
                # Games are finished in storage at once; posting their standings waits on Discord,
                # which must not outlast what a service manager allows before it kills the process.
                async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                    await trivia.stop_all()  # type: ignore[attr-defined]
        except TimeoutError:
            log.warning("gave up posting final standings after %s s; closing anyway", SHUTDOWN_GRACE_SECONDS)
        finally:
            await super().close()
            await self.store.close()
            self.library.close()

    def dispatch(self, event_name: str, /, *args: object, **kwargs: object) -> None:
        # Called as the gateway event is parsed, before any handler has run: the moment an
        # acknowledgement is timed from.
        if event_name == "interaction":
            self.metrics.interaction_received(args[0])  # type: ignore[arg-type]
        super().dispatch(event_name, *args, **kwargs)

    async def on_ready(self) -> None:
        log.info(
            "connected as %s to %d servers on %s",
            self.user,
            len(self.guilds),
            _shards_running(self.shard_count, self.shard_ids),
        )

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s ready", shard_id, self.shard_count)

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Every failure becomes a short private reply and one log line, never a traceback in chat."""
        if isinstance(error, app_commands.MissingPermissions):
            message = "You need the Manage Server permission to do that."
        elif isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use that command here."
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = f"Slow down: try again in {error.retry_after:.0f} s."
        elif isinstance(getattr(error, "original", None), PackWorkTimeout):
            log.warning("pack work for server %s: %s", interaction.guild_id, error.original)  # type: ignore[attr-defined]
            message = f"This server's packs could not be loaded in time: {error.original}"  # type: ignore[attr-defined]
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            original = getattr(error, "original", error)
            if interaction_expired(original):
                # Nobody is left to tell, and no traceback would help: Discord simply took too long
                # to hear back (or the bot did). One line says so.
                log.warning("/%s could not answer %s: %s", command, interaction.user, expired_reason(original))
                return
            log.error("command /%s failed: %s", command, original, exc_info=original)
            message = "Something went wrong on our side; the error has been logged."
        await send_private(interaction, message)


def _shards_running(count: int | None, ids: list[int] | None) -> str:
    shown = ids if ids is not None else range(count or 1)
    return f"shard{'s' if len(shown) != 1 else ''} {', '.join(map(str, shown))} of {count}"


# Discord's codes for an interaction whose replies it no longer takes: Unknown interaction (10062: not
# acknowledged within 3 seconds), Unknown Webhook (10015) and Invalid Webhook Token (50027: the token's
# 15 minutes are over).
EXPIRED_INTERACTION_CODES = frozenset({10062, 10015, 50027})


def interaction_expired(error: BaseException) -> bool:
    return isinstance(error, discord.HTTPException) and error.code in EXPIRED_INTERACTION_CODES


def expired_reason(error: discord.HTTPException) -> str:
    return f"the interaction expired ({error.code}: {error.text[:100]})"


async def send_private(interaction: discord.Interaction, content: str | None = None, **kwargs) -> None:
    """Reply ephemerally whether or not the interaction was already answered."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(content, ephemeral=True, **kwargs)
    except discord.HTTPException as error:
        log.warning("could not reply to an interaction: %s", error)
