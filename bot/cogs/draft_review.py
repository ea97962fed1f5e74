"""The `/pack draft` review in Discord: a translator between clicks and `bot.authoring.review.DraftReview`.

One private message shows a page of candidate facts with their quotes. Its first menu keeps or drops
the page's facts, the second opens a form to correct an entity's name or kind, and the buttons turn
pages, rename the pack, save it (validated and stored exactly as `/pack add` does) or discard it.
Nothing is stored before "Save pack"; when the view times out its controls are disabled and the
message says that nothing was saved.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.authoring.review import DraftReview, ReviewError
from bot.client import interaction_expired
from bot.cogs.render import (
    COLOUR,
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_TITLE,
    MESSAGE_CONTENT,
    NO_MENTIONS,
    add_field_within_limits,
    clip,
    quote_block,
)
from bot.trivia.packs import PackError
from bot.trivia.relations import KINDS, RELATIONS

log = logging.getLogger(__name__)

SELECT_LABEL = 100
SELECT_DESCRIPTION = 100
QUOTE_SHOWN = 600


class SaveFailed(Exception):
    """Saving did not happen for a reason other than the pack itself; the message says why."""


# What saving does, injected by the cog: store the YAML as this server's pack, or raise PackError
# (the pack is refused) or SaveFailed.
SavePack = Callable[[bytes, str], Awaitable[str]]
FormatIssues = Callable[[PackError], str]


def review_embed(review: DraftReview) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"Review: {review.title}", EMBED_TITLE),
        description=clip(
            f"Page {review.page + 1} of {review.page_count} · keeping {review.kept_count} of "
            f"{review.fact_count} facts · pack id `{review.pack_id}`\n"
            "Pick the facts to keep in the first menu, correct a name or kind with the second, then "
            "**Save pack**. Nothing is stored until you save.",
            EMBED_DESCRIPTION,
        ),
        colour=COLOUR,
    )
    for shown in review.page_facts():
        mark = "✅" if shown.kept else "❌"
        relation = RELATIONS[shown.fact.relation].label if shown.fact.relation in RELATIONS else shown.fact.relation
        name = f"{mark} {shown.number}. {shown.subject.name} — {relation} — {shown.object_name}"
        value = quote_block(shown.fact.quote, QUOTE_SHOWN) + f"\n*cue: {shown.fact.cue}*"
        add_field_within_limits(embed, clip(name, EMBED_FIELD_NAME), value)
    return embed


class DraftReviewView(discord.ui.View):
    def __init__(
        self,
        review: DraftReview,
        owner_id: int,
        save: SavePack,
        format_issues: FormatIssues,
        timeout: float,
    ):
        super().__init__(timeout=timeout)
        self.review = review
        self.owner_id = owner_id
        self._save = save
        self._format_issues = format_issues
        self.message: discord.WebhookMessage | None = None
        self._rebuild()

    # -- layout

    def _rebuild(self) -> None:
        self.clear_items()
        page = self.review.page_facts()
        keep = discord.ui.Select(
            custom_id="draft:keep",
            placeholder="Facts to keep on this page",
            min_values=0,
            max_values=max(1, len(page)),
            options=[
                discord.SelectOption(
                    label=clip(
                        f"{shown.number}. {shown.subject.name} {shown.fact.relation} {shown.object_name}", SELECT_LABEL
                    ),
                    value=str(shown.number),
                    description=clip(shown.fact.quote, SELECT_DESCRIPTION),
                    default=shown.kept,
                )
                for shown in page
            ],
            row=0,
        )
        keep.callback = self._on_keep  # type: ignore[method-assign]
        self.add_item(keep)
        entities = self.review.page_entities()
        if entities:
            fix = discord.ui.Select(
                custom_id="draft:entity",
                placeholder="Correct an entity's name or kind",
                options=[
                    discord.SelectOption(label=clip(f"{entity.name} ({entity.kind})", SELECT_LABEL), value=entity.id)
                    for entity in entities[:25]
                ],
                row=1,
            )
            fix.callback = self._on_entity  # type: ignore[method-assign]
            self.add_item(fix)
        for label, custom_id, style, disabled, callback in (
            ("◀ Previous", "draft:previous", discord.ButtonStyle.secondary, self.review.page == 0, self._on_previous),
            (
                "Next ▶",
                "draft:next",
                discord.ButtonStyle.secondary,
                self.review.page >= self.review.page_count - 1,
                self._on_next,
            ),
            ("Rename pack", "draft:rename", discord.ButtonStyle.secondary, False, self._on_rename),
            ("Save pack", "draft:save", discord.ButtonStyle.success, False, self._on_save),
            ("Discard", "draft:discard", discord.ButtonStyle.danger, False, self._on_discard),
        ):
            button = discord.ui.Button(label=label, custom_id=custom_id, style=style, disabled=disabled, row=2)
            button.callback = callback  # type: ignore[method-assign]
            self.add_item(button)

    async def refresh(self, interaction: discord.Interaction) -> None:
        self._rebuild()
        await interaction.response.edit_message(
            embed=review_embed(self.review), view=self, allowed_mentions=NO_MENTIONS
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the moderator who drafted this pack can review it.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return False
        return True

    # -- callbacks: each is one call on the review, then a redraw

    async def _on_keep(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values", [])  # type: ignore[union-attr]
        try:
            self.review.keep_on_page({int(value) for value in values})
        except (ReviewError, ValueError) as error:
            await _say(interaction, str(error))
            return
        await self.refresh(interaction)

    async def _on_entity(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values", [])  # type: ignore[union-attr]
        try:
            entity = self.review.entity(values[0] if values else "")
        except ReviewError as error:
            await _say(interaction, str(error))
            return
        await interaction.response.send_modal(EntityForm(self, entity.id, entity.name, entity.kind))

    async def _on_previous(self, interaction: discord.Interaction) -> None:
        self.review.previous_page()
        await self.refresh(interaction)

    async def _on_next(self, interaction: discord.Interaction) -> None:
        self.review.next_page()
        await self.refresh(interaction)

    async def _on_rename(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(PackForm(self))

    async def _on_save(self, interaction: discord.Interaction) -> None:
        try:
            text = self.review.yaml()
        except ReviewError as error:
            await _say(interaction, str(error))
            return
        await interaction.response.defer()
        try:
            saved = await self._save(text.encode("utf-8"), f"{self.review.pack_id}.yaml")
        except PackError as error:
            await interaction.followup.send(self._format_issues(error), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        except SaveFailed as error:
            await interaction.followup.send(
                clip(f"Nothing was saved: {error}.", MESSAGE_CONTENT), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        self.stop()
        try:
            await interaction.edit_original_response(
                content=clip(saved, MESSAGE_CONTENT), embed=None, view=None, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as error:
            if not interaction_expired(error):
                raise
            # The pack is saved whole; only the confirmation is lost.
            log.warning("a draft review saved pack %s but could not say so: %s", self.review.pack_id, error)

    async def _on_discard(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Draft discarded; nothing was saved.", embed=None, view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is None:
            return
        try:
            await self.message.edit(
                content="This review expired; nothing was saved. Run `/pack draft` again to start over.",
                view=self,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as error:  # the interaction token may have run out already
            log.info("could not mark an expired draft review: %s", error)


class EntityForm(discord.ui.Modal, title="Correct an entity"):
    def __init__(self, view: DraftReviewView, entity_id: str, name: str, kind: str):
        super().__init__(custom_id="draft:entity-form")
        self.review_view = view
        self.entity_id = entity_id
        self.name_input = discord.ui.TextInput(label="Name", custom_id="name", default=name, max_length=80)
        self.kind_input = discord.ui.TextInput(
            label="Kind", custom_id="kind", default=kind, max_length=32, placeholder=", ".join(KINDS)[:100]
        )
        self.add_item(self.name_input)
        self.add_item(self.kind_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            self.review_view.review.correct_entity(self.entity_id, self.name_input.value, self.kind_input.value)
        except ReviewError as error:
            await _say(interaction, str(error))
            return
        await self.review_view.refresh(interaction)


class PackForm(discord.ui.Modal, title="Rename the pack"):
    def __init__(self, view: DraftReviewView):
        super().__init__(custom_id="draft:pack-form")
        self.review_view = view
        self.pack_id = discord.ui.TextInput(label="Pack id", custom_id="id", default=view.review.pack_id, max_length=64)
        self.pack_title = discord.ui.TextInput(
            label="Title", custom_id="title", default=view.review.title, max_length=100
        )
        self.add_item(self.pack_id)
        self.add_item(self.pack_title)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            self.review_view.review.rename_pack(self.pack_id.value, self.pack_title.value)
        except ReviewError as error:
            await _say(interaction, str(error))
            return
        await self.review_view.refresh(interaction)


async def _say(interaction: discord.Interaction, message: str) -> None:
    await interaction.response.send_message(
        clip(message, MESSAGE_CONTENT), ephemeral=True, allowed_mentions=NO_MENTIONS
    )
