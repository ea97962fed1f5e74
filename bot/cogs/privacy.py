"""/trivia forget-me and /trivia reset: a player removes their own data here; the owner wipes the boards.

Glue only: what goes and what stays is the store's (``Store.forget_player``, ``Store.reset_guild``) and
the README's "Your data" says it in full. Both ask first, privately, with buttons only the asker can press.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import send_private
from bot.cogs.render import NO_MENTIONS
from bot.storage.errors import StoreError
from bot.text import plural

if TYPE_CHECKING:
    from bot.client import CrateDigger

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 120

FORGET_ME_TEXT = (
    "Remove everything Crate Digger keeps about you in this server? That is your points, right answers, games, "
    "wins and streaks, every answer you gave, your places in archived seasons, your daily answers and daily "
    "streak, and the reports you filed. Other players keep their points. This cannot be undone."
)
RESET_TEXT = (
    "Reset this server's leaderboard? This deletes every player's points, answers, games, wins and streaks, "
    "the seasons with their archived standings (season 1 starts again), and the daily answers and streaks. "
    "Uploaded packs, disabled questions, reports and the daily question's channel stay. This cannot be undone."
)
STORE_FAILED = "The database could not do that just now, so nothing changed. Try again in a moment."


def is_server_owner(interaction: discord.Interaction) -> bool:
    # Not Manage Server: wiping everyone's scores is the owner's call alone.
    return interaction.guild is not None and interaction.guild.owner_id == interaction.user.id


class Confirm(discord.ui.View):
    """Do it, or cancel: for the member who asked only (and only while ``still_allowed``), once."""

    def __init__(
        self,
        *,
        asking: discord.Interaction,
        label: str,
        action: Callable[[], Awaitable[str]],
        cancelled: str,
        still_allowed: Callable[[discord.Interaction], bool] = lambda interaction: True,
    ):
        super().__init__(timeout=CONFIRM_SECONDS)
        self.asking = asking
        self.action = action
        self.cancelled = cancelled
        self.still_allowed = still_allowed
        self.confirm.label = label

    async def ask(self, question: str) -> None:
        await self.asking.response.send_message(question, view=self, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def on_timeout(self) -> None:
        # Left unanswered: say so, rather than leave buttons that no longer do anything.
        try:
            await self.asking.edit_original_response(content="Not confirmed in time, so nothing changed.", view=None)
        except discord.HTTPException as error:
            log.info("could not expire a confirmation: %s", error)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.asking.user.id or not self.still_allowed(interaction):
            await send_private(interaction, "Only the member who asked can confirm this.")
            return False
        return True

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        # Acknowledged first: wiping a big server's answers may take longer than Discord's 3 seconds.
        await interaction.response.edit_message(content="Working on it…", view=None)
        try:
            done = await self.action()
        except StoreError as error:
            log.warning("could not erase data for %s: %s", interaction.user.id, error)
            done = STORE_FAILED
        await interaction.edit_original_response(content=done)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.cancelled, view=None)


class PrivacyCog(commands.Cog):
    def __init__(self, bot: CrateDigger):
        self.bot = bot
        self.subcommands = [self._forget_me_command(), self._reset_command()]

    def _forget_me_command(self) -> app_commands.Command:
        @app_commands.command(name="forget-me", description="Remove your scores, answers and streaks in this server")
        async def forget_me(interaction: discord.Interaction) -> None:
            await self.forget_me(interaction)

        return forget_me

    def _reset_command(self) -> app_commands.Command:
        @app_commands.command(name="reset", description="Wipe this server's leaderboard (the server owner only)")
        async def reset(interaction: discord.Interaction) -> None:
            await self.reset(interaction)

        return reset

    async def forget_me(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id

        async def forget() -> str:
            erased = await self.bot.store.forget_player(user_id, guild_id)
            if not erased.total:
                return "There was nothing stored about you in this server."
            log.info("user %s forgot themself in guild %s (%s)", user_id, guild_id, erased.deleted)
            return (
                f"Done: {plural(erased.total, 'record')} about you in this server deleted. "
                "If you play again, you start from zero."
            )

        view = Confirm(asking=interaction, label="Forget me", action=forget, cancelled="Nothing changed.")
        await view.ask(FORGET_ME_TEXT)

    async def reset(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        if not is_server_owner(interaction):
            await send_private(interaction, "Only the server owner can reset the leaderboard.")
            return
        guild_id = interaction.guild_id

        async def reset() -> str:
            erased = await self.bot.store.reset_guild(guild_id)
            # Everyone's scores went: tell the channel, not only the owner.
            await interaction.followup.send(
                "🧹 The server owner reset the leaderboard: everyone starts from zero, in season 1.",
                allowed_mentions=NO_MENTIONS,
            )
            return f"The leaderboard is reset ({plural(erased.total, 'record')} deleted)."

        view = Confirm(
            asking=interaction,
            label="Reset the leaderboard",
            action=reset,
            cancelled="Nothing changed: the leaderboard stays.",
            still_allowed=is_server_owner,
        )
        await view.ask(RESET_TEXT)

    async def cog_load(self) -> None:
        # These belong under /trivia, whose group the TriviaCog owns.
        group = self.bot.tree.get_command("trivia")
        assert isinstance(group, app_commands.Group), "TriviaCog must be added before PrivacyCog"
        for command in self.subcommands:
            group.add_command(command)

    async def cog_unload(self) -> None:
        group = self.bot.tree.get_command("trivia")
        if isinstance(group, app_commands.Group):
            for command in self.subcommands:
                group.remove_command(command.name)
