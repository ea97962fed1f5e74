"""/fact: what an artist, song or film sampled, inspired or was based on, with the article's words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.render import (
    CHOICE_NAME,
    COLOUR,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    MESSAGE_CONTENT,
    NO_MENTIONS,
    add_field_within_limits,
    clip,
    quote_with_note,
)
from bot.trivia.facts import EntityFacts

if TYPE_CHECKING:
    from bot.client import CrateDigger


def entity_facts_embed(facts: EntityFacts, source_titles: dict[str, str]) -> discord.Embed:
    entity = facts.entity
    details = ", ".join(str(part) for part in (entity.kind, entity.year) if part)
    description = entity.description or ""
    if entity.aliases:
        description += ("\n" if description else "") + f"Also known as: {', '.join(entity.aliases)}"
    embed = discord.Embed(
        title=clip(f"{entity.name} ({details})", EMBED_TITLE),
        description=clip(description, EMBED_DESCRIPTION) or None,
        colour=COLOUR,
    )
    shown = 0
    links = [(None, link) for link in facts.links] + list(facts.through)
    for work, link in links:
        prefix = f"Through {work.name}: " if work else ""
        via = f" (via {link.fact.via})" if link.fact.via else ""
        name = f"{prefix}{link.label[0].upper()}{link.label[1:]} {link.other_text}{via}"
        if not add_field_within_limits(embed, name, quote_with_note(link.fact.quote, link.fact.note)):
            break
        shown += 1
    hidden = len(links) - shown
    sources = sorted({source_titles.get(pack_id, pack_id) for pack_id in facts.pack_ids})
    footer = "Source: " + "; ".join(sources)
    if hidden:
        footer = f"{hidden} more not shown · " + footer
    embed.set_footer(text=clip(footer, 2048))
    return embed


class FactsCog(commands.Cog):
    def __init__(self, bot: CrateDigger):
        self.bot = bot

    @app_commands.command(name="fact", description="What an artist, song or film sampled, inspired or was based on")
    @app_commands.describe(name="An artist, song, album, film or person (aliases work too)")
    async def fact(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        catalog = await self.bot.library.catalog_for(interaction.guild_id)
        index = catalog.index
        entity = index.find(name)
        if entity is None:
            suggestions = [candidate.name for candidate in index.suggest(name)]
            hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
            await interaction.response.send_message(
                clip(f"I know nothing called “{name}”.{hint}", MESSAGE_CONTENT),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        titles = {pack.id: pack.source.title for pack in catalog.packs()}
        embed = entity_facts_embed(index.facts_about(entity), titles)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    @fact.autocomplete("name")
    async def fact_name_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.library.catalog_now(interaction.guild_id)
        return [
            app_commands.Choice(name=clip(entity.name, CHOICE_NAME), value=clip(entity.name, CHOICE_NAME))
            for entity in catalog.index.autocomplete(current, limit=25)
        ]
