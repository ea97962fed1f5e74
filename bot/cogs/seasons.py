"""/trivia season list and end, and the boards for a period, a season or a pack. Glue only.

The rules (UTC weeks from Monday, months, which options name which board) are in
``bot/trivia/seasons.py``; ranks come from the store.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import send_private
from bot.cogs.permissions import MODERATOR_PERMISSION, is_moderator
from bot.cogs.render import COLOUR, EMBED_DESCRIPTION, NO_MENTIONS, clip
from bot.storage.base import Scope, Season
from bot.text import plural
from bot.trivia.seasons import Board, Period, ScopeError, choose_board

if TYPE_CHECKING:
    from bot.client import CrateDigger

log = logging.getLogger(__name__)

PERIOD_CHOICES = [
    app_commands.Choice(name="All time", value=Period.ALL.value),
    app_commands.Choice(name="This week (UTC, from Monday)", value=Period.WEEK.value),
    app_commands.Choice(name="This month (UTC)", value=Period.MONTH.value),
    app_commands.Choice(name="This season", value=Period.SEASON.value),
]


async def resolve_board(
    bot: CrateDigger, interaction: discord.Interaction, period: str, season: int | None, pack: str | None
) -> Board | None:
    """The board the options name, or None after telling the user privately why there is none."""
    assert interaction.guild_id is not None
    current = await bot.store.current_season(interaction.guild_id)
    try:
        return choose_board(
            Period(period), bot.wall_clock(), current_season=current.number, season=season, pack_id=pack
        )
    except ScopeError as error:
        await send_private(interaction, str(error))
        return None


async def scoped_leaderboard(bot: CrateDigger, interaction: discord.Interaction, board: Board) -> None:
    assert interaction.guild_id is not None
    rows = await bot.store.standings(interaction.guild_id, board.scope, 10)
    if not rows:
        await send_private(interaction, f"Nobody has answered a question here in that board yet ({board.title}).")
        return
    lines = [
        f"**{row.rank}.** {clip(row.display_name, 80)} · {plural(row.points, 'point')} · {row.correct} right"
        f" · {plural(row.games, 'game')}"
        for row in rows
    ]
    mine = await bot.store.standing(interaction.guild_id, interaction.user.id, board.scope)
    if mine is not None and all(row.user_id != mine.user_id for row in rows):
        lines += ["", f"You: **{mine.rank}.** {plural(mine.points, 'point')} · {mine.correct} right"]
    embed = discord.Embed(
        title=clip(f"Leaderboard · {board.title}", 256),
        description=clip("\n".join(lines), EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)


async def scoped_stats(
    bot: CrateDigger, interaction: discord.Interaction, target: discord.abc.User, board: Board
) -> None:
    assert interaction.guild_id is not None
    standing = await bot.store.standing(interaction.guild_id, target.id, board.scope)
    if standing is None:
        await send_private(interaction, clip(f"{target.display_name} has no answers here in {board.title}.", 2000))
        return
    embed = discord.Embed(title=clip(f"Stats for {standing.display_name} · {board.title}", 256), colour=COLOUR)
    for name, value in (
        ("Rank", f"#{standing.rank}"),
        ("Points", standing.points),
        ("Right answers", f"{standing.correct} of {standing.answered}"),
        ("Games", standing.games),
    ):
        embed.add_field(name=name, value=str(value))
    embed.set_footer(text="Wins and streaks count across all time: /trivia stats without a period.")
    await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)


def _when(timestamp: float | None) -> str:
    return f"<t:{int(timestamp)}:d>" if timestamp is not None else "the first game"


def season_line(season: Season) -> str:
    if season.ended_at is None:
        return f"**Season {season.number}** (current) · since {_when(season.started_at)}"
    return (
        f"**Season {season.number}** · {_when(season.started_at)} to {_when(season.ended_at)}"
        f" · {plural(season.players, 'player')}"
    )


class EndSeasonButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"cd-season:(?P<action>end|keep):(?P<guild>[0-9]+):(?P<season>[0-9]+)",
):
    """The moderator's "are you sure" for ending a season, or its Cancel.

    A persistent ``DynamicItem`` (registered in ``setup_hook``): the ``custom_id`` names the server and
    the season the confirmation was shown for, so a press after a restart still gets its answer, and a
    press for a season someone already ended says so instead of ending the next one. The message is
    ephemeral (only the moderator who asked sees it); the press still re-checks the permission, which
    may have been taken away since.
    """

    def __init__(self, action: str, guild_id: int, number: int) -> None:
        end = action == "end"
        super().__init__(
            discord.ui.Button(
                label="End the season" if end else "Cancel",
                style=discord.ButtonStyle.danger if end else discord.ButtonStyle.secondary,
                custom_id=f"cd-season:{action}:{guild_id}:{number}",
            )
        )
        self.action = action
        self.guild_id = guild_id
        self.number = number

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> EndSeasonButton:
        return cls(match["action"], int(match["guild"]), int(match["season"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: CrateDigger = interaction.client  # type: ignore[assignment]
        if interaction.guild_id != self.guild_id:
            await send_private(interaction, "That confirmation belongs to another server; nothing changed.")
            return
        if not is_moderator(interaction):
            await send_private(interaction, f"Only moderators ({MODERATOR_PERMISSION} permission) can end a season.")
            return
        if self.action == "keep":
            await interaction.response.edit_message(content="Nothing changed: the season goes on.", view=None)
            return
        ended = await bot.store.end_season(self.guild_id, self.number, bot.wall_clock())
        if ended is None:
            await interaction.response.edit_message(
                content=f"Season {self.number} had already ended; nothing changed.", view=None
            )
            return
        await interaction.response.edit_message(
            content=f"Season {ended.number} ended; its standings are archived. Season {ended.number + 1} starts now.",
            view=None,
        )
        rows = await bot.store.standings(self.guild_id, Scope(season=ended.number), 10)
        lines = [f"**{row.rank}.** {clip(row.display_name, 80)} · {plural(row.points, 'point')}" for row in rows]
        embed = discord.Embed(
            title=f"🏁 Season {ended.number} is over",
            description=clip(
                "\n".join([*lines, "", f"Season {ended.number + 1} starts now: every board's season is fresh."]),
                EMBED_DESCRIPTION,
            ),
            colour=COLOUR,
        )
        await interaction.followup.send(embed=embed, allowed_mentions=NO_MENTIONS)


def end_season_confirmation(guild_id: int, number: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EndSeasonButton("end", guild_id, number))
    view.add_item(EndSeasonButton("keep", guild_id, number))
    return view


class SeasonCommands(app_commands.Group, name="season", description="This server's seasons"):
    def __init__(self, bot: CrateDigger):
        super().__init__()
        self.bot = bot

    @app_commands.command(name="list", description="The current season and the archived ones")
    async def list_seasons(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        current = await self.bot.store.current_season(interaction.guild_id)
        archived = await self.bot.store.seasons(interaction.guild_id, 24)
        lines = [season_line(current), *(season_line(season) for season in archived)]
        if archived:
            lines += ["", "`/trivia leaderboard season:N` shows a season's final standings."]
        embed = discord.Embed(title="Seasons", description=clip("\n".join(lines), EMBED_DESCRIPTION), colour=COLOUR)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="end", description="End the current season: archive its standings, start a new one")
    async def end(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        if not is_moderator(interaction):
            await send_private(interaction, f"Only moderators ({MODERATOR_PERMISSION} permission) can end a season.")
            return
        current = await self.bot.store.current_season(interaction.guild_id)
        top = await self.bot.store.standings(interaction.guild_id, Scope(season=current.number), 1)
        if not top:
            await send_private(interaction, f"Nobody has answered in season {current.number} yet: nothing to archive.")
            return
        view = end_season_confirmation(interaction.guild_id, current.number)
        await interaction.response.send_message(
            clip(
                f"End season {current.number}? Its final standings (led by {top[0].display_name}, "
                f"{plural(top[0].points, 'point')}) are archived and season {current.number + 1} starts now. "
                "All-time totals, wins and streaks are kept.",
                2000,
            ),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


class SeasonsCog(commands.Cog):
    def __init__(self, bot: CrateDigger):
        self.bot = bot
        self.group = SeasonCommands(bot)

    async def cog_load(self) -> None:
        # The season commands belong under /trivia, whose group the TriviaCog owns.
        group = self.bot.tree.get_command("trivia")
        assert isinstance(group, app_commands.Group), "TriviaCog must be added before SeasonsCog"
        group.add_command(self.group)

    async def cog_unload(self) -> None:
        group = self.bot.tree.get_command("trivia")
        if isinstance(group, app_commands.Group):
            group.remove_command(self.group.name)
