"""The double's model of Discord's rate limits: the rules with an injected clock, then real discord.py
obeying the headers and the 429s it answers with."""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from tests.discord_double import DiscordDouble, connected_bot
from tests.discord_double.ratelimits import RateLimiter, RateLimits, RouteLimit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(limits: RateLimits | None = None) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(limits or RateLimits(), clock=clock, wall_clock=lambda: 1_700_000_000.0), clock


def test_a_channel_takes_five_messages_per_five_seconds_and_says_so_in_the_headers():
    rate, clock = limiter()
    answers = [rate.admit("POST", "/channels/111111/messages") for _ in range(5)]
    assert [a.refused for a in answers] == [None] * 5
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0"]
    first = answers[0].headers
    assert first["X-RateLimit-Limit"] == "5"
    assert first["X-RateLimit-Reset-After"] == "5.000"
    assert first["X-RateLimit-Reset"] == "1700000005.000"
    assert len({a.headers["X-RateLimit-Bucket"] for a in answers}) == 1

    clock.now += 2
    sixth = rate.admit("POST", "/channels/111111/messages")
    assert sixth.refused == {"message": "You are being rate limited.", "retry_after": 3.0, "global": False}
    assert sixth.headers["X-RateLimit-Scope"] == "user"
    assert sixth.headers["Retry-After"] == "3"
    assert "X-RateLimit-Global" not in sixth.headers
    # Another channel has a bucket of its own.
    assert rate.admit("POST", "/channels/222222/messages").refused is None

    clock.now += 3  # the window has passed
    assert rate.admit("POST", "/channels/111111/messages").refused is None
    assert [(hit.bucket, hit.scope, hit.retry_after) for hit in rate.hits] == [("create message", "user", 3.0)]


def test_edits_share_one_bucket_per_channel_whichever_message_they_edit():
    rate, _ = limiter()
    for message in range(5):
        assert rate.admit("PATCH", f"/channels/111111/messages/{900000 + message}").refused is None
    assert rate.admit("PATCH", "/channels/111111/messages/999999").refused is not None


def test_the_global_limit_counts_every_bot_call_but_not_interaction_endpoints():
    rate, clock = limiter()
    for channel in range(50):  # fifty channels: no route bucket is anywhere near full
        assert rate.admit("POST", f"/channels/{100000 + channel}/messages").refused is None
    refused = rate.admit("POST", "/channels/200000/messages")
    assert refused.refused == {"message": "You are being rate limited.", "retry_after": 1.0, "global": True}
    assert refused.headers["X-RateLimit-Global"] == "true"
    assert refused.headers["X-RateLimit-Scope"] == "global"
    # Acknowledging and following up interactions is not bound by it.
    assert rate.admit("POST", "/interactions/123456/tok-en/callback").refused is None
    assert rate.admit("POST", "/webhooks/123456/tok-en").refused is None
    assert rate.admit("PATCH", "/webhooks/123456/tok-en/messages/@original").refused is None
    clock.now += 1.0
    assert rate.admit("POST", "/channels/200000/messages").refused is None
    assert rate.max_global_per_second() == 51  # the refused call was made, so it is counted
    assert rate.total_calls() == 55
    assert rate.calls_by_route()["POST /channels/{id}/messages"] == 52
    assert rate.calls_by_route()["POST /interactions/{id}/{token}/callback"] == 1


def test_a_refused_call_uses_up_nothing_and_counts_are_per_second():
    rate, clock = limiter(RateLimits(global_per_second=2, routes=()))
    assert rate.admit("GET", "/users/@me").refused is None
    assert rate.admit("GET", "/users/@me").refused is None
    assert rate.admit("GET", "/users/@me").refused is not None
    clock.now += 1.5
    assert rate.admit("GET", "/users/@me").refused is None
    assert dict(rate.global_calls_per_second) == {0: 3, 1: 1}
    rate.reset_counts()
    assert rate.total_calls() == 0 and rate.hits == []


def test_shared_resource_limits_say_so():
    rate, _ = limiter(RateLimits(routes=(RouteLimit("followup", "POST", r"/webhooks/\d+/([^/]+)", 1, 2.0, "shared"),)))
    rate.admit("POST", "/webhooks/1234567/token")
    refused = rate.admit("POST", "/webhooks/1234567/token")
    assert refused.headers["X-RateLimit-Scope"] == "shared"
    assert refused.refused is not None and refused.refused["message"] == "The resource is being rate limited."


def test_unlimited_and_scaled_limits():
    rate, _ = limiter(RateLimits.unlimited())
    assert all(rate.admit("POST", "/channels/111111/messages").refused is None for _ in range(200))
    scaled = RateLimits().scaled(10)
    assert scaled.global_per_second == 500
    assert next(route for route in scaled.routes if route.name == "create message").limit == 50


# --- real discord.py against the limits -------------------------------------------------------------


def plain_bot() -> commands.Bot:
    return commands.Bot(command_prefix="!", intents=discord.Intents.default())


async def test_discord_py_waits_out_an_exhausted_channel_bucket_instead_of_being_refused():
    limits = RateLimits(routes=(RouteLimit("create message", "POST", r"/channels/(\d+)/messages", 2, 0.5),))
    async with DiscordDouble(rate_limits=limits) as double, connected_bot(plain_bot, double) as bot:
        channel = bot.get_channel(double.channel("trivia").id)
        for number in range(5):
            await channel.send(f"message {number}")
        sends = [r for r in double.requests if r.method == "POST" and r.path.endswith("/messages")]
        assert len(sends) == 5
        assert double.rate_limiter.hits == []  # the headers told it when to wait
        assert sends[-1].at - sends[0].at >= 0.9  # two windows of 0.5 s were waited out


async def test_discord_py_retries_after_a_global_429():
    async with DiscordDouble(rate_limits=RateLimits(global_per_second=3, routes=())) as double:
        async with connected_bot(plain_bot, double) as bot:
            channel = bot.get_channel(double.channel("trivia").id)
            double.rate_limiter.reset_counts()
            for number in range(5):
                await channel.send(f"message {number}")
            assert len([m for m in double.messages if m.content.startswith("message")]) == 5
            hits = double.rate_limiter.hits
            assert hits and all(hit.bucket == "global" and hit.scope == "global" for hit in hits)
            refused = [r for r in double.requests if r.status == 429]
            assert refused and refused[0].response["global"] is True


@pytest.mark.parametrize("limits", [RateLimits(), RateLimits.unlimited()])
async def test_the_default_double_counts_every_call(limits):
    async with DiscordDouble(rate_limits=limits) as double, connected_bot(plain_bot, double) as bot:
        await bot.get_channel(double.channel("trivia").id).send("hello")
        assert double.rate_limiter.total_calls() == len(double.requests)
        assert double.rate_limiter.calls_by_route()["POST /channels/{id}/messages"] == 1
