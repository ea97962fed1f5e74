"""Who is a moderator: the one rule every moderator-only action asks.

A moderator is a member with the Manage Server permission (Administrator implies it), as the README
says. Manage Messages is deliberately not enough: it is handed out to chat helpers, and stopping
someone else's game or replacing a server's packs is a server-level decision.
"""

from __future__ import annotations

import discord

MODERATOR_PERMISSION = "Manage Server"


def is_moderator(interaction: discord.Interaction) -> bool:
    # interaction.permissions is what Discord computed for this member in this channel, so it already
    # includes roles and channel overwrites; Discord sets every bit for administrators.
    permissions = interaction.permissions
    return permissions.manage_guild or permissions.administrator


def may_control_game(interaction: discord.Interaction, starter_id: int | None) -> bool:
    """Stop or skip a game: the member who started it, or a moderator."""
    return interaction.user.id == starter_id or is_moderator(interaction)
