from collections.abc import AsyncIterator

import pytest

from tests.discord_double import DiscordDouble
from tests.discord_double.ratelimits import RateLimits

# The end-to-end games run their clock this many times faster than real time (test_bot.FastTime).
GAME_SPEED = 10


@pytest.fixture
async def discord_double() -> AsyncIterator[DiscordDouble]:
    """The double with Discord's rate limits scaled to the game clock: a game that runs ten times
    faster may send ten times as often, so it meets the limits a real game would, no more."""
    async with DiscordDouble(rate_limits=RateLimits().scaled(GAME_SPEED)) as double:
        yield double
