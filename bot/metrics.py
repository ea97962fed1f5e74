"""Prometheus metrics for `crate-digger run`, off unless ``METRICS_PORT`` is set.

The bot talks to one ``Metrics`` object. ``NO_METRICS`` does nothing and imports nothing; only
``PrometheusMetrics`` loads prometheus_client, so a bot without metrics never pays for it. The game
logic knows nothing of either: what the store does (games started and finished, answers and the time
their commit took, packs uploaded) is measured by wrapping the store (``MeasuredStore``); what Discord
does (acknowledgement latency, rate limits) by a trace on discord.py's HTTP session; games running and
gateway latency, both per shard, are read from the bot whenever Prometheus scrapes. prometheus_client
serves ``/metrics`` from a thread of its own, so a scrape never waits for the event loop.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from bot.sharding import shard_of

if TYPE_CHECKING:
    import aiohttp
    import discord

    from bot.config import Settings
    from bot.storage.base import GameScope, PlayerResult, ScoredAnswer, Store

PREFIX = "crate_digger"
# Store commits: sub-millisecond on a quiet SQLite, seconds when a database is in trouble.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Acknowledgements: Discord forgets an interaction that is not acknowledged within 3 s.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
# Interactions received but not (yet) acknowledged that are remembered; past this the oldest are
# forgotten, so interactions the bot never answers cannot grow the table without bound.
MAX_AWAITING_ACK = 10_000
# The interaction callback: POST /interactions/{id}/{token}/callback is the acknowledgement.
CALLBACK_PATH = re.compile(r"/interactions/(\d+)/[^/]+/callback$")
RATE_LIMIT_SCOPES = frozenset({"user", "global", "shared"})


class Metrics:
    """Metrics switched off: every hook is a no-op, and nothing is served."""

    def measure_store(self, store: Store) -> Store:
        """``store``, wrapped so that what passes through it is counted."""
        return store

    def http_trace(self) -> aiohttp.TraceConfig | None:
        """A trace for discord.py's HTTP session (``Client(http_trace=...)``), or None."""
        return None

    def interaction_received(self, interaction: discord.Interaction) -> None:
        """Called as the gateway delivers an interaction: its acknowledgement is timed from here."""

    def watch(self, bot: discord.Client) -> None:
        """Read games running and gateway latency from ``bot`` at every scrape."""

    def serve(self) -> None:
        """Start serving ``/metrics``; raises ``OSError`` if the address cannot be listened on."""

    def close(self) -> None:
        """Stop serving."""


NO_METRICS = Metrics()


def metrics_for(settings: Settings) -> Metrics:
    """Prometheus metrics when ``METRICS_PORT`` is set, else the no-op."""
    if settings.metrics_port is None:
        return NO_METRICS
    return PrometheusMetrics(settings.metrics_address, settings.metrics_port)


