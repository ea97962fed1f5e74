"""/trivia: start, stop and skip games, the leaderboard and stats. A translator between Discord and the Game.

Rules live in `bot/trivia/game.py`; storage order lives in `bot/trivia/session.py`. This cog turns
interactions and messages into session calls and session events into embeds and buttons.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import send_private
from bot.cogs.permissions import may_control_game
from bot.cogs.render import (
    BUTTON_LABEL,
    CHOICE_NAME,
    COLOUR,
    EMBED_DESCRIPTION,
    MESSAGE_CONTENT,
    NO_MENTIONS,
    clip,
    listed,
    quote_with_note,
)
from bot.cogs.reports import report_button
from bot.cogs.seasons import PERIOD_CHOICES, resolve_board, scoped_leaderboard, scoped_stats
from bot.storage.base import OneChannel, Scope
from bot.storage.errors import GameAlreadyRunning, StoreError
from bot.text import plural
from bot.trivia.catalog import pick_questions
from bot.trivia.daily import utc_day
from bot.trivia.daily_session import daily_streak_today
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
    RoundSettings,
)
from bot.trivia.giveaways import names_any_answer, opening_title
from bot.trivia.model import Pack, Question
from bot.trivia.reports import playable
from bot.trivia.seasons import Period
from bot.trivia.session import GameSession, SessionRegistry, StorageFailed

if TYPE_CHECKING:
    from bot.client import CrateDigger

log = logging.getLogger(__name__)
LETTERS = "ABCDE"
RIGHT_COLOUR = discord.Colour.green()
WRONG_COLOUR = discord.Colour.dark_grey()


# What a game needs from the bot in its channel, with the names Discord's settings show.
GAME_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}


def missing_game_permissions(permissions: discord.Permissions) -> list[str]:
    return [name for flag, name in GAME_PERMISSIONS.items() if not getattr(permissions, flag)]


def channel_is_gone(error: discord.HTTPException) -> bool:
    """A 403 (the bot may no longer post or see the channel) or the channel itself deleted (404
    Unknown Channel); not a 404 for one message a moderator deleted, which a game survives."""
    return isinstance(error, discord.Forbidden) or (isinstance(error, discord.NotFound) and error.code == 10003)


def webhook_expired(error: discord.HTTPException) -> bool:
    """Whether Discord refused an interaction webhook call because the token is no longer valid."""
    return error.code in (INVALID_WEBHOOK_TOKEN, UNKNOWN_WEBHOOK)


def player_of(user: discord.abc.User) -> Player:
    return Player(user.id, user.display_name)


# Said to a press on a button whose game this process never ran: the bot restarted since it was sent.
GAME_ENDED_BY_RESTART = "This game ended when the bot restarted; your earlier answers are kept."
GAME_OVER = "This game is over."
# A 50:50 hint that would wait longer than this for its turn to be sent is not sent.
HINT_SHED_AFTER_SECONDS = 1.0
# Discord's interaction tokens last 15 minutes. Until a minute before that, a game's messages go out as
# followups of its `/trivia start` (and are edited through the same webhook): interaction endpoints are
# not bound to the bot's global 50 requests/s, so hundreds of games never queue behind each other.
GAME_WEBHOOK_SECONDS = 14 * 60
# What Discord answers on an interaction webhook whose token has run out or is unknown.
INVALID_WEBHOOK_TOKEN = 50027
UNKNOWN_WEBHOOK = 10015
ALREADY_RUNNING = "A game is already running here; `/trivia stop` ends it."


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"crate-digger:(?P<game>[0-9]+):(?P<question>[0-9]+):(?P<option>[0-9]+)",
):
    """One option of one question: ``crate-digger:<game>:<question>:<option>``.

    A dynamic item (registered in ``setup_hook``), so a press is answered from its ``custom_id``
    alone, by this process or by one started after a restart that no longer runs the game.
    """

    def __init__(self, game_id: int, question: int, option: int, label: str = "?") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"crate-digger:{game_id}:{question}:{option}",
            )
        )
        self.game_id = game_id
        self.question = question
        self.option = option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> AnswerButton:
        return cls(int(match["game"]), int(match["question"]), int(match["option"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        cog = interaction.client.get_cog("TriviaCog")  # type: ignore[attr-defined]
        if not isinstance(cog, TriviaCog):
            await send_private(interaction, GAME_ENDED_BY_RESTART)
            return
        await cog.answer_pressed(interaction, self.game_id, self.question, self.option)


class ChoiceButtons(discord.ui.View):
    """The options of one question, as persistent ``AnswerButton``s; the reply is private ("locked in")."""

    def __init__(self, game_id: int, number: int, choices: tuple[str, ...]):
        super().__init__(timeout=None)
        self.choices = choices
        self.buttons: list[discord.ui.Button] = []
        for index, choice in enumerate(choices):
            item = AnswerButton(game_id, number, index, label=clip(f"{LETTERS[index]} · {choice}", BUTTON_LABEL))
            self.buttons.append(item.item)
            self.add_item(item)

    def rule_out(self, removed: tuple[str, ...]) -> ChoiceButtons:
        for button, choice in zip(self.buttons, self.choices, strict=True):
            button.disabled = choice in removed
        return self

    def settled(self, right: str | None) -> ChoiceButtons:
        """The same buttons, disabled, with the right one green."""
        for button, choice in zip(self.buttons, self.choices, strict=True):
            button.disabled = True
            if right is not None and choice == right:
                button.style = discord.ButtonStyle.success
        return self


def option_text(game: Game, number: int, option: int) -> str:
    """The text of option ``option`` of question ``number`` while it is open; else "" (refused by the game)."""
    question = game.current
    if question is None or game.number != number or not 0 <= option < len(question.choices):
        return ""
    return question.choices[option]


def _private_reply(events: list[Event], user_id: int) -> str:
    for event in events:
        if isinstance(event, AnswerLocked) and event.player.id == user_id:
            return f"🔒 Locked in: **{clip(event.choice, 200)}**"
        if isinstance(event, AnswerRejected) and event.player.id == user_id:
            return {
                "already answered": "You have already answered this question.",
                "no question open": "That question has closed.",
                "game over": "This game is over.",
            }.get(event.reason, "That isn't one of the options.")
    return "That question has closed."


class ChannelRenderer:
    """Renders one game's events into its channel.

    While the `/trivia start` interaction's token is valid (``webhook_seconds`` of game time, by the
    bot's clock), messages are sent and edited through its webhook, which Discord exempts from the
    global rate limit; then, or if Discord says the token is gone, through the channel.

    If the channel is lost mid-game (the bot's permissions taken away, the channel deleted), the game
    is stopped (and stored) with one log line, the player who started it is told privately, and
    nothing more is sent there."""

    def __init__(
        self,
        bot: CrateDigger,
        channel: discord.abc.Messageable,
        pack_title: str,
        source_title: str,
        started_by: discord.Interaction | None = None,
        round_title: str | None = None,
        webhook_seconds: float = GAME_WEBHOOK_SECONDS,
    ):
        self.bot = bot
        self.channel = channel
        self.started_by = started_by
        self.webhook_until = bot.monotonic() + webhook_seconds if started_by is not None else float("-inf")
        self.lost = False
        self.pack_title = pack_title
        self.source_title = source_title
        # What questions show as their pack: the title, unless it names an answer of the round
        # (giveaways.opening_title). The title and the sources are credited at the end instead.
        self.round_title = round_title or pack_title
        self.sources: dict[str, None] = {}
        self.session: GameSession | None = None
        self.question_message: discord.Message | None = None
        self.question_embed: discord.Embed | None = None
        self.question_number = 0
        self.buttons: ChoiceButtons | None = None
        # The game task starts before /trivia start is answered; hold its first message until the
        # announcement is out, so the channel reads in order.
        self.announced = asyncio.Event()

    def _webhook_valid(self) -> bool:
        return self.started_by is not None and self.bot.monotonic() < self.webhook_until

    def _webhook_refused(self, error: discord.HTTPException) -> None:
        log.info(
            "the /trivia start token of the game in channel %s is no longer valid (%s); sending through the channel",
            getattr(self.channel, "id", "?"),
            error.code,
        )
        self.webhook_until = float("-inf")

    async def send(self, **kwargs) -> discord.Message:
        if self.started_by is not None and self._webhook_valid():
            try:
                return await self.started_by.followup.send(wait=True, allowed_mentions=NO_MENTIONS, **kwargs)
            except discord.HTTPException as error:
                if not webhook_expired(error):
                    raise
                self._webhook_refused(error)
        return await self.channel.send(allowed_mentions=NO_MENTIONS, **kwargs)

    async def edit(self, message: discord.Message, **kwargs) -> None:
        """Edit one of this game's messages: a followup through the webhook that sent it while its token
        is valid, else through the channel (the bot is the author of its interactions' followups)."""
        target: discord.Message | discord.PartialMessage = message
        if isinstance(message, discord.WebhookMessage):
            if self._webhook_valid():
                try:
                    await message.edit(allowed_mentions=NO_MENTIONS, **kwargs)
                    return
                except discord.HTTPException as error:
                    if not webhook_expired(error):
                        raise
                    self._webhook_refused(error)
            target = self.channel.get_partial_message(message.id)  # type: ignore[attr-defined]
        await target.edit(allowed_mentions=NO_MENTIONS, **kwargs)

    async def render(self, event: Event) -> None:
        await self.announced.wait()
        if self.lost:
            return
        try:
            await self._render(event)
        except discord.HTTPException as error:
            if not channel_is_gone(error):
                raise
            await self._lose_channel(error)

    async def _lose_channel(self, error: discord.HTTPException) -> None:
        self.lost = True
        channel_id = getattr(self.channel, "id", "?")
        log.warning(
            "stopping the game in channel %s: Discord refused a message there (%s %s: %s)",
            channel_id,
            error.status,
            error.code,
            error.text,
        )
        if self.session is not None:
            await self.session.stop()
        where = getattr(self.channel, "mention", "that channel")
        if isinstance(error, discord.Forbidden):
            why = f"I lost permission to post in {where}"
        else:
            why = f"{where} was deleted"
        await self._tell_starter(
            f"Your trivia game stopped: {why}. Scores so far are saved. "
            f"I need {', '.join(GAME_PERMISSIONS.values())} in a channel to run a game there."
        )

    async def _tell_starter(self, text: str) -> None:
        if self.started_by is None:
            return
        try:
            await self.started_by.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException:
            pass  # the interaction's token lasts 15 minutes; after that, a direct message
        try:
            await self.started_by.user.send(text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.info("could not tell the starter why their game stopped: %s", error)

    async def _render(self, event: Event) -> None:
        match event:
            case QuestionAsked():
                await self._asked(event)
            case HintGiven():
                await self._hint(event)
            case QuestionClosed():
                await self._closed(event)
            case GameOver():
                await self._over(event)
            case StorageFailed(question=QuestionClosed() as unsaved):
                await self._not_counted(unsaved)
            case StorageFailed():
                await self.send(content="⚠️ I couldn't save the scores, so this game stops here. Sorry!")

    async def _asked(self, event: QuestionAsked) -> None:
        assert self.session is not None
        ends_at = int(self.bot.wall_clock() + event.ends_in)
        lines = [clip(event.question.prompt, 1000), ""]
        if event.choices:
            lines += [f"**{LETTERS[i]}** · {clip(choice, 200)}" for i, choice in enumerate(event.choices)]
            how = "Pick an answer below; faster right answers earn more."
        else:
            how = "Type your answer in this channel; the first right answer scores."
        # A relative timestamp counts down in every client by itself: no edits to keep a timer live.
        lines += ["", f"{how} Time's up <t:{ends_at}:R>."]
        embed = discord.Embed(
            title=f"Question {event.number} of {event.total}",
            description=clip("\n".join(lines), EMBED_DESCRIPTION),
            colour=COLOUR,
        )
        embed.set_footer(text=clip(self.round_title, 2048))
        assert self.session.game_id is not None  # questions are only asked once the game is stored
        self.buttons = ChoiceButtons(self.session.game_id, event.number, event.choices) if event.choices else None
        self.question_embed = embed
        self.question_number = event.number
        kwargs = {"embed": embed}
        if self.buttons is not None:
            kwargs["view"] = self.buttons
        self.question_message = await self.send(**kwargs)

    def _has_moved_on(self, number: int) -> bool:
        """Whether question ``number`` has closed since its event was queued: then only its close is worth
        sending, and an earlier state of its message (a hint) would be one more call for nothing."""
        game = self.session.game if self.session is not None else None
        return game is not None and (game.number != number or game.current is None)

    async def _hint(self, event: HintGiven) -> None:
        text = clip(f"💡 Hint: {discord.utils.escape_markdown(event.text)}", MESSAGE_CONTENT)
        if self.buttons is None or self.question_message is None or self.question_embed is None:
            await self.send(content=text)  # typed answers: the hint goes below the chat, where players look
            return
        if self._has_moved_on(event.number):
            return
        if not self._webhook_valid() and self.bot.rest_budget.backlog() > HINT_SHED_AFTER_SECONDS:
            # Hundreds of games are sending more than Discord takes: a hint shown seconds late is worth
            # little, and skipping it keeps the questions and answers of every game on time.
            log.debug("skipping a hint in channel %s: the REST budget is backlogged", getattr(self.channel, "id", "?"))
            return
        # Buttons: the question message is the last thing in the channel, so the hint goes into it and
        # the ruled-out options are greyed in the same edit (one call instead of two).
        embed = self.question_embed.copy()
        embed.description = clip(f"{embed.description}\n\n{text}", EMBED_DESCRIPTION)
        await self.edit(self.question_message, embed=embed, view=self.buttons.rule_out(event.removed_choices))

    async def _reveal(self, event: QuestionClosed, embed: discord.Embed, report: discord.ui.Item | None) -> None:
        """Show a closed question's answer. With buttons, the question message itself becomes the answer (the
        question above it, its buttons settled with the right one green, the Report button beside them): one
        edit instead of an edit and a message. Typed answers, or a question message that is gone, get a
        message of their own."""
        buttons, message = self.buttons, self.question_message
        self.buttons = None
        if buttons is not None and message is not None:
            buttons.stop()
            view = buttons.settled(event.answer)
            if report is not None:
                view.add_item(report)
            asked = f"**Question {event.number} of {event.total}** · {clip(event.question.prompt, 1000)}"
            in_place = embed.copy()
            in_place.description = clip("\n\n".join(filter(None, [asked, embed.description])), EMBED_DESCRIPTION)
            try:
                await self.edit(message, embed=in_place, view=view)
                return
            except discord.HTTPException as error:
                if channel_is_gone(error):
                    raise
                log.warning("could not show the answer in the question's message, sending it instead: %s", error)
        view = discord.ui.View(timeout=None)
        if report is not None:
            view.add_item(report)
        await self.send(embed=embed, **({"view": view} if report is not None else {}))

    async def _not_counted(self, event: QuestionClosed) -> None:
        """The close whose answers could not be saved: reveal the answer, show nobody as scored."""
        embed = discord.Embed(
            title=clip(f"⚠️ The answer: {event.answer}", 256),
            description="I couldn't save the scores for this question, so it doesn't count and the game "
            "stops here. Sorry!",
            colour=WRONG_COLOUR,
        )
        await self._reveal(event, embed, None)

    async def _closed(self, event: QuestionClosed) -> None:
        heading = {
            "timeout": "⏰ Time's up!",
            "skipped": "⏭️ Skipped.",
            "stopped": "⏹️ Stopped.",
        }.get(event.reason, "✅ Answered!")
        scorers = event.scorers
        if scorers:
            who = "\n".join(listed([f"{clip(score.player.name, 80)} +{score.points}" for score in scorers]))
        else:
            who = "Nobody this time."
        embed = discord.Embed(
            title=clip(f"{heading} The answer: {event.answer}", 256),
            colour=RIGHT_COLOUR if scorers else WRONG_COLOUR,
        )
        embed.add_field(name="Scored", value=clip(who, 1024), inline=False)
        if event.question.quote or event.question.note:
            value = quote_with_note(event.question.quote, event.question.note)
            embed.add_field(name="From the article" if event.question.quote else "Note", value=value, inline=False)
        source = event.question.source_title or self.source_title
        self.sources[source] = None
        # A source title that names an answer of the round would give a later question away, so it
        # waits for the end; a licence's credit goes with each question it covers.
        credits = [] if self._names_an_answer(source) else [f"Source: {source}"]
        credits += [event.question.attribution] if event.question.attribution else []
        if credits:
            embed.set_footer(text=clip("\n".join(credits), 2048))
        # Reporting waits for the answer: a Report button beside an open question would be a free probe.
        report = report_button(event.question, self.session.pack_id if self.session is not None else None)
        await self._reveal(event, embed, report)

    def _names_an_answer(self, text: str) -> bool:
        return self.session is None or names_any_answer(text, self.session.game.questions)

    async def _over(self, event: GameOver) -> None:
        reason = {
            EndReason.STOPPED: "The game was stopped.",
            EndReason.IDLE: "Nobody answered for a while, so the game ended.",
            EndReason.POINTS_REACHED: "We have a winner!",
        }.get(event.reason, "That's the end of the game.")
        lines = [reason, ""]
        standings = [f"**{s.rank}.** {clip(s.player.name, 80)} · {plural(s.points, 'point')}" for s in event.standings]
        lines += listed(standings)
        if not event.standings:
            lines.append("Nobody played.")
        if event.not_counted is not None:
            lines += ["", f"Question {event.not_counted} didn't count: its scores couldn't be saved."]
        if event.winners:
            names = ", ".join(listed([clip(winner.name, 80) for winner in event.winners]))
            lines += ["", f"🏆 {names}"]
        embed = discord.Embed(
            title="Final standings", description=clip("\n".join(lines), EMBED_DESCRIPTION), colour=COLOUR
        )
        sources = "; ".join(self.sources) or self.source_title
        embed.set_footer(text=clip(f"Questions from {self.pack_title} · Source: {sources}", 2048))
        await self.send(embed=embed)


@app_commands.guild_only()
class TriviaCommands(app_commands.Group, name="trivia", description="Trivia about samples and influences"):
    def __init__(self, cog: TriviaCog):
        super().__init__()
        self.cog = cog

    @app_commands.command(name="start", description="Start a trivia game in this channel")
    @app_commands.describe(
        pack="Which question pack (default: the first one)",
        questions="How many questions (1-50, default 10)",
        seconds="Seconds per question (10-120, default 30)",
        mode="Answer with buttons (default) or by typing",
        hints="Give a hint halfway through each question (default: yes)",
    )
    async def start(
        self,
        interaction: discord.Interaction,
        pack: app_commands.Range[str, 1, 64] | None = None,
        questions: app_commands.Range[int, 1, 50] = 10,
        seconds: app_commands.Range[int, 10, 120] = 30,
        mode: Literal["buttons", "text"] = "buttons",
        hints: bool = True,
    ) -> None:
        await self.cog.start_game(interaction, pack, questions, seconds, mode, hints)

    @start.autocomplete("pack")
    async def start_pack_autocomplete(self, interaction: discord.Interaction, current: str):
        return await self.pack_choices(interaction, current)

    async def pack_choices(self, interaction: discord.Interaction, current: str):
        catalog = await self.cog.bot.library.catalog_for(interaction.guild_id)
        typed = current.casefold()
        return [
            app_commands.Choice(name=clip(f"{pack.title} ({pack.id})", CHOICE_NAME), value=pack.id)
            for pack in catalog.packs()
            if typed in pack.id or typed in pack.title.casefold()
        ][:25]

    @app_commands.command(name="stop", description="Stop the game in this channel (the starter or a moderator)")
    async def stop(self, interaction: discord.Interaction) -> None:
        session = await self.cog.session_for_control(interaction)
        if session is not None:
            await interaction.response.send_message("Stopping the game.", allowed_mentions=NO_MENTIONS)
            await session.stop()

    @app_commands.command(name="skip", description="Skip the current question (the starter or a moderator)")
    async def skip(self, interaction: discord.Interaction) -> None:
        session = await self.cog.session_for_control(interaction)
        if session is not None:
            await interaction.response.send_message("Skipping.", allowed_mentions=NO_MENTIONS)
            await session.skip()

    @app_commands.command(name="leaderboard", description="This server's top players: all time, a period, a season")
    @app_commands.describe(
        period="All time (default), this week or month (UTC; weeks start Monday 00:00), or this season",
        season="A season's final standings, by number (see /trivia season list)",
        pack="Only the answers given in games of this pack",
    )
    @app_commands.choices(period=PERIOD_CHOICES)
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        period: str = Period.ALL.value,
        season: app_commands.Range[int, 1, 1_000_000] | None = None,
        pack: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        board = await resolve_board(self.cog.bot, interaction, period, season, pack)
        if board is None:
            return
        if board.scope != Scope():
            await scoped_leaderboard(self.cog.bot, interaction, board)
            return
        store = self.cog.bot.store
        rows = await store.leaderboard(interaction.guild_id, 10)
        if not rows:
            await interaction.response.send_message("Nobody has scored here yet: `/trivia start` a game!")
            return
        lines = [
            f"**{row.rank}.** {clip(row.display_name, 80)} · {plural(row.points, 'point')} · {row.correct} right"
            f" · {plural(row.wins, 'win')}"
            for row in rows
        ]
        mine = await store.player_stats(interaction.guild_id, interaction.user.id)
        if mine is not None and all(row.user_id != mine.user_id for row in rows):
            lines += ["", f"You: **{mine.rank}.** {plural(mine.points, 'point')} · {mine.correct} right"]
        embed = discord.Embed(title="Leaderboard", description=clip("\n".join(lines), EMBED_DESCRIPTION), colour=COLOUR)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="stats", description="A player's points, right answers, games, wins and streaks")
    @app_commands.describe(
        member="Whose stats (default: yours)",
        period="All time (default), this week or month (UTC; weeks start Monday 00:00), or this season",
        season="A season's final standings, by number (see /trivia season list)",
        pack="Only the answers given in games of this pack",
    )
    @app_commands.choices(period=PERIOD_CHOICES)
    async def stats(
        self,
        interaction: discord.Interaction,
        member: discord.User | None = None,
        period: str = Period.ALL.value,
        season: app_commands.Range[int, 1, 1_000_000] | None = None,
        pack: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        target = member or interaction.user
        board = await resolve_board(self.cog.bot, interaction, period, season, pack)
        if board is None:
            return
        if board.scope != Scope():
            await scoped_stats(self.cog.bot, interaction, target, board)
            return
        stats = await self.cog.bot.store.player_stats(interaction.guild_id, target.id)
        today = utc_day(self.cog.bot.wall_clock())
        daily, best_daily = await daily_streak_today(self.cog.bot.store, interaction.guild_id, target.id, today)
        if stats is None:
            played = f" Daily streak {daily} (best {best_daily})." if best_daily else ""
            await interaction.response.send_message(
                clip(f"{target.display_name} hasn't played a game here yet.{played}", MESSAGE_CONTENT), ephemeral=True
            )
            return
        embed = discord.Embed(title=clip(f"Stats for {stats.display_name}", 256), colour=COLOUR)
        for name, value in (
            ("Rank", f"#{stats.rank}" if stats.rank else "–"),
            ("Points", stats.points),
            ("Right answers", f"{stats.correct} of {stats.answered}"),
            ("Games", stats.games),
            ("Wins", stats.wins),
            ("Streak", stats.current_streak),
            ("Best streak", stats.best_streak),
            ("Daily streak", daily),
            ("Best daily streak", best_daily),
        ):
            embed.add_field(name=name, value=str(value))
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    @leaderboard.autocomplete("pack")
    async def leaderboard_pack_autocomplete(self, interaction: discord.Interaction, current: str):
        return await self.pack_choices(interaction, current)

    @stats.autocomplete("pack")
    async def stats_pack_autocomplete(self, interaction: discord.Interaction, current: str):
        return await self.pack_choices(interaction, current)

    @app_commands.command(name="packs", description="The question packs this server can play")
    async def packs(self, interaction: discord.Interaction) -> None:
        catalog = await self.cog.bot.library.catalog_for(interaction.guild_id)
        lines = []
        for pack in catalog.packs():
            summary = catalog.summary(pack.id)
            assert summary is not None
            lines.append(f"`{pack.id}` · {clip(pack.title, 150)} · {summary.choice_questions} button questions")
        embed = discord.Embed(
            title="Question packs", description=clip("\n".join(lines) or "None yet.", EMBED_DESCRIPTION), colour=COLOUR
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


class TriviaCog(commands.Cog):
    def __init__(self, bot: CrateDigger):
        self.bot = bot
        self.sessions = SessionRegistry()
        self.starters: dict[int, int] = {}
        # Channels between the store's yes to a new game and its session's registration.
        self.starting: set[int] = set()
        self.commands_group = TriviaCommands(self)
        self.rng = random.Random()
        # Games this process ran that have ended: a late press on one of their buttons is told the
        # game is over, while a press on a game no process here knows ended with a restart.
        self.ended_games: set[int] = set()
        # How long a game sends through its /trivia start's webhook (tests shorten it to see the hand-over).
        self.game_webhook_seconds: float = GAME_WEBHOOK_SECONDS

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.commands_group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.commands_group.name)
        await self.stop_all()

    async def stop_all(self) -> None:
        await self.sessions.stop_all()

    async def start_game(
        self, interaction: discord.Interaction, pack_id: str | None, count: int, seconds: int, mode: str, hints: bool
    ) -> None:
        channel = interaction.channel
        assert interaction.guild_id is not None and channel is not None
        if self.sessions.get(channel.id) is not None or channel.id in self.starting:
            await send_private(interaction, ALREADY_RUNNING)
            return
        missing = missing_game_permissions(interaction.app_permissions)
        if missing:
            await send_private(
                interaction,
                f"I can't run a game in this channel: I'm missing {', '.join(missing)} here. "
                "Ask a moderator to allow that for me in this channel, or start the game in another one.",
            )
            return
        answer_mode = AnswerMode.TEXT if mode == "text" else AnswerMode.CHOICES
        if answer_mode is AnswerMode.TEXT and not self.bot.message_content:
            await send_private(
                interaction,
                "Text mode needs the Message Content intent, which this bot doesn't have switched on. "
                "Play with buttons instead, or ask the bot's owner to enable it (see the README).",
            )
            return
        catalog = await self.bot.library.catalog_for(interaction.guild_id)
        packs = catalog.packs()
        pack = catalog.pack(pack_id) if pack_id else (packs[0] if packs else None)
        if pack is None:
            known = ", ".join(f"`{p.id}`" for p in packs) or "none"
            await send_private(interaction, clip(f"There's no pack `{pack_id}` here. Packs: {known}", MESSAGE_CONTENT))
            return
        asked = await self.bot.store.asked_questions(interaction.guild_id, pack.id)
        disabled = await self.bot.store.disabled_questions(interaction.guild_id)
        questions = pick_questions(
            playable(catalog.questions(pack.id), disabled),
            count,
            self.rng,
            need_choices=answer_mode is AnswerMode.CHOICES,
            asked=asked,
        )
        if not questions:
            await send_private(interaction, f"`{pack.id}` has no questions that can be played with {mode}.")
            return
        settings = RoundSettings(questions=len(questions), seconds=seconds, mode=answer_mode, hints=hints)
        # From the store's yes to the session's registration, a second /trivia start here is refused
        # in memory, so it can never take this game for a leftover.
        self.starting.add(channel.id)
        try:
            game_id = await self.claim_channel(interaction, pack.id, answer_mode)
            if game_id is None:
                return
            renderer = self._run_game(interaction, pack, questions, settings, asked, game_id)
        finally:
            self.starting.discard(channel.id)
        how = "buttons" if answer_mode is AnswerMode.CHOICES else "typing in the chat"
        try:
            await interaction.response.send_message(
                clip(
                    f"🎧 **{interaction.user.display_name}** started a game: {plural(len(questions), 'question')} from "
                    f"**{renderer.round_title}**, {seconds} seconds each, answered with {how}.",
                    MESSAGE_CONTENT,
                ),
                allowed_mentions=NO_MENTIONS,
            )
        finally:
            renderer.announced.set()

    async def claim_channel(self, interaction: discord.Interaction, pack_id: str, mode: AnswerMode) -> int | None:
        """Record the game's start, the store's word that no game runs in the channel (whichever
        process started it); None, with the player told why, when it says no or cannot answer."""
        assert interaction.guild_id is not None and interaction.channel_id is not None
        guild_id, channel_id = interaction.guild_id, interaction.channel_id
        store = self.bot.store
        try:
            try:
                return await store.start_game(guild_id, channel_id, pack_id, mode.value, self.bot.wall_clock())
            except GameAlreadyRunning as refused:
                # A game this process ran and that ended here, though its end could not be saved
                # (the database failed at that moment): a leftover, closed the way a restart closes
                # one. Any other game is running somewhere (another process) and is left alone.
                if refused.game_id not in self.ended_games:
                    raise
                now = self.bot.wall_clock()
                await store.close_interrupted_games(now, now, OneChannel(guild_id, channel_id))
                log.warning("closed game %s, left open in channel %s by a failed save", refused.game_id, channel_id)
                return await store.start_game(guild_id, channel_id, pack_id, mode.value, self.bot.wall_clock())
        except GameAlreadyRunning:
            await send_private(interaction, ALREADY_RUNNING)
        except StoreError as error:
            log.error("could not record the start of a game in channel %s: %s", channel_id, error)
            await send_private(
                interaction, "I couldn't start a game: the scores database isn't answering. Try again soon."
            )
        return None

    def _run_game(
        self,
        interaction: discord.Interaction,
        pack: Pack,
        questions: Sequence[Question],
        settings: RoundSettings,
        asked: frozenset[str],
        game_id: int,
    ) -> ChannelRenderer:
        """Start playing the game the store recorded as ``game_id``; returns its renderer, which
        holds the first question back until the start is announced."""
        channel = interaction.channel
        assert interaction.guild_id is not None and channel is not None
        game = Game(questions, settings, clock=self.bot.monotonic, rng=self.rng)
        renderer = ChannelRenderer(
            self.bot,
            channel,  # type: ignore[arg-type]
            pack.title,
            pack.source.title,
            started_by=interaction,
            round_title=opening_title(pack.title, questions),
            webhook_seconds=self.game_webhook_seconds,
        )
        session = GameSession(
            game,
            self.bot.store,
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            pack_id=pack.id,
            render=renderer.render,
            sleep=self.bot.sleep,
            wall_clock=self.bot.wall_clock,
            game_id=game_id,
            asked_before=asked,
        )
        renderer.session = session
        # The channel is ours in the store and nobody else here got past ``starting``: free in memory.
        task = self.sessions.start(channel.id, session)
        self.starters[channel.id] = interaction.user.id

        def ended(_: object) -> None:
            self.starters.pop(channel.id, None)
            self.ended_games.add(game_id)
            # The session holds the renderer (its render) and the renderer the session: once the game
            # is over, let go of one side, so reference counting frees the game and its messages now
            # rather than the next full collection, which would pause the loop to find them.
            renderer.session = None

        task.add_done_callback(ended)
        return renderer

    async def answer_pressed(self, interaction: discord.Interaction, game_id: int, number: int, option: int) -> None:
        session = self.sessions.get(interaction.channel_id or 0)
        if session is None or session.game_id != game_id:
            await send_private(interaction, GAME_OVER if game_id in self.ended_games else GAME_ENDED_BY_RESTART)
            return
        # Acknowledge first: saving a close can wait on the database and rendering on Discord,
        # and Discord forgets an interaction that is not acknowledged within 3 seconds.
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as error:
            log.warning("could not acknowledge a button press: %s", error)
        choice = option_text(session.game, number, option)
        events = await session.submit(player_of(interaction.user), choice, question=number)
        await send_private(interaction, _private_reply(events, interaction.user.id))

    async def session_for_control(self, interaction: discord.Interaction) -> GameSession | None:
        """The channel's game, if the caller started it or moderates the server; otherwise say why not."""
        channel_id = interaction.channel_id or 0
        session = self.sessions.get(channel_id)
        if session is None:
            await send_private(interaction, "No game is running in this channel.")
            return None
        if not may_control_game(interaction, self.starters.get(channel_id)):
            await send_private(interaction, "Only the player who started this game or a moderator can do that.")
            return None
        return session

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None:
            return
        session = self.sessions.get(message.channel.id)
        if session is None or session.game.settings.mode is not AnswerMode.TEXT:
            return
        await session.submit(player_of(message.author), message.content)
