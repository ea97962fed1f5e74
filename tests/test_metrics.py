"""bot/metrics.py: the no-op when off, what the Prometheus metrics count, and serving them."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from types import SimpleNamespace

import discord
import pytest

from bot import launcher, metrics
from bot.config import ConfigError, load_settings
from bot.metrics import NO_METRICS, MeasuredStore, PrometheusMetrics, metrics_for
from bot.sharding import EVERY_SHARD, shard_of
from bot.storage.base import PlayerResult, ScoredAnswer
from bot.storage.sqlite import SqliteStore

GUILD = 7


def sample(registry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def answer(user_id: int, correct: bool) -> ScoredAnswer:
    return ScoredAnswer(user_id, f"p{user_id}", "q1", correct, 10 if correct else 0, 1.0)


def interaction(interaction_id: int, kind: discord.InteractionType = discord.InteractionType.component):
    return SimpleNamespace(id=interaction_id, type=kind)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- settings ------------------------------------------------------------------------------------


def test_metrics_are_off_unless_a_port_is_set():
    settings = load_settings({})
    assert settings.metrics_port is None and settings.metrics_address == "127.0.0.1"
    assert metrics_for(settings) is NO_METRICS


def test_the_port_and_address_are_read():
    settings = load_settings({"METRICS_PORT": " 9108 ", "METRICS_ADDRESS": "0.0.0.0"})
    assert (settings.metrics_port, settings.metrics_address) == (9108, "0.0.0.0")
    assert load_settings({"METRICS_ADDRESS": "::1"}).metrics_address == "::1"
    chosen = metrics_for(settings)
    assert isinstance(chosen, PrometheusMetrics) and (chosen.address, chosen.port) == ("0.0.0.0", 9108)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("METRICS_PORT", "0", "a whole number from 1 to 65535"),
        ("METRICS_PORT", "65536", "a whole number from 1 to 65535"),
        ("METRICS_PORT", "http", "a whole number from 1 to 65535"),
        ("METRICS_ADDRESS", "localhost", "an IP address"),
        ("METRICS_ADDRESS", "127.0.0.1:9108", "an IP address"),
    ],
)
def test_a_bad_metrics_setting_names_the_variable(variable, value, expected):
    with pytest.raises(ConfigError, match=variable) as raised:
        load_settings({variable: value})
    assert expected in str(raised.value) and value not in str(raised.value)


# -- off -----------------------------------------------------------------------------------------


async def test_the_no_op_leaves_the_store_and_the_http_session_alone(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    assert NO_METRICS.measure_store(store) is store
    assert NO_METRICS.http_trace() is None
    NO_METRICS.interaction_received(interaction(1))
    NO_METRICS.serve()
    NO_METRICS.close()


def test_nothing_loads_prometheus_client_unless_metrics_are_on():
    code = (
        "import sys, bot.client, bot.launcher, bot.trivia.session; "
        "from bot.config import load_settings; from bot.metrics import metrics_for; "
        "metrics_for(load_settings({})); "
        "assert 'prometheus_client' not in sys.modules, 'loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- the store -----------------------------------------------------------------------------------


async def test_the_measured_store_counts_games_answers_commits_and_uploads(tmp_path):
    measured = PrometheusMetrics()
    registry = measured.registry
    async with measured.measure_store(SqliteStore(tmp_path / "db.sqlite3")) as store:
        assert isinstance(store, MeasuredStore)
        game = await store.start_game(GUILD, 1, "pack", "choices", 1.0)
        await store.record_answers(game, GUILD, [answer(1, True), answer(2, True), answer(3, False)], [4])
        await store.record_answers(game, GUILD, [answer(1, False)])
        await store.finish_game(game, GUILD, 2.0, [PlayerResult(1, "p1", 20, 2, True)], stopped=False)
        stopped = await store.start_game(GUILD, 2, "pack", "choices", 3.0)
        await store.finish_game(stopped, GUILD, 4.0, [], stopped=True)
        await store.start_game(GUILD, 3, "pack", "choices", 5.0)  # left open, as a crash would
        assert await store.close_interrupted_games(finished_at=10.0, started_before=10.0, scope=EVERY_SHARD) == 1
        await store.save_pack(GUILD, "mine", "id: mine\n", 1, 6.0)
        # Everything else goes straight through to the wrapped store.
        board = await store.leaderboard(GUILD)
        assert [row.user_id for row in board][:1] == [1]
        assert (await store.get_pack(GUILD, "mine")).yaml_text == "id: mine\n"

    assert sample(registry, "crate_digger_games_started_total") == 3
    assert sample(registry, "crate_digger_games_finished_total", how="completed") == 1
    assert sample(registry, "crate_digger_games_finished_total", how="stopped") == 1
    assert sample(registry, "crate_digger_games_interrupted_total") == 1
    assert sample(registry, "crate_digger_answers_total", correct="true") == 2
    assert sample(registry, "crate_digger_answers_total", correct="false") == 2
    assert sample(registry, "crate_digger_answer_commit_seconds_count") == 2
    assert sample(registry, "crate_digger_answer_commit_seconds_sum") > 0
    assert sample(registry, "crate_digger_packs_uploaded_total") == 1


async def test_a_failed_commit_counts_no_answers(tmp_path):
    measured = PrometheusMetrics()
    store = measured.measure_store(SqliteStore(tmp_path / "db.sqlite3"))
    await store.open()
    try:
        game = await store.start_game(GUILD, 1, "pack", "choices", 1.0)
        broken = ScoredAnswer(1, "p1", "q1", True, "not a number", 1.0)  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017  (whichever error the store raises)
            await store.record_answers(game, GUILD, [broken])
    finally:
        await store.close()
    assert sample(measured.registry, "crate_digger_answers_total", correct="true") == 0
    assert sample(measured.registry, "crate_digger_answer_commit_seconds_count") == 0


# -- Discord -------------------------------------------------------------------------------------


def test_an_acknowledgement_is_timed_from_the_interaction_arriving():
    clock = Clock()
    measured = PrometheusMetrics(clock=clock)
    measured.interaction_received(interaction(111, discord.InteractionType.application_command))
    measured.interaction_received(interaction(222))
    clock.now += 0.2
    measured.response_seen("/api/v10/interactions/222/a-token/callback", 204, None)
    clock.now += 0.3
    measured.response_seen("/api/v10/interactions/111/a-token/callback", 200, None)
    registry = measured.registry
    assert sample(registry, "crate_digger_interaction_ack_seconds_count", kind="component") == 1
    assert sample(registry, "crate_digger_interaction_ack_seconds_sum", kind="component") == pytest.approx(0.2)
    assert sample(registry, "crate_digger_interaction_ack_seconds_sum", kind="application_command") == pytest.approx(
        0.5
    )
    assert sample(registry, "crate_digger_interaction_ack_seconds_bucket", kind="component", le="0.25") == 1
    assert sample(registry, "crate_digger_interaction_ack_seconds_bucket", kind="component", le="0.1") == 0
    # A followup on the same interaction is not an acknowledgement.
    measured.response_seen("/api/v10/webhooks/1/a-token", 200, None)
    assert sample(registry, "crate_digger_discord_requests_total") == 3


def test_a_refused_acknowledgement_is_a_failure_and_a_429_waits_for_the_retry():
    clock = Clock()
    measured = PrometheusMetrics(clock=clock)
    registry = measured.registry
    measured.interaction_received(interaction(1))
    measured.interaction_received(interaction(2))
    measured.response_seen("/api/v10/interactions/1/t/callback", 404, None)  # expired
    assert sample(registry, "crate_digger_interaction_ack_failures_total") == 1
    measured.response_seen("/api/v10/interactions/2/t/callback", 429, "shared")
    clock.now += 1.0
    measured.response_seen("/api/v10/interactions/2/t/callback", 204, None)
    assert sample(registry, "crate_digger_interaction_ack_failures_total") == 1
    assert sample(registry, "crate_digger_interaction_ack_seconds_sum", kind="component") == pytest.approx(1.0)
    assert sample(registry, "crate_digger_discord_rate_limited_total", scope="shared") == 1


def test_429s_are_counted_by_scope():
    measured = PrometheusMetrics()
    for scope in ("global", "user", "user", None, "made-up"):
        measured.response_seen("/api/v10/channels/5/messages", 429, scope)
    measured.response_seen("/api/v10/channels/5/messages", 200, None)
    registry = measured.registry
    assert sample(registry, "crate_digger_discord_rate_limited_total", scope="global") == 1
    assert sample(registry, "crate_digger_discord_rate_limited_total", scope="user") == 2
    assert sample(registry, "crate_digger_discord_rate_limited_total", scope="unknown") == 2
    assert sample(registry, "crate_digger_discord_requests_total") == 6


def test_interactions_never_acknowledged_are_forgotten_past_a_bound(monkeypatch):
    monkeypatch.setattr(metrics, "MAX_AWAITING_ACK", 3)
    measured = PrometheusMetrics()
    for number in range(1, 6):
        measured.interaction_received(interaction(number))
    assert list(measured._awaiting_ack) == [3, 4, 5]


class RunningGames:
    """The read side of the cog's SessionRegistry: channels with a game, and each one's session."""

    def __init__(self, servers: dict[int, int]) -> None:
        self.servers = servers  # channel id -> the server its game is in
        self.ended_since_listed: set[int] = set()

    def channels(self) -> tuple[int, ...]:
        return (*self.servers, *self.ended_since_listed)

    def get(self, channel_id: int) -> SimpleNamespace | None:
        server = self.servers.get(channel_id)
        return None if server is None else SimpleNamespace(guild_id=server)


def bot_running(games: RunningGames | None, **attributes: object) -> SimpleNamespace:
    cog = SimpleNamespace(sessions=games)
    return SimpleNamespace(get_cog=lambda name: cog if name == "TriviaCog" and games else None, **attributes)


def on_shard(shard: int, shard_count: int, low_bits: int = 1) -> int:
    guild_id = (shard << 22) | low_bits
    assert shard_of(guild_id, shard_count) == shard
    return guild_id


def test_games_running_are_counted_per_shard_at_each_scrape():
    games = RunningGames({10: on_shard(1, 4), 11: on_shard(1, 4, low_bits=2), 12: on_shard(3, 4)})
    games.ended_since_listed.add(13)
    measured = PrometheusMetrics()
    measured.watch(bot_running(games, shard_count=4, shard_ids=[1, 3], latencies=[]))
    registry = measured.registry
    assert sample(registry, "crate_digger_games_running", shard="1") == 2
    assert sample(registry, "crate_digger_games_running", shard="3") == 1
    assert sample(registry, "crate_digger_games_running", shard="0") is None  # another process's shard
    del games.servers[10]
    games.servers[14] = on_shard(3, 4, low_bits=3)
    assert sample(registry, "crate_digger_games_running", shard="1") == 1
    assert sample(registry, "crate_digger_games_running", shard="3") == 2

    # Every shard of the count Discord recommended, each shown even with no game running.
    every_shard = PrometheusMetrics()
    every_shard.watch(bot_running(RunningGames({}), shard_count=2, shard_ids=None, latencies=[]))
    assert sample(every_shard.registry, "crate_digger_games_running", shard="0") == 0
    assert sample(every_shard.registry, "crate_digger_games_running", shard="1") == 0

    # Not sharded (or the count not known yet): one shard, 0.
    unsharded = PrometheusMetrics()
    unsharded.watch(bot_running(RunningGames({5: on_shard(3, 4)}), shard_count=None, shard_id=None, latency=0.1))
    assert sample(unsharded.registry, "crate_digger_games_running", shard="0") == 1


def test_gateway_latency_is_read_per_shard_at_each_scrape():
    measured = PrometheusMetrics()
    measured.watch(
        bot_running(None, shard_count=3, shard_ids=None, latencies=[(0, 0.045), (1, float("inf")), (2, 0.12)])
    )
    registry = measured.registry
    assert sample(registry, "crate_digger_gateway_latency_seconds", shard="0") == 0.045
    assert sample(registry, "crate_digger_gateway_latency_seconds", shard="1") is None  # no heartbeat yet
    assert sample(registry, "crate_digger_gateway_latency_seconds", shard="2") == 0.12
    assert sample(registry, "crate_digger_games_running", shard="1") == 0  # no trivia cog: no games

    unsharded = PrometheusMetrics()
    unsharded.watch(bot_running(None, shard_count=None, shard_id=None, latency=0.08))
    assert sample(unsharded.registry, "crate_digger_gateway_latency_seconds", shard="0") == 0.08


# -- serving -------------------------------------------------------------------------------------


def test_metrics_are_served_over_http_until_closed():
    measured = PrometheusMetrics("127.0.0.1", 0)
    measured.watch(bot_running(None, shard_count=None, shard_id=None, latency=0.05))
    measured.serve()
    try:
        assert measured.port > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{measured.port}/metrics", timeout=10) as response:
            text = response.read().decode()
        assert 'crate_digger_games_running{shard="0"} 0.0' in text
        assert 'crate_digger_gateway_latency_seconds{shard="0"} 0.05' in text
        assert "crate_digger_answer_commit_seconds_bucket" in text
        assert "process_cpu_seconds_total" in text
    finally:
        measured.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", measured.port), timeout=5).close()


@pytest.fixture
def restore_logging():
    """`run` installs discord.py's log handler on the root logger; keep it from leaking into other tests."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_run_says_so_when_the_metrics_port_is_taken(tmp_path, capsys, restore_logging):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings(
            {"DISCORD_TOKEN": "x.y.z", "DATABASE_PATH": str(tmp_path / "db.sqlite3"), "METRICS_PORT": str(port)}
        )
        code = launcher.run(settings)
    err = capsys.readouterr().err
    assert code == 2
    assert f"crate-digger: cannot serve metrics on 127.0.0.1 port {port}" in err and "METRICS_PORT" in err
    assert "Traceback" not in err
