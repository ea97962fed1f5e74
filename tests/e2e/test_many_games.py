"""Twenty button games at once stay within Discord's rate limits: at most three calls per question (the
question, its hint, its answer; plus the final standings once a game), all through each game's
`/trivia start` webhook, which Discord does not count against the global 50 requests/s; no 429, every
press acknowledged in time. The double's limits are Discord's, scaled like the game clock (conftest)."""

from __future__ import annotations

import asyncio
import random

from tests.discord_double import DiscordDouble, Message, User, connected_bot
from tests.e2e.test_bot import builtin_catalog, make_bot, store_path, sync  # noqa: F401  (fixtures)

GAMES = 20
QUESTIONS = 3
PLAYERS = 2
CALLS_PER_QUESTION = 3


async def test_twenty_games_make_at_most_three_calls_per_question_and_no_429(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811  (fixture)
    builtin_catalog,  # noqa: F811  (fixture)
):
    double = discord_double
    rng = random.Random(20)
    guild = double.add_guild("Busy", channels=[f"game-{n}" for n in range(GAMES)])
    asked: dict[int, int] = {}  # channel -> questions shown
    presses = []
    pressing: set[asyncio.Task] = set()
    over: set[int] = set()
    players = {channel.id: [User.member(f"{channel.name}-p{n}") for n in range(PLAYERS)] for channel in guild.channels}

    async def press_later(message: Message, user: User) -> None:
        await asyncio.sleep(rng.uniform(0.2, 0.7))  # 2 to 7 seconds of game time
        enabled = [button for button in message.buttons if not button.get("disabled")]
        if enabled:
            try:
                presses.append(await double.click(message, rng.choice(enabled)["custom_id"], user, wait=False))
            except ValueError:
                pass  # the question closed just now

    def follow(event: str, message: Message) -> None:
        if message.guild_id != guild.id or event == "MESSAGE_DELETE" or not message.embeds:
            return
        title = message.embeds[0].get("title", "")
        if title.startswith("Question ") and event == "MESSAGE_CREATE":
            asked[message.channel_id] = asked.get(message.channel_id, 0) + 1
            for user in players[message.channel_id]:
                task = asyncio.get_running_loop().create_task(press_later(message, user))
                pressing.add(task)
                task.add_done_callback(pressing.discard)
        elif title == "Final standings":
            over.add(message.channel_id)

    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        double.settle_hook = None  # twenty games are never all quiet; players don't wait for that
        double.rate_limiter.reset_counts()
        double.message_listeners.append(follow)
        options = {"questions": QUESTIONS, "seconds": 10, "hints": True}
        starts = [
            await double.slash(guild, channel, User.member("starter"), "trivia start", options)
            for channel in guild.channels
        ]
        await double.wait_for(lambda: len(over) == GAMES, timeout=30, what="every game's final standings")
        await asyncio.gather(*pressing)
        await double.wait_for(lambda: all(p.responded or p.rejected for p in presses), what="every ack")
        trivia = bot.get_cog("TriviaCog")
        await double.wait_for(lambda: trivia.sessions.running() == 0, what="every game to free its channel")

    limiter = double.rate_limiter
    assert sum(asked.values()) == GAMES * QUESTIONS
    start_tokens = {start.token for start in starts}
    game_calls = [
        r for r in double.requests if r.path.startswith("/webhooks/") and r.path.split("/")[3] in start_tokens
    ]
    assert len(game_calls) <= GAMES * QUESTIONS * CALLS_PER_QUESTION + GAMES
    assert limiter.total_calls(global_only=True) == 0, limiter.calls_by_route()
    assert limiter.hits == []
    assert presses and all(press.responded and press.latency < 3.0 for press in presses)
