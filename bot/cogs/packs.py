"""/pack: moderators add, check, remove, list and show this server's question packs.

Uploads go through the same validator as `crate-digger packs check`; problems come back privately with
their line numbers, and nothing is saved unless the whole pack is valid.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.authoring.draft import Draft, draft_pack, render_draft
from bot.authoring.fetch import FetchError, fetch_page
from bot.authoring.review import DraftReview
from bot.authoring.text import (
    HTML_SUFFIXES,
    TEXT_SUFFIXES,
    Article,
    ArticleError,
    article_from_file,
    article_from_html,
    article_from_text,
)
from bot.client import expired_reason, interaction_expired
from bot.cogs.draft_review import DraftReviewView, SaveFailed, review_embed
from bot.cogs.permissions import MODERATOR_PERMISSION, is_moderator
from bot.cogs.render import COLOUR, EMBED_DESCRIPTION, MESSAGE_CONTENT, NO_MENTIONS, clip
from bot.cogs.reports import show_reports
from bot.packwork import PackWorkTimeout
from bot.trivia.packs import ID_PATTERN, PackError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.client import CrateDigger

MAX_ISSUES_SHOWN = 15
DRAFT_SECONDS = 60.0  # reading and drafting one article, in a worker thread
REVIEW_SECONDS = 600.0  # a review left alone expires (the interaction token itself lasts 15 minutes)
UPLOAD_FORMATS = "A pack (.yaml), a Red-DiscordBot trivia list (.yaml) or Open Trivia DB questions (.json)"


def format_issues(error: PackError) -> str:
    lines = [f"`{issue.file}:{issue.line}` **{issue.field}**: {issue.message}" for issue in error.issues]
    shown = lines[:MAX_ISSUES_SHOWN]
    if len(lines) > MAX_ISSUES_SHOWN:
        shown.append(f"…and {len(lines) - MAX_ISSUES_SHOWN} more. Run `crate-digger packs check` for the full list.")
    count = len(error.issues)
    header = f"That pack has {count} problem{'s' if count != 1 else ''}; nothing was saved.\n"
    return clip(header + "\n".join(shown), MESSAGE_CONTENT)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class PackCommands(app_commands.Group, name="pack", description="Manage this server's question packs"):
    def __init__(self, bot: CrateDigger):
        super().__init__()
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # Server owners can re-grant the command to everyone in Integrations; the permission is still
        # what makes someone a moderator here.
        if not is_moderator(interaction):
            raise app_commands.CheckFailure(f"Only moderators ({MODERATOR_PERMISSION} permission) can manage packs.")
        return True

    async def _read_attachment(self, interaction: discord.Interaction, file: discord.Attachment) -> bytes | None:
        if not file.filename.lower().endswith((".yaml", ".yml", ".json")):
            await interaction.followup.send(
                "Upload a pack (`.yaml`), a Red-DiscordBot trivia list (`.yaml`) or Open Trivia DB questions "
                "(`.json`).",
                ephemeral=True,
            )
            return None
        most_bytes = self.bot.library.limits.pack.file_bytes  # the setting MAX_PACK_BYTES
        if file.size > most_bytes:
            await interaction.followup.send(
                f"That file is {file.size // 1024} KiB; packs are limited to {most_bytes // 1024} KiB.",
                ephemeral=True,
            )
            return None
        try:
            return await file.read()
        except discord.HTTPException as error:
            # Attachment links expire and CDNs fail; the upload is simply gone, not a bug of ours.
            log.warning("could not download the pack file %s for /pack: %s", clip(file.filename, 100), error.status)
            await interaction.followup.send(
                "I couldn't download that file from Discord (the link may have expired); upload it again.",
                ephemeral=True,
            )
            return None

    @app_commands.command(name="add", description="Add or replace a pack, or import a Red trivia list or OpenTDB JSON")
    @app_commands.describe(file=UPLOAD_FORMATS)
    async def add(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raw = await self._read_attachment(interaction, file)
        if raw is None:
            return
        assert interaction.guild_id is not None
        try:
            result = await self.bot.library.add(interaction.guild_id, raw, file.filename, interaction.user.id)
        except PackError as error:
            await interaction.followup.send(format_issues(error), ephemeral=True)
            return
        except PackWorkTimeout as error:
            await interaction.followup.send(f"Nothing was saved: {error}.", ephemeral=True)
            return
        verb = "Replaced" if result.replaced else "Added"
        origin = f" from {result.imported_from}" if result.imported_from else ""
        try:
            await interaction.followup.send(
                f"{verb} **{clip(result.pack.title, 200)}** (`{result.pack.id}`){origin}: {len(result.pack.facts)} "
                f"facts, {result.questions} questions. Play it with `/trivia start pack:{result.pack.id}`.",
                ephemeral=True,
            )
        except discord.HTTPException as error:
            if not interaction_expired(error):
                raise
            # The pack is saved whole; only the confirmation is lost. Say both in the one line.
            log.warning(
                "/pack add saved pack %s for server %s, but could not tell %s: %s",
                result.pack.id,
                interaction.guild_id,
                interaction.user,
                expired_reason(error),
            )

    @app_commands.command(name="draft", description="Draft a pack from an article (a .txt/.html file or a URL)")
    @app_commands.describe(
        file="The article as a .txt or .html file",
        url="Or the article's http(s) address",
        pack_id="The new pack's id (default: from the article's title)",
    )
    async def draft(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 500] | None = None,
        pack_id: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if (file is None) == (url is None):
            await _private(interaction, "Give the article as a `file` (.txt or .html) or as a `url`, one of them.")
            return
        if pack_id is not None and not ID_PATTERN.match(pack_id):
            await _private(interaction, "A pack id is lowercase letters, digits and hyphens, e.g. `my-pack`.")
            return
        try:
            article, source_url = await self._read_article(file, url)
            draft = await asyncio.wait_for(
                asyncio.to_thread(draft_pack, article, pack_id=pack_id, url=source_url), DRAFT_SECONDS
            )
        except (FetchError, ArticleError) as error:
            await _private(interaction, f"Could not read that article: {error}")
            return
        except TimeoutError:
            await _private(interaction, f"Drafting took longer than {DRAFT_SECONDS:g} seconds; try a shorter article.")
            return
        await self._offer_review(interaction, draft)

    async def _read_article(self, file: discord.Attachment | None, url: str | None) -> tuple[Article, str | None]:
        limits = self.bot.fetch_limits
        if file is not None:
            if not file.filename.lower().endswith(HTML_SUFFIXES + TEXT_SUFFIXES):
                raise ArticleError(f"{file.filename}: expected a .txt or .html file")
            if file.size > limits.max_bytes:
                raise ArticleError(
                    f"{file.filename} is {file.size // 1024} KiB; the limit is {limits.max_bytes // 1024} KiB"
                )
            raw = await file.read()
            article = await asyncio.wait_for(asyncio.to_thread(article_from_file, raw, file.filename), DRAFT_SECONDS)
            source_url = None
        else:
            assert url is not None
            page = await fetch_page(url, limits)
            reader = article_from_html if page.is_html else article_from_text
            article = await asyncio.wait_for(asyncio.to_thread(reader, page.text()), DRAFT_SECONDS)
            source_url = page.url
        most_chars = self.bot.library.limits.pack.source_chars  # the setting MAX_ARTICLE_CHARS
        if len(article.text) > most_chars:
            raise ArticleError(
                f"the article is {len(article.text)} characters; a pack's source holds at most {most_chars}"
            )
        return article, source_url

    async def _offer_review(self, interaction: discord.Interaction, draft: Draft) -> None:
        summary = draft.summary()
        if not draft.facts:
            await _private(
                interaction, clip(f"{escape(summary)}\nNo facts found, so there is nothing to review.", MESSAGE_CONTENT)
            )
            return
        yaml_file = discord.File(io.BytesIO(render_draft(draft).encode("utf-8")), filename=f"{draft.pack_id}.yaml")
        await interaction.followup.send(
            # Article sentences are shown as written: "oh s***" must not turn the rest into italics.
            clip(f"Drafted **{escape(draft.title)}**: {escape(summary)}", MESSAGE_CONTENT),
            file=yaml_file,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id

        async def save(raw: bytes, file_name: str) -> str:
            try:
                result = await self.bot.library.add(guild_id, raw, file_name, user_id)
            except PackWorkTimeout as error:
                raise SaveFailed(str(error)) from error
            verb = "Replaced" if result.replaced else "Saved"
            return (
                f"{verb} **{clip(result.pack.title, 200)}** (`{result.pack.id}`): {len(result.pack.facts)} facts, "
                f"{result.questions} questions. Play it with `/trivia start pack:{result.pack.id}`."
            )

        review = DraftReview(draft)
        view = DraftReviewView(review, user_id, save, format_issues, timeout=REVIEW_SECONDS)
        view.message = await interaction.followup.send(
            embed=review_embed(review), view=view, ephemeral=True, wait=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="check", description="Validate a pack file without saving it")
    @app_commands.describe(file=UPLOAD_FORMATS)
    async def check(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raw = await self._read_attachment(interaction, file)
        if raw is None:
            return
        try:
            pack = await self.bot.library.validate_upload(raw, file.filename)
        except PackError as error:
            await interaction.followup.send(format_issues(error), ephemeral=True)
            return
        except PackWorkTimeout as error:
            await interaction.followup.send(f"I could not check that pack: {error}.", ephemeral=True)
            return
        await interaction.followup.send(
            f"`{pack.id}` is valid: {len(pack.entities)} entities, {len(pack.facts)} facts, "
            f"{len(pack.questions)} hand-written questions. Nothing was saved.",
            ephemeral=True,
        )

    @app_commands.command(name="remove", description="Remove one of this server's uploaded packs")
    @app_commands.describe(pack="The id of the uploaded pack")
    async def remove(self, interaction: discord.Interaction, pack: app_commands.Range[str, 1, 64]) -> None:
        assert interaction.guild_id is not None
        if self.bot.library.builtin.pack(pack) is not None:
            await interaction.response.send_message(f"`{pack}` is built in and cannot be removed.", ephemeral=True)
            return
        removed = await self.bot.library.remove(interaction.guild_id, pack)
        message = f"Removed `{pack}`." if removed else f"This server has no uploaded pack `{pack}`."
        await interaction.response.send_message(clip(message, MESSAGE_CONTENT), ephemeral=True)

    @remove.autocomplete("pack")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str):
        # Autocomplete does not run interaction_check, and pack ids are no one else's business.
        if not is_moderator(interaction) or interaction.guild_id is None:
            return []
        ids = sorted(await self.bot.library.uploaded_ids(interaction.guild_id))
        return [app_commands.Choice(name=i, value=i) for i in ids if current.lower() in i][:25]

    @app_commands.command(name="list", description="List the packs this server can play")
    async def list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        catalog = await self.bot.library.catalog_for(interaction.guild_id)
        uploaded = await self.bot.library.uploaded_ids(interaction.guild_id)
        lines = []
        for pack in catalog.packs():
            summary = catalog.summary(pack.id)
            assert summary is not None
            origin = "uploaded" if pack.id in uploaded else "built in"
            lines.append(f"`{pack.id}`: {pack.title} ({summary.questions} questions, {origin})")
        embed = discord.Embed(
            title="Question packs", description=clip("\n".join(lines), EMBED_DESCRIPTION), colour=COLOUR
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="reports", description="Players' reports of questions, newest first")
    @app_commands.describe(pack="Only this pack's reports (default: all packs)")
    async def reports(
        self, interaction: discord.Interaction, pack: app_commands.Range[str, 1, 64] | None = None
    ) -> None:
        await show_reports(self.bot, interaction, pack)

    @app_commands.command(name="show", description="Show a pack's source and counts")
    @app_commands.describe(pack="The pack id")
    async def show(self, interaction: discord.Interaction, pack: app_commands.Range[str, 1, 64]) -> None:
        catalog = await self.bot.library.catalog_for(interaction.guild_id)
        found = catalog.pack(pack)
        summary = catalog.summary(pack)
        if found is None or summary is None:
            await interaction.response.send_message(clip(f"No pack `{pack}` here.", MESSAGE_CONTENT), ephemeral=True)
            return
        embed = discord.Embed(title=clip(found.title, 256), description=clip(found.description or "", 4096) or None)
        embed.colour = COLOUR
        embed.add_field(name="Id", value=f"`{found.id}`")
        embed.add_field(name="Source", value=clip(found.source.title, 1024))
        embed.add_field(
            name="Contents",
            value=f"{summary.entities} entities, {summary.facts} facts, {summary.questions} questions "
            f"({summary.choice_questions} multiple choice)",
            inline=False,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def _private(interaction: discord.Interaction, message: str) -> None:
    await interaction.followup.send(clip(message, MESSAGE_CONTENT), ephemeral=True, allowed_mentions=NO_MENTIONS)


def escape(text: str) -> str:
    return discord.utils.escape_markdown(text, as_needed=True)


class PacksCog(commands.Cog):
    def __init__(self, bot: CrateDigger):
        self.bot = bot
        self.commands_group = PackCommands(bot)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.commands_group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.commands_group.name)
