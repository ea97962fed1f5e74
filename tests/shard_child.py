"""``crate-digger`` (``run``, ``sync``, ...) as a process of its own, talking to a Discord double.

The two-process test (``tests/e2e/test_shard_processes.py``) starts it as ``python -m tests.shard_child
run``. It is the real command line (settings from the environment, the real launcher and bot) with
two test-only changes made before it starts:

- discord.py's REST, gateway and CDN addresses point at the double (``DISCORD_DOUBLE_BASE_URL``,
  ``DISCORD_DOUBLE_GATEWAY_URL``, ``DISCORD_DOUBLE_CDN_URL``), as ``patch_discord_urls`` does in-process;
- the game clock runs in real time, ``SPEED`` times faster after SIGUSR1 and in real time again after
  SIGUSR2, so the test can press answers at real speed (exact points: an instant answer earns them all)
  and then have the question run out without waiting out its timer.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
import time

import yarl
from discord.asset import Asset
from discord.gateway import DiscordWebSocket
from discord.http import Route

SPEED = 1000
# How often a sleeper looks at the clock again: after SIGUSR1 the time it waits for comes much sooner.
POLL_SECONDS = 0.02


class SwitchableTime:
    """A game clock and a sleep that agree, running at a speed that can change (and never going back)."""

    def __init__(self) -> None:
        self._since_real = self._since_game = time.monotonic()
        self._speed = 1.0

    def monotonic(self) -> float:
        return self._since_game + (time.monotonic() - self._since_real) * self._speed

    def run_at(self, speed: float) -> None:
        self._since_game, self._since_real = self.monotonic(), time.monotonic()
        self._speed = speed

    async def sleep(self, seconds: float) -> None:
        until = self.monotonic() + max(seconds, 0)
        while (left := until - self.monotonic()) > 0:
            await asyncio.sleep(min(left / self._speed, POLL_SECONDS))


def point_at_the_double() -> None:
    Route.BASE = os.environ["DISCORD_DOUBLE_BASE_URL"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_DOUBLE_GATEWAY_URL"])
    Asset.BASE = os.environ["DISCORD_DOUBLE_CDN_URL"]


def main(argv: list[str]) -> int:
    from bot import cli, launcher

    point_at_the_double()
    clock = SwitchableTime()
    signal.signal(signal.SIGUSR1, lambda *_: clock.run_at(SPEED))
    signal.signal(signal.SIGUSR2, lambda *_: clock.run_at(1.0))
    launcher.CrateDigger = functools.partial(  # type: ignore[misc]
        launcher.CrateDigger, monotonic=clock.monotonic, sleep=clock.sleep
    )
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
