"""/trivia daily and /trivia daily-channel: one question a day per server, answered privately.

Rules live in `bot/trivia/daily.py` and the store order in `bot/trivia/daily_session.py`; this cog
renders them. The answer buttons are persistent (`DailyButton`, registered at start-up): their
``custom_id`` carries the day and the option, so a press works the same after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import send_private
from bot.cogs.permissions import MODERATOR_PERMISSION, is_moderator
from bot.cogs.render import BUTTON_LABEL, COLOUR, EMBED_DESCRIPTION, NO_MENTIONS, clip, quote_with_note
from bot.cogs.trivia import missing_game_permissions
from bot.storage.errors import StoreError
from bot.trivia.daily import day_starts_at, post_due, utc_day
from bot.trivia.daily_session import (
    DailyReveal,
    all_questions,
    answer_for_day,
    question_for_day,
    reveal_before,
)
from bot.trivia.model import Question

if TYPE_CHECKING:
    from bot.client import CrateDigger

log = logging.getLogger(__name__)
LETTERS = "ABCDE"
# How often the poster looks for a channel whose hour has come; a post is at most this late.
POST_CHECK_SECONDS = 60


class DailyButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"crate-digger:daily:(?P<day>\d{4}-\d{2}-\d{2}):(?P<option>\d)"
):
    """One option of a day's question, in a private reply or a channel post; works after a restart."""

    def __init__(self, day: date, option: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, BUTTON_LABEL),
                style=discord.ButtonStyle.secondary,
                custom_id=f"crate-digger:daily:{day.isoformat()}:{option}",
            )
        )
        self.day = day
        self.option = option

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button,
        match: re.Match[str],
        /,
    ) -> DailyButton:
        return cls(date.fromisoformat(match["day"]), int(match["option"]), item.label or "?")

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = interaction.client.get_cog(DailyCog.__cog_name__)  # type: ignore[attr-defined]
        if cog is not None:
            await cog.pressed(interaction, self.day, self.option)


def question_view(day: date, question: Question) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for index, choice in enumerate(question.choices):
        view.add_item(DailyButton(day, index, f"{LETTERS[index]} · {choice}"))
    return view


def question_embed(day: date, question: Question, closes_at: int) -> discord.Embed:
    lines = [clip(question.prompt, 1000), ""]
    lines += [f"**{LETTERS[index]}** · {clip(choice, 200)}" for index, choice in enumerate(question.choices)]
    lines += ["", f"One answer each, privately. The answer is revealed <t:{closes_at}:R> (00:00 UTC)."]
    return discord.Embed(
        title=f"📅 Daily question · {day.isoformat()}",
        description=clip("\n".join(lines), EMBED_DESCRIPTION),
        colour=COLOUR,
    )


def reveal_embed(reveal: DailyReveal) -> discord.Embed:
    tally = reveal.tally
    counts = f"{tally.right} of {tally.answered} {'player' if tally.answered == 1 else 'players'} got it right."
    if reveal.question is None:
        return discord.Embed(
            title=f"Yesterday's daily ({reveal.day.isoformat()})",
            description=f"That question is no longer in any pack here. {counts}",
            colour=COLOUR,
        )
    embed = discord.Embed(
        title=clip(f"Yesterday's answer: {reveal.question.answer}", 256),
        description=clip(f"{reveal.question.prompt}\n\n{counts}", EMBED_DESCRIPTION),
        colour=discord.Colour.green(),
    )
    if reveal.question.quote or reveal.question.note:
        embed.add_field(
            name="From the article" if reveal.question.quote else "Note",
            value=quote_with_note(reveal.question.quote, reveal.question.note),
            inline=False,
        )
    return embed


