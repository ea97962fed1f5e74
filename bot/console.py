"""`crate-digger play`: one player, one round, in a terminal, over the same Game, session and Store.

Input may be typed or piped. Piped, each line is one answer, held until a question is open, so a file
plays question by question instead of racing the pauses between questions. Typed, the terminal is put
in cbreak mode and the answer line is edited here (``LineEditor``), so that messages (a hint, time's
up) are printed above the line being typed instead of into it, the prompt counts the seconds down,
and a line entered while no question is open is dropped rather than answering the next question
blind. The end of input (Ctrl-D) and Ctrl-C both stop the game cleanly: scores shown and stored.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import getpass
import math
import os
import random
import signal
import sys
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable
from typing import TextIO

from bot.brief import brief
from bot.config import Settings
from bot.storage import store_for
from bot.storage.base import OneChannel, Store
from bot.terminals import ProcessCheck, Terminal, left_over, process_runs_since, this_terminal
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
from bot.trivia.giveaways import opening_title
from bot.trivia.model import Pack
from bot.trivia.session import GameSession, StorageFailed

LOCAL_GUILD_ID = 0  # the terminal's own "server" in the scores table; each terminal has a channel there
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


class LineEditor:
    """The answer line being typed on a terminal in cbreak mode: keystrokes in, finished lines out.

    Pure (no I/O), so it is tested directly. Enough editing for a trivia answer: Backspace, Ctrl-U
    (clear), Enter, Ctrl-D (end of input on an empty line); escape sequences (arrow keys) are ignored.
    """

    END_OF_INPUT = None

    def __init__(self) -> None:
        self.text = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._escape: str | None = None  # the escape sequence being skipped, if any

    def feed(self, data: bytes) -> list[str | None]:
        """Take raw bytes; return the lines finished by them (``None`` for end of input)."""
        finished: list[str | None] = []
        for char in self._decoder.decode(data):
            if self._escape is not None:
                # ESC [ ... final, or ESC O final: the final character is a letter or "~".
                opening = self._escape == "" and char in "[O"
                self._escape = None if not opening and (char.isalpha() or char == "~") else self._escape + char
            elif char == "\x1b":
                self._escape = ""
            elif char in "\r\n":
                finished.append(self.text)
                self.text = ""
            elif char in "\x7f\b":
                self.text = self.text[:-1]
            elif char == "\x15":
                self.text = ""
            elif char == "\x04":
                if not self.text:
                    finished.append(self.END_OF_INPUT)
            elif unicodedata.category(char)[0] != "C":
                self.text += char
        return finished


class Screen:
    """Where the game prints. Piped, it prints lines. On a terminal it keeps the answer line at the
    bottom: a message clears that line, prints itself, then redraws the prompt (with the seconds
    left) and whatever has been typed so far."""

    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic, editor: LineEditor | None = None):
        self.out = out
        self.clock = clock
        self.editor = editor
        self.deadline: float | None = None

    @property
    def interactive(self) -> bool:
        return self.editor is not None

    def say(self, text: str = "") -> None:
        if self.editor is None:
            print(text, file=self.out, flush=True)
            return
        # Cbreak mode keeps output processing, so the terminal turns "\n" into "\r\n" itself.
        self.out.write("\r\x1b[K" + text + "\n")
        self.redraw()

    def redraw(self) -> None:
        if self.editor is None:
            return
        self.out.write("\r\x1b[K" + self.prompt() + self.editor.text)
        self.out.flush()

    def prompt(self) -> str:
        left = self.seconds_left()
        return "> " if left is None else f"[{left}s left] > "

    def seconds_left(self) -> int | None:
        if self.deadline is None:
            return None
        return max(0, math.ceil(self.deadline - self.clock()))


class TerminalRenderer:
    def __init__(self, player: Player, out: TextIO, credit: str = "", screen: Screen | None = None):
        self.player = player
        self.screen = screen or Screen(out)
        # Where the questions came from, said at the end: a title shown earlier could name an answer.
        self.credit = credit
        self.question_open = asyncio.Event()
        self.options = 0  # how many options the open question has, for the refusal message

    def say(self, text: str = "") -> None:
        self.screen.say(text)

    async def render(self, event: Event) -> None:
        match event:
            case QuestionAsked():
                self.say(f"\nQuestion {event.number}/{event.total} · {event.ends_in:.0f} seconds")
                self.say(event.question.prompt)
                for letter, choice in zip(LETTERS, event.choices, strict=False):
                    self.say(f"  {letter}) {choice}")
                self.options = len(event.choices)
                prompt = "Your answer (letter or text)" if event.mode is AnswerMode.CHOICES else "Your answer"
                self.screen.deadline = event.deadline
                self.say(f"{prompt}:")
                self.question_open.set()
            case HintGiven():
                self.say(f"Hint ({self.screen.seconds_left()}s left): {event.text}")
            case WrongAnswer():
                self.say(f"Not quite; try again ({self.screen.seconds_left()}s left).")
            case AnswerRejected() if event.reason is RejectReason.NOT_AN_OPTION:
                self.say(f"Not an option: {option_labels(self.options)}.")
            case AnswerRejected():
                self.say(f"({event.reason}: {brief(event.text)})")
            case AnswerLocked():
                pass  # the verdict follows at once: the only player has answered
            case QuestionClosed():
                self.question_open.clear()
                self.screen.deadline = None
                self._render_closed(event)
            case StorageFailed(question=QuestionClosed() as unsaved):
                self.question_open.clear()
                self.say(f"Could not save your answer ({event.detail}), so question {unsaved.number} does not count.")
                self.say(f"The answer is: {unsaved.answer}")
            case StorageFailed():
                self.say(f"Could not save scores ({event.operation}): {event.detail}")
            case GameOver():
                self.question_open.clear()
                self.screen.deadline = None
                self._render_over(event)

    def _render_closed(self, event: QuestionClosed) -> None:
        mine = next((score for score in event.answers if score.player.id == self.player.id), None)
        if mine is not None and mine.correct:
            self.say(f"Right! +{plural(mine.points, 'point')}.")
            return
        lead = {"timeout": "Time's up.", "skipped": "Skipped.", "stopped": "Stopped."}.get(event.reason, "Wrong.")
        self.say(f"{lead} The answer is: {event.answer}")
        if event.question.quote:
            self.say(f"  From the article: {event.question.quote}")
        if event.question.note:
            self.say(f"  note: {event.question.note}")
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
        self.say(f"Final score: {plural(points, 'point')}, {correct} of {event.questions_asked} right.")
        if event.not_counted is not None:
            self.say(f"Question {event.not_counted} did not count: its answers could not be saved.")
        if self.credit:
            self.say(self.credit)


class _Keyboard:
    """Keystrokes from a terminal put in cbreak mode (no echo, no line buffering, but Ctrl-C still
    interrupts), read on the event loop; finished lines are echoed above the prompt and queued."""

    def __init__(self, stream: TextIO, screen: Screen, loop: asyncio.AbstractEventLoop):
        import termios
        import tty

        self._fd = stream.fileno()
        self._screen = screen
        self._loop = loop
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._editor = screen.editor or LineEditor()
        self._restore = termios.tcgetattr(self._fd)
        self._termios = termios
        tty.setcbreak(self._fd)
        loop.add_reader(self._fd, self._readable)
        screen.redraw()

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, 1024)
        except OSError:
            data = b""
        lines = self._editor.feed(data) if data else [None]
        for line in lines:
            if line is not None:
                self._screen.say(self._screen.prompt() + line)  # what was typed stays on screen
            self._queue.put_nowait(line)
        self._screen.redraw()
        if not data:
            self._loop.remove_reader(self._fd)

    async def next(self) -> str | None:
        return await self._queue.get()

    def close(self) -> None:
        self._loop.remove_reader(self._fd)
        self._termios.tcsetattr(self._fd, self._termios.TCSADRAIN, self._restore)
        self._screen.out.write("\r\x1b[K")
        self._screen.out.flush()
        self._screen.editor = None  # from here on the screen prints plain lines


async def _count_down(screen: Screen) -> None:
    """Redraw the prompt every second while a question is open, so its countdown moves."""
    while True:
        await asyncio.sleep(1 - (screen.clock() % 1))
        if screen.deadline is not None:
            screen.redraw()


async def _feed_answers(
    session: GameSession,
    renderer: TerminalRenderer,
    feed: _LineFeed | _Keyboard,
    player: Player,
    *,
    hold_early_lines: bool,
) -> None:
    while not session.is_over:
        line = await feed.next()
        if line is None:
            await session.stop()
            return
        if not line.strip():
            continue
        if not hold_early_lines and not renderer.question_open.is_set():
            # A person typing between questions has not seen the next one; answering it blind
            # with that line would be a guess they never made.
            renderer.say("(No question is open, so that line was not used.)")
            continue
        # Piped input: hold the line until a question is open, so each line answers the next question.
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
    terminal: Terminal | None = None,
    process_runs: ProcessCheck = process_runs_since,
) -> int:
    """Play one round; ``terminal`` (by default this process) is whose channel the game is stored in."""
    terminal = terminal or this_terminal()
    pack = catalog.pack(pack_id)
    assert pack is not None
    rng = random.Random(seed)
    asked = await store.asked_questions(LOCAL_GUILD_ID, pack_id)
    questions = pick_questions(
        catalog.questions(pack_id),
        settings.questions,
        rng,
        need_choices=settings.mode is AnswerMode.CHOICES,
        asked=asked,
    )
    game = Game(questions, settings, rng=rng)
    game.join(player)
    typed = _is_terminal(stdin)
    # The line editor needs both ends on the terminal: its escape codes must not end up in a log file.
    screen = Screen(stdout, game.clock, LineEditor() if typed and _is_terminal(stdout) else None)
    credit = f"Questions from {pack.title} (source: {pack.source.title})."
    renderer = TerminalRenderer(player, stdout, credit, screen)
    # A terminal game whose process is gone was left behind by a crash or a closed window: closed
    # as interrupted, its players are counted a game. Other terminals' games run on.
    now = time.time()
    for leftover in left_over(await store.unfinished_games(LOCAL_GUILD_ID), terminal, process_runs):
        await store.close_interrupted_games(now, now, OneChannel(LOCAL_GUILD_ID, leftover.channel_id))
    session = GameSession(
        game,
        store,
        guild_id=LOCAL_GUILD_ID,
        channel_id=terminal.channel_id,
        pack_id=pack_id,
        render=renderer.render,
        asked_before=asked,
    )
    count = plural(len(questions), "question")
    title = opening_title(pack.title, questions)
    renderer.say(f"Crate Digger: {title}. {count}; Ctrl-C or end of input (Ctrl-D) stops the game.")
    if pack.source.attribution:
        renderer.say(pack.source.attribution)
    loop = asyncio.get_running_loop()
    feed = _Keyboard(stdin, screen, loop) if screen.interactive else _LineFeed(stdin, loop)
    feeder = asyncio.create_task(_feed_answers(session, renderer, feed, player, hold_early_lines=not typed))
    ticker = asyncio.create_task(_count_down(screen)) if screen.interactive else None
    stop_on_interrupt = _StopOnInterrupt(loop, session)
    try:
        await session.run()
    finally:
        stop_on_interrupt.close()
        feeder.cancel()
        if ticker is not None:
            ticker.cancel()
        if isinstance(feed, _Keyboard):
            feed.close()
    stats = await store.player_stats(LOCAL_GUILD_ID, player.id)
    if stats is not None:
        renderer.say(
            f"All-time for {stats.display_name}: {plural(stats.points, 'point')}, "
            f"{plural(stats.correct, 'correct answer')}, {plural(stats.games, 'game')}, {plural(stats.wins, 'win')}, "
            f"streak {stats.current_streak} (best {stats.best_streak})."
        )
    return 0


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _StopOnInterrupt:
    """Ctrl-C stops the game the way the end of input does: its scores shown and stored. A second
    Ctrl-C gets the default behaviour (KeyboardInterrupt), in case stopping hangs."""

    def __init__(self, loop: asyncio.AbstractEventLoop, session: GameSession):
        self._loop = loop
        self._session = session
        self._stopping: list[asyncio.Task[object]] = []
        try:
            loop.add_signal_handler(signal.SIGINT, self._interrupted)
            self._installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            self._installed = False

    def _interrupted(self) -> None:
        self.close()
        self._stopping.append(self._loop.create_task(self._session.stop()))

    def close(self) -> None:
        if self._installed:
            self._installed = False
            self._loop.remove_signal_handler(signal.SIGINT)


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
