"""`crate-digger play`: one player, one round, in a terminal, over the same Game, session and Store.

Input may be typed or piped. Each line is one answer, held until a question is open, so a piped file
plays question by question instead of racing the pauses between questions; the end of input stops the
game cleanly with the standings so far.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import random
import sys
import threading
import zlib
from typing import TextIO

from bot.brief import brief
from bot.config import Settings
from bot.storage import store_for
from bot.storage.base import Store
from bot.text import plural
from bot.trivia.answers import option_labels
from bot.trivia.catalog import Catalog, pick_questions
from bot.trivia.game import (
    AnswerLocked,
    AnswerMode,
    AnswerRejected,
    EndReason,
    Event,
    Game,
    GameOver,
    HintGiven,
    Player,
    QuestionAsked,
    QuestionClosed,
    RejectReason,
    RoundSettings,
    WrongAnswer,
)
from bot.trivia.model import Pack
from bot.trivia.session import GameSession, StorageFailed

LOCAL_GUILD_ID = 0  # the terminal's own "server" in the scores table
LOCAL_CHANNEL_ID = 0
LETTERS = "ABCDE"


def local_player(name: str) -> Player:
    # A stable id per name, so the same name keeps its statistics between runs.
    return Player(zlib.crc32(name.casefold().encode()) or 1, name)


class _LineFeed:
    """Lines from a blocking stream, read on a daemon thread so quitting never waits for a keypress."""

    def __init__(self, stream: TextIO, loop: asyncio.AbstractEventLoop):
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._stream = stream
        self._loop = loop
        threading.Thread(target=self._pump, name="stdin-reader", daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):
                line = ""
            if not line:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
                return
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line.rstrip("\r\n"))

    async def next(self) -> str | None:
        return await self._queue.get()


class TerminalRenderer:
    def __init__(self, player: Player, out: TextIO):
        self.player = player
        self.out = out
        self.question_open = asyncio.Event()
        self.options = 0  # how many options the open question has, for the refusal message

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def render(self, event: Event) -> None:
        match event:
            case QuestionAsked():
                self.say(f"\nQuestion {event.number}/{event.total} · {event.ends_in:.0f} seconds")
                self.say(event.question.prompt)
                for letter, choice in zip(LETTERS, event.choices, strict=False):
                    self.say(f"  {letter}) {choice}")
                self.options = len(event.choices)
                prompt = "Your answer (letter or text)" if event.mode is AnswerMode.CHOICES else "Your answer"
                self.say(f"{prompt}:")
                self.question_open.set()
            case HintGiven():
                self.say(f"Hint: {event.text}")
            case WrongAnswer():
                self.say("Not quite; try again.")
            case AnswerRejected() if event.reason is RejectReason.NOT_AN_OPTION:
                self.say(f"Not an option: {option_labels(self.options)}.")
            case AnswerRejected():
                self.say(f"({event.reason}: {brief(event.text)})")
            case AnswerLocked():
                pass  # the verdict follows at once: the only player has answered
            case QuestionClosed():
                self.question_open.clear()
                self._render_closed(event)
            case StorageFailed(question=QuestionClosed() as unsaved):
                self.question_open.clear()
                self.say(f"Could not save your answer ({event.detail}), so question {unsaved.number} does not count.")
                self.say(f"The answer is: {unsaved.answer}")
            case StorageFailed():
                self.say(f"Could not save scores ({event.operation}): {event.detail}")
            case GameOver():
                self.question_open.clear()
                self._render_over(event)

    def _render_closed(self, event: QuestionClosed) -> None:
        mine = next((score for score in event.answers if score.player.id == self.player.id), None)
        if mine is not None and mine.correct:
            self.say(f"Right! +{mine.points} points.")
            return
        lead = {"timeout": "Time's up.", "skipped": "Skipped.", "stopped": "Stopped."}.get(event.reason, "Wrong.")
        self.say(f"{lead} The answer is: {event.answer}")
        if event.question.quote:
            self.say(f'  "{event.question.quote}"')
        if event.question.note:
            self.say(f"  note: {event.question.note}")
        if event.question.quote and event.question.source_title:
            self.say(f"  from: {event.question.source_title}")
        if event.question.attribution:
            self.say(f"  {event.question.attribution}")

    def _render_over(self, event: GameOver) -> None:
        ending = {
            EndReason.STOPPED: "Game stopped.",
            EndReason.IDLE: "Game over: nobody answered for a while.",
            EndReason.POINTS_REACHED: "Game over: the winning score was reached.",
        }.get(event.reason, "Game over.")
        self.say(f"\n{ending} {plural(event.questions_asked, 'question')} asked.")
        mine = next((s for s in event.standings if s.player.id == self.player.id), None)
        points, correct = (mine.points, mine.correct) if mine else (0, 0)
        self.say(f"Final score: {points} points, {correct} of {event.questions_asked} right.")
        if event.not_counted is not None:
            self.say(f"Question {event.not_counted} did not count: its answers could not be saved.")


async def _feed_answers(session: GameSession, renderer: TerminalRenderer, feed: _LineFeed, player: Player) -> None:
    while not session.is_over:
        line = await feed.next()
        if line is None:
            await session.stop()
            return
        if not line.strip():
            continue
        # Hold the line until a question is open: each line answers the next question.
        await renderer.question_open.wait()
        if session.is_over:
            return
        events = await session.submit(player, line)
        if any(isinstance(event, (QuestionClosed, StorageFailed, GameOver)) for event in events):
            # Rendering trails the game; the next line must wait for the next question, not for
            # the renderer to catch up with this close.
            renderer.question_open.clear()


async def play_round(
    catalog: Catalog,
    store: Store,
    *,
    pack_id: str,
    settings: RoundSettings,
    player: Player,
    stdin: TextIO,
    stdout: TextIO,
    seed: int | None,
) -> int:
    pack = catalog.pack(pack_id)
    assert pack is not None
    rng = random.Random(seed)
    questions = pick_questions(
        catalog.questions(pack_id), settings.questions, rng, need_choices=settings.mode is AnswerMode.CHOICES
    )
    game = Game(questions, settings, rng=rng)
    game.join(player)
    renderer = TerminalRenderer(player, stdout)
    session = GameSession(
        game,
        store,
        guild_id=LOCAL_GUILD_ID,
        channel_id=LOCAL_CHANNEL_ID,
        pack_id=pack_id,
        render=renderer.render,
    )
    count = plural(len(questions), "question")
    renderer.say(f"Crate Digger: {pack.title}. {count}; end of input or Ctrl-D stops the game.")
    if pack.source.attribution:
        renderer.say(pack.source.attribution)
    feed = _LineFeed(stdin, asyncio.get_running_loop())
    feeder = asyncio.create_task(_feed_answers(session, renderer, feed, player))
    try:
        await session.run()
    finally:
        feeder.cancel()
    stats = await store.player_stats(LOCAL_GUILD_ID, player.id)
    if stats is not None:
        renderer.say(
            f"All-time for {stats.display_name}: {plural(stats.points, 'point')}, "
            f"{plural(stats.correct, 'correct answer')}, {plural(stats.games, 'game')}, {plural(stats.wins, 'win')}, "
            f"streak {stats.current_streak} (best {stats.best_streak})."
        )
    return 0


def play_in_terminal(
    settings: Settings, args: argparse.Namespace, pack: Pack, catalog: Catalog, stdin: TextIO | None = None
) -> int:
    """Play ``pack`` (already chosen by the CLI) with the questions ``catalog`` generated for it."""
    stdin = stdin or sys.stdin
    pack_id = pack.id
    interactive = stdin.isatty()
    try:
        round_settings = RoundSettings(
            questions=args.questions,
            seconds=args.seconds,
            mode=AnswerMode(args.mode),
            hints=True,
            # A human wants a beat to read the verdict; a pipe does not.
            pause_seconds=1.5 if interactive else 0,
        ).validated()
    except ValueError as error:
        print(f"crate-digger: --{error}", file=sys.stderr)
        return 2
    name = args.name or _default_name()
    store = store_for(settings)

    async def main() -> int:
        # A database that cannot be opened raises StoreError, which the CLI turns into one line.
        await store.open()
        try:
            return await play_round(
                catalog,
                store,
                pack_id=pack_id,
                settings=round_settings,
                player=local_player(name),
                stdin=stdin,
                stdout=sys.stdout,
                seed=args.seed,
            )
        finally:
            await store.close()

    return asyncio.run(main())


def _default_name() -> str:
    try:
        return getpass.getuser() or "player"
    except Exception:  # getuser raises a bare OSError/KeyError when no user can be found
        return "player"
