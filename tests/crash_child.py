"""The child process of the crash test (``tests/test_crash.py``): plays game after game, for real,
until it is killed.

Real ``Game``, ``GameSession`` and ``SqliteStore``; only time runs 50 times faster. Every score the
session hands to the front end (so, by its promise, already committed) is written to the
"announced" log with one ``write`` to an ``O_APPEND`` file, which a SIGKILL cannot split; that log
is what the parent holds the database to after each kill.

The parent starts it through a multiprocessing fork server that has imported this module once,
so each of the many children starts in milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from multiprocessing.synchronize import Event as ReadyFlag

from bot.storage.sqlite import SqliteStore
from bot.trivia.game import AnswerMode, Event, Game, GameOver, Player, QuestionClosed, RoundSettings
from bot.trivia.model import Question
from bot.trivia.session import GameSession

SPEED = 50
GUILD = 1
PLAYERS = tuple(Player(user_id, f"player{user_id}") for user_id in (11, 12, 13))


def question(number: int) -> Question:
    return Question(
        id=f"q{number}",
        prompt=f"Question {number}?",
        answers=(f"right {number}",),
        choices=(f"right {number}", f"wrong {number}a", f"wrong {number}b"),
    )


class FastTime:
    def __init__(self) -> None:
        self.origin = time.monotonic()

    def monotonic(self) -> float:
        return self.origin + (time.monotonic() - self.origin) * SPEED

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0) / SPEED)


class Announcer:
    """The front end: writes what it is told to announce, a line per stored answer or game end."""

    def __init__(self, log_fd: int) -> None:
        self.log_fd = log_fd
        self.session: GameSession | None = None

    async def render(self, event: Event) -> None:
        assert self.session is not None
        if isinstance(event, QuestionClosed):
            game_id = self.session.game_id
            lines = [f"answer {game_id} {event.question.id} {s.player.id} {s.points}\n" for s in event.answers]
        elif isinstance(event, GameOver):
            lines = [f"over {self.session.game_id}\n"]
        else:
            return
        os.write(self.log_fd, "".join(lines).encode())


def play(database: str, announced_path: str, seed: int, ready: ReadyFlag, writer: str = "thread") -> None:
    asyncio.run(play_forever(database, announced_path, seed, ready, writer))


async def play_forever(database: str, announced_path: str, seed: int, ready: ReadyFlag, writer: str) -> None:
    rng = random.Random(seed)
    announced = os.open(announced_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    fast = FastTime()
    async with SqliteStore(database, writer=writer) as store:  # type: ignore[arg-type]
        if store._writer_process is not None and store._writer_process.pid is not None:
            # It outlives this process by the group it is committing: the test waits for it.
            os.write(announced, f"writer {store._writer_process.pid}\n".encode())
        ready.set()
        channel = 0
        while True:
            channel += 1
            settings = RoundSettings(questions=5, seconds=5, mode=AnswerMode.CHOICES, hints=False, pause_seconds=0)
            game = Game([question(n) for n in range(1, 6)], settings, fast.monotonic, rng=rng)
            for player in PLAYERS:
                game.join(player)
            front_end = Announcer(announced)
            session = GameSession(
                game,
                store,
                guild_id=GUILD,
                channel_id=channel,
                pack_id="crash",
                render=front_end.render,
                sleep=fast.sleep,
                clock=fast.monotonic,
            )
            front_end.session = session
            runner = asyncio.create_task(session.run())
            while not runner.done():
                await asyncio.sleep(rng.uniform(0, 0.01))
                current = game.current
                if current is not None and rng.random() < 0.9:
                    await session.submit(rng.choice(PLAYERS), rng.choice(current.choices), question=game.number)
                elif rng.random() < 0.02:
                    await session.stop()
            await runner