class DailyCog(commands.Cog):
    def __init__(self, bot: CrateDigger):
        self.bot = bot
        self.subcommands = [self._daily_command(), self._daily_channel_command()]
        self.poster: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def cog_load(self) -> None:
        # The daily commands belong under /trivia, whose group the TriviaCog owns.
        group = self.bot.tree.get_command("trivia")
        assert isinstance(group, app_commands.Group), "TriviaCog must be added before DailyCog"
        for command in self.subcommands:
            group.add_command(command)
        self.bot.add_dynamic_items(DailyButton)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Started here, not in cog_load: the commands are also loaded without a connection (to print
        # or sync them), and then nothing must be posted. on_ready fires again after a reconnect.
        if self.poster is None or self.poster.done():
            self.poster = asyncio.create_task(self._post_when_due(), name="daily-poster")

    async def cog_unload(self) -> None:
        if self.poster is not None:
            self.poster.cancel()
        self.bot.remove_dynamic_items(DailyButton)
        group = self.bot.tree.get_command("trivia")
        if isinstance(group, app_commands.Group):
            for command in self.subcommands:
                group.remove_command(command.name)

    # -- /trivia daily -------------------------------------------------------------------------

    def _daily_command(self) -> app_commands.Command:
        @app_commands.command(
            name="daily", description="Today's daily question (one answer each) and yesterday's answer"
        )
        async def daily(interaction: discord.Interaction) -> None:
            await self.show(interaction)

        return daily

    async def _questions(self, guild_id: int) -> list[Question]:
        return all_questions(await self.bot.library.catalog_for(guild_id))

    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        # Acknowledge first: a server's uploaded packs may need compiling before its question is known,
        # and Discord forgets an interaction that is not acknowledged within 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        today = utc_day(self.bot.wall_clock())
        questions = await self._questions(interaction.guild_id)
        store = self.bot.store
        embeds: list[discord.Embed] = []
        reveal = await reveal_before(store, questions, interaction.guild_id, today)
        if reveal is not None:
            embeds.append(reveal_embed(reveal))
            mine = await store.daily_answer(interaction.guild_id, reveal.day, interaction.user.id)
            if mine is not None:
                verdict = "right ✅" if mine.correct else "wrong"
                embeds[-1].set_footer(text=clip(f"You answered {mine.choice}: {verdict}", 2048))
        question = await question_for_day(store, questions, interaction.guild_id, today)
        if question is None:
            await send_private(
                interaction,
                "There's no daily question here: no pack has a multiple-choice question.",
                embeds=embeds,
            )
            return
        closes_at = int(day_starts_at(today) + 86_400)
        embeds.append(question_embed(today, question, closes_at))
        earlier = await store.daily_answer(interaction.guild_id, today, interaction.user.id)
        if earlier is not None:
            embeds[-1].set_footer(text=clip(f"You answered {earlier.choice}; come back tomorrow for the answer.", 2048))
            await send_private(interaction, embeds=embeds)
            return
        await send_private(interaction, embeds=embeds, view=question_view(today, question))

    async def pressed(self, interaction: discord.Interaction, day: date, option: int) -> None:
        # Acknowledge first: Discord forgets an interaction not acknowledged within 3 seconds.
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as error:
            log.warning("could not acknowledge a daily press: %s", error)
        guild_id = interaction.guild_id
        if guild_id is None:
            return
        today = utc_day(self.bot.wall_clock())
        if day != today:
            await send_private(
                interaction,
                f"The daily question of {day.isoformat()} has closed. `/trivia daily` shows its answer and today's.",
            )
            return
        try:
            question = await question_for_day(self.bot.store, await self._questions(guild_id), guild_id, day)
            if question is None or option >= len(question.choices):
                await send_private(interaction, "Today's question is no longer in any pack here; sorry!")
                return
            verdict = await answer_for_day(
                self.bot.store,
                guild_id,
                day,
                question,
                user_id=interaction.user.id,
                display_name=interaction.user.display_name,
                choice=question.choices[option],
                answered_at=self.bot.wall_clock(),
            )
        except StoreError as error:
            log.error("could not save a daily answer in server %s: %s", guild_id, error)
            await send_private(interaction, "I couldn't save your answer; please try again in a moment.")
            return
        closes_at = int(day_starts_at(today) + 86_400)
        if verdict.recorded:
            text = (
                f"🔒 Locked in: **{clip(verdict.answer.choice, 200)}**. "
                f"The answer is revealed <t:{closes_at}:R> with `/trivia daily`."
            )
        else:
            text = f"You already answered today's question: **{clip(verdict.answer.choice, 200)}**. One answer a day!"
        await send_private(interaction, text)

    # -- /trivia daily-channel -----------------------------------------------------------------

    def _daily_channel_command(self) -> app_commands.Command:
        @app_commands.command(
            name="daily-channel", description="Post the daily question in a channel every day (moderators)"
        )
        @app_commands.describe(
            channel="Where to post it", hour="At which hour, UTC (0-23, default 12)", off="Stop posting it"
        )
        async def daily_channel(
            interaction: discord.Interaction,
            channel: discord.TextChannel | None = None,
            hour: app_commands.Range[int, 0, 23] = 12,
            off: bool = False,
        ) -> None:
            await self.set_channel(interaction, channel, hour, off)

        return daily_channel

    async def set_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None, hour: int, off: bool
    ) -> None:
        assert interaction.guild_id is not None
        if not is_moderator(interaction):
            await send_private(
                interaction, f"Only moderators ({MODERATOR_PERMISSION} permission) can set the daily channel."
            )
            return
        store = self.bot.store
        if off:
            stopped = await store.clear_daily_channel(interaction.guild_id)
            await send_private(
                interaction, "The daily question won't be posted any more." if stopped else "It wasn't being posted."
            )
            return
        if channel is None:
            current = next((s for s in await store.daily_channels() if s.guild_id == interaction.guild_id), None)
            if current is None:
                text = "The daily question isn't posted anywhere. Pick a `channel` (and an `hour`, UTC) to start."
            else:
                text = f"The daily question is posted in <#{current.channel_id}> at {current.hour:02d}:00 UTC."
            await send_private(interaction, text)
            return
        # The post goes out later with nobody watching: a refusal then would only be logged and the
        # day's question lost, so the bot's own permissions there are checked now (the moderator's
        # interaction.app_permissions are for the channel the command was typed in, not this one).
        missing = missing_game_permissions(channel.permissions_for(channel.guild.me))
        if missing:
            await send_private(
                interaction,
                f"I can't post the daily question in {channel.mention}: I'm missing {', '.join(missing)} there. "
                "Ask a moderator to allow that for me in that channel, or pick another one.",
            )
            return
        await store.set_daily_channel(interaction.guild_id, channel.id, hour)
        await send_private(
            interaction,
            f"The daily question will be posted in {channel.mention} every day at {hour:02d}:00 UTC "
            "(today's right away if that hour has passed), with yesterday's answer.",
        )
        self.check_now()

    # -- posting -------------------------------------------------------------------------------

    def check_now(self) -> None:
        """Look for due posts at once instead of at the next check (a new setting, a test's clock)."""
        self._wake.set()

    async def _post_when_due(self) -> None:
        while True:
            try:
                await self.post_due()
            except Exception:  # one bad channel or a store hiccup must not end the poster
                log.exception("posting the daily question failed; trying again in %s s", POST_CHECK_SECONDS)
            self._wake.clear()
            sleeper = asyncio.create_task(self.bot.sleep(POST_CHECK_SECONDS))
            waker = asyncio.create_task(self._wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()

    async def post_due(self) -> int:
        """Post the daily question in every channel whose hour has come today; return how many."""
        now = self.bot.wall_clock()
        posted = 0
        # Only the servers of this process's shards: another process posts for the others (and only
        # this process can see their channels anyway).
        for setting in await self.bot.store.daily_channels(self.bot.shard_scope):
            day = post_due(now, setting.hour, setting.last_posted_day)
            if day is None:
                continue
            channel = self.bot.get_channel(setting.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning("daily channel %s of server %s is gone; not posting", setting.channel_id, setting.guild_id)
                continue
            # Claimed before it is sent: a crash in between loses that day's post rather than doubling it.
            if not await self.bot.store.claim_daily_post(setting.guild_id, day):
                continue
            await self._post(channel, setting.guild_id, day)
            posted += 1
        return posted

    async def _post(self, channel: discord.abc.Messageable, guild_id: int, day: date) -> None:
        questions = await self._questions(guild_id)
        reveal = await reveal_before(self.bot.store, questions, guild_id, day)
        question = await question_for_day(self.bot.store, questions, guild_id, day)
        try:
            if reveal is not None:
                await channel.send(embed=reveal_embed(reveal), allowed_mentions=NO_MENTIONS)
            if question is not None:
                embed = question_embed(day, question, int(day_starts_at(day) + 86_400))
                await channel.send(embed=embed, view=question_view(day, question), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as error:
            log.warning("could not post the daily question in channel %s: %s", getattr(channel, "id", "?"), error)
