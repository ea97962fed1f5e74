"""Small helpers shared by the cogs for staying inside Discord's message and embed limits."""

from __future__ import annotations

from collections.abc import Sequence

import discord

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FIELDS = 25
EMBED_TOTAL = 6000
MESSAGE_CONTENT = 2000
BUTTON_LABEL = 80
CHOICE_NAME = 100

# The most names a result lists (scorers, standings, winners); the rest are counted, not shown.
MAX_LISTED = 15

COLOUR = discord.Colour.from_rgb(232, 160, 40)
NO_MENTIONS = discord.AllowedMentions.none()


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def listed(lines: Sequence[str], limit: int = MAX_LISTED) -> list[str]:
    """The first ``limit`` lines, and a last one saying how many more there are (never silently cut)."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"…and {len(lines) - limit} more"]


def add_field_within_limits(embed: discord.Embed, name: str, value: str, inline: bool = False) -> bool:
    """Add a field if the embed still has room; False when it is full (callers say "and N more")."""
    name = clip(name, EMBED_FIELD_NAME)
    value = clip(value, EMBED_FIELD_VALUE) or "\u200b"
    if len(embed.fields) >= EMBED_FIELDS or len(embed) + len(name) + len(value) > EMBED_TOTAL - 100:
        return False
    embed.add_field(name=name, value=value, inline=inline)
    return True


def quote_block(text: str, limit: int = EMBED_FIELD_VALUE) -> str:
    return clip("> " + " ".join(text.split()), limit)


def quote_with_note(quote: str | None, note: str | None, limit: int = EMBED_FIELD_VALUE) -> str:
    """A quote as evidence, with the pack's correction of it underneath (the note always fits whole)."""
    note_line = clip(f"Note: {' '.join(note.split())}", limit // 2) if note else ""
    if not quote:
        return note_line
    room = limit - len(note_line) - 1 if note_line else limit
    return quote_block(quote, room) + (f"\n{note_line}" if note_line else "")
