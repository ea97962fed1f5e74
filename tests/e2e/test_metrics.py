"""`crate-digger run` with METRICS_PORT: a short game against the Discord double, then a scrape of /metrics.

`run` owns its event loop (asyncio.run), so the double runs on a loop in a thread of its own, and a
driver thread plays the game, scrapes and then stops the bot with SIGTERM, as systemd would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import launcher
from tests.discord_double import DiscordDouble, User
from tests.discord_double.fixtures import patch_discord_urls
from tests.e2e.test_bot import start_trivia
from tests.e2e.test_launcher import restore_logging, settings_for  # noqa: F401  (a fixture, re-used)


@contextlib.contextmanager
def double_on_a_loop_of_its_own(double: DiscordDouble):
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(double.start(), loop).result(10)
    try:
        with patch_discord_urls(double):
            yield loop
    finally:
        asyncio.run_coroutine_threadsafe(double.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_game_moves_the_metrics(tmp_path, restore_logging, monkeypatch):  # noqa: F811
    port = free_port()
    bots = []
    build_bot = launcher.build_bot

    def keep(*args, **kwargs):
        bots.append(build_bot(*args, **kwargs))
        return bots[-1]

    monkeypatch.setattr(launcher, "build_bot", keep)
    # A heartbeat every half second, so the gateway latency is measured within the test.
    double = DiscordDouble(heartbeat_interval_ms=500)
    done: dict[str, object] = {}
    with double_on_a_loop_of_its_own(double) as loop:
        channel = double.channel("trivia")

        def on_double(coroutine, timeout: float = 20):
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

        def play_scrape_then_terminate() -> None:
            try:
                on_double(double.wait_for(lambda: double.commands.get(double.guild.id), timeout=20, what="sync"))
                on_double(double.wait_until_ready(timeout=20))
                done["before"] = scrape(port)
                on_double(
                    start_trivia(
                        double,
                        channel,
                        User.member("ann"),
                        {"questions": 1, "seconds": 60, "mode": "text", "hints": False},
                    )
                )
                on_double(
                    double.wait_for_message(
                        lambda m: bool(m.embeds) and m.embeds[0].get("title", "").startswith("Question 1"),
                        channel=channel,
                        timeout=20,
                    )
                )
                done["during"] = scrape(port)
                answer = bots[0].get_cog("TriviaCog").sessions.get(channel.id).game.current.answer
                on_double(double.send_message(double.guild, channel, User.member("bob"), answer))
                on_double(
                    double.wait_for_message(
                        lambda m: bool(m.embeds) and m.embeds[0].get("title") == "Final standings",
                        channel=channel,
                        timeout=20,
                    )
                )
                # The game is over once its session ends, just after the standings are sent.
                on_double(double.wait_for(lambda: bots[0].get_cog("TriviaCog").sessions.running() == 0, timeout=10))
                # Until the first heartbeat is acknowledged the latency is unknown, and not shown.
                on_double(double.wait_for(lambda: bots[0].latency < float("inf"), timeout=10, what="a heartbeat"))
                done["after"] = scrape(port)
            except BaseException as error:  # reported below; the bot must still be told to stop
                done["error"] = error
            finally:
                os.kill(os.getpid(), signal.SIGTERM)

        driver = threading.Thread(target=play_scrape_then_terminate)
        driver.start()
        code = launcher.run(
            settings_for(
                tmp_path,
                DEV_GUILD_ID=str(double.guild.id),
                MESSAGE_CONTENT_INTENT="true",
                METRICS_PORT=str(port),
            )
        )
        driver.join(30)
    assert "error" not in done, done.get("error")
    assert code == 0
    before, after = done["before"], done["after"]

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("crate_digger_games_started_total") == 1
    assert moved("crate_digger_games_finished_total", how="completed") == 1
    assert moved("crate_digger_answers_total", correct="true") == 1
    assert moved("crate_digger_answer_commit_seconds_count") == 1
    # /trivia start was acknowledged, and timed.
    assert moved("crate_digger_interaction_ack_seconds_count", kind="application_command") >= 1
    assert after[("crate_digger_interaction_ack_seconds_sum", (("kind", "application_command"),))] > 0
    # One process running every shard (one, from the double): the game counted on its server's shard.
    assert done["during"][("crate_digger_games_running", (("shard", "0"),))] == 1
    assert after[("crate_digger_games_running", (("shard", "0"),))] == 0
    assert moved("crate_digger_discord_requests_total") > 0
    assert 0 <= after[("crate_digger_gateway_latency_seconds", (("shard", "0"),))] < 3
    # Stopped with the bot: nothing listens on the port any more.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