class PrometheusMetrics(Metrics):
    def __init__(self, address: str = "127.0.0.1", port: int = 0, *, clock: Callable[[], float] = time.monotonic):
        from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector

        self.address = address
        self.port = port
        self._clock = clock
        # A registry of our own rather than the global one: several bots (tests) can each have theirs.
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._bot_collector = _BotCollector()
        self.registry.register(self._bot_collector)
        name = PREFIX
        self.games_started = Counter(f"{name}_games_started", "Games started (stored)", registry=self.registry)
        self.games_finished = Counter(
            f"{name}_games_finished",
            "Games finished: played to the end (completed) or stopped by a command or shutdown (stopped)",
            ["how"],
            registry=self.registry,
        )
        self.games_interrupted = Counter(
            f"{name}_games_interrupted",
            "Games a crash left open, closed as interrupted at start-up",
            registry=self.registry,
        )
        self.answers = Counter(
            f"{name}_answers", "Answers committed to the store, right or wrong", ["correct"], registry=self.registry
        )
        self.commit_seconds = Histogram(
            f"{name}_answer_commit_seconds",
            "Time to commit one question's answers (record_answers), queueing included: what players wait for",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            f"{name}_interaction_ack_seconds",
            "From an interaction arriving on the gateway to Discord confirming its acknowledgement",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.ack_failures = Counter(
            f"{name}_interaction_ack_failures",
            "Acknowledgements Discord refused (most often: too late, the interaction expired)",
            registry=self.registry,
        )
        self.packs_uploaded = Counter(
            f"{name}_packs_uploaded", "Packs servers uploaded (added or replaced)", registry=self.registry
        )
        self.discord_requests = Counter(
            f"{name}_discord_requests", "HTTP requests made to Discord, retries included", registry=self.registry
        )
        self.rate_limited = Counter(
            f"{name}_discord_rate_limited",
            "429 responses from Discord, by X-RateLimit-Scope (user, global, shared; unknown when absent)",
            ["scope"],
            registry=self.registry,
        )
        # Every label value exists from the start, so a dashboard shows 0 rather than nothing.
        for how in ("completed", "stopped"):
            self.games_finished.labels(how=how)
        for correct in ("true", "false"):
            self.answers.labels(correct=correct)
        # Interaction id -> (when it arrived, its kind), until its acknowledgement is seen.
        self._awaiting_ack: dict[int, tuple[float, str]] = {}
        self._server: Any = None

    # -- the store -----------------------------------------------------------------------------

    def measure_store(self, store: Store) -> Store:
        return MeasuredStore(store, self)  # type: ignore[return-value]

    def answers_committed(self, answers: Sequence[ScoredAnswer], seconds: float) -> None:
        self.commit_seconds.observe(seconds)
        right = sum(1 for answer in answers if answer.correct)
        if right:
            self.answers.labels(correct="true").inc(right)
        if len(answers) > right:
            self.answers.labels(correct="false").inc(len(answers) - right)

    # -- Discord -------------------------------------------------------------------------------

    def interaction_received(self, interaction: discord.Interaction) -> None:
        awaiting = self._awaiting_ack
        if len(awaiting) >= MAX_AWAITING_ACK:
            del awaiting[next(iter(awaiting))]  # the oldest: dicts keep insertion order
        awaiting[interaction.id] = (self._clock(), interaction.type.name)

    def http_trace(self) -> aiohttp.TraceConfig:
        import aiohttp

        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(self._on_request_end)
        trace.on_request_exception.append(self._on_request_exception)
        return trace

    def response_seen(self, path: str, status: int, rate_limit_scope: str | None) -> None:
        """One response from Discord: counted, a 429 by scope, an interaction callback timed."""
        self.discord_requests.inc()
        if status == 429:
            scope = rate_limit_scope if rate_limit_scope in RATE_LIMIT_SCOPES else "unknown"
            self.rate_limited.labels(scope=scope).inc()
        callback = CALLBACK_PATH.search(path)
        if callback is None or status == 429:  # discord.py retries a 429; the retry settles it
            return
        received = self._awaiting_ack.pop(int(callback[1]), None)
        if status >= 400:
            self.ack_failures.inc()
        elif received is not None:
            arrived, kind = received
            self.ack_seconds.labels(kind=kind).observe(max(0.0, self._clock() - arrived))

    async def _on_request_end(self, session: object, context: object, params: aiohttp.TraceRequestEndParams) -> None:
        response = params.response
        self.response_seen(params.url.path, response.status, response.headers.get("X-RateLimit-Scope"))

    async def _on_request_exception(
        self, session: object, context: object, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        self.discord_requests.inc()
        if (callback := CALLBACK_PATH.search(params.url.path)) is not None:
            if self._awaiting_ack.pop(int(callback[1]), None) is not None:
                self.ack_failures.inc()

    def watch(self, bot: discord.Client) -> None:
        self._bot_collector.bot = bot

    # -- serving -------------------------------------------------------------------------------

    def serve(self) -> None:
        from prometheus_client import start_http_server

        self._server, _ = start_http_server(self.port, addr=self.address, registry=self.registry)
        self.port = self._server.server_port  # the real one when 0 asked for any free port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _BotCollector:
    """Games running and gateway latency per shard, read from the bot at each scrape.

    Runs on the HTTP server's thread: it only reads a few attributes, and a read that races the event
    loop (a shard reconnecting while the shards are listed) gives up on that figure for this scrape.
    """

    def __init__(self) -> None:
        self.bot: discord.Client | None = None

    def describe(self) -> Iterable[Any]:
        return self._families()

    def collect(self) -> Iterator[Any]:
        running, latency = self._families()
        bot = self.bot
        if bot is not None:
            try:
                for shard, games in sorted(games_running(bot).items()):
                    running.add_metric([str(shard)], games)
            except RuntimeError:  # "changed size during iteration": the next scrape will have it
                pass
            try:
                for shard, seconds in gateway_latencies(bot):
                    latency.add_metric([str(shard)], seconds)
            except RuntimeError:
                pass
        yield running
        yield latency

    @staticmethod
    def _families() -> tuple[Any, Any]:
        from prometheus_client.core import GaugeMetricFamily

        return (
            GaugeMetricFamily(
                f"{PREFIX}_games_running",
                "Games running in this process, per shard (the shard of the game's server)",
                labels=["shard"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_gateway_latency_seconds",
                "Time between a gateway heartbeat and Discord's acknowledgement of it, per shard",
                labels=["shard"],
            ),
        )


def games_running(bot: discord.Client) -> dict[int, int]:
    """Shard id -> games running in its servers, for every shard this process runs (0 where none
    runs, so a dashboard shows 0 rather than nothing); one shard (0) when not sharded."""
    shard_count = bot.shard_count or 1  # None until an auto-sharded bot has asked Discord, and unsharded
    shard_ids = getattr(bot, "shard_ids", None)  # AutoShardedClient only; None there means all of them
    games = dict.fromkeys(shard_ids if shard_ids is not None else range(shard_count), 0)
    trivia = bot.get_cog("TriviaCog")  # type: ignore[attr-defined]
    sessions = getattr(trivia, "sessions", None)
    if sessions is not None:
        for channel_id in sessions.channels():
            session = sessions.get(channel_id)
            if session is not None:  # else it ended since the channels were listed
                shard = shard_of(session.guild_id, shard_count)
                games[shard] = games.get(shard, 0) + 1
    return games


def gateway_latencies(bot: discord.Client) -> list[tuple[int, float]]:
    """(shard id, seconds) for each shard with a measured heartbeat; one shard (0) when not sharded."""
    latencies = getattr(bot, "latencies", None)  # AutoShardedClient only
    if latencies is None:
        latencies = [(bot.shard_id or 0, bot.latency)]
    return [(shard or 0, seconds) for shard, seconds in latencies if math.isfinite(seconds)]


class MeasuredStore:
    """A ``Store`` that counts what passes through it; every call goes straight to the store it wraps.

    Only the calls worth counting are written out; the rest of the interface is delegated as is, so
    the wrapper never falls behind when the interface grows.
    """

    def __init__(self, store: Store, metrics: PrometheusMetrics) -> None:
        self.wrapped = store
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    async def __aenter__(self) -> MeasuredStore:
        await self.wrapped.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.wrapped.close()

    async def start_game(self, guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float) -> int:
        game_id = await self.wrapped.start_game(guild_id, channel_id, pack_id, mode, started_at)
        self._metrics.games_started.inc()
        return game_id

    async def record_answers(
        self, game_id: int, guild_id: int, answers: Sequence[ScoredAnswer], missed: Sequence[int] = ()
    ) -> None:
        started = time.perf_counter()
        await self.wrapped.record_answers(game_id, guild_id, answers, missed)
        self._metrics.answers_committed(answers, time.perf_counter() - started)

    async def finish_game(
        self, game_id: int, guild_id: int, finished_at: float, results: Sequence[PlayerResult], stopped: bool
    ) -> None:
        await self.wrapped.finish_game(game_id, guild_id, finished_at, results, stopped)
        self._metrics.games_finished.labels(how="stopped" if stopped else "completed").inc()

    async def close_interrupted_games(self, finished_at: float, started_before: float, scope: GameScope) -> int:
        closed = await self.wrapped.close_interrupted_games(finished_at, started_before, scope)
        self._metrics.games_interrupted.inc(closed)
        return closed

    async def save_pack(
        self, guild_id: int, pack_id: str, yaml_text: str, uploaded_by: int, uploaded_at: float
    ) -> None:
        await self.wrapped.save_pack(guild_id, pack_id, yaml_text, uploaded_by, uploaded_at)
        self._metrics.packs_uploaded.inc()
