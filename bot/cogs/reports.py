"""Question reports on Discord: the Report button under a revealed answer, the reason and comment a
player gives, and the moderators' listing with its Disable and Dismiss buttons.

Every button and select here is a persistent ``DynamicItem`` (registered in ``setup_hook``): its
``custom_id`` carries what a press needs, so it still works after a restart. The rules (reasons,
rate limit, grouping) live in ``bot/trivia/reports.py``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from bot.client import send_private
from bot.cogs.permissions import MODERATOR_PERMISSION, is_moderator
from bot.cogs.render import COLOUR, EMBED_DESCRIPTION, add_field_within_limits, clip
from bot.trivia.model import Question
from bot.trivia.reports import (
    MAX_COMMENT,
    REPORT_LIMIT,
    ReportedQuestion,
    ReportReason,
    by_question,
    clean_comment,
    find_by_ref,
    question_ref,
)

if TYPE_CHECKING:
    from bot.client import CrateDigger

log = logging.getLogger(__name__)

PACK_ID = r"[a-z0-9-]{1,64}"
REF = r"[0-9a-f]{16}"
# How many reported questions one listing shows: each takes a row of buttons, and a message has five.
LISTED_QUESTIONS = 5


def report_button(question: Question, pack_id: str | None) -> ReportButton | None:
    """The Report button for a revealed answer; None for a question of no known pack (nothing to find it by)."""
    pack_id = question.pack_id or pack_id
    if not pack_id or re.fullmatch(PACK_ID, pack_id) is None:
        return None
    return ReportButton(pack_id, question_ref(question.id))


async def _find_question(bot: CrateDigger, guild_id: int, pack_id: str, ref: str) -> Question | None:
    catalog = await bot.library.catalog_for(guild_id)
    return find_by_ref(catalog.questions(pack_id), ref)


async def _reportable_question(
    bot: CrateDigger, interaction: discord.Interaction, pack_id: str, ref: str
) -> Question | None:
    """The question a press or a form is about, or None after telling the player privately why not:
    the pressed button and the submitted form check the same two things, so they say the same."""
    assert interaction.guild_id is not None
    question = await _find_question(bot, interaction.guild_id, pack_id, ref)
    if question is None:
        await send_private(
            interaction, "That question is no longer in this server's packs, so there's nothing to report."
        )
        return None
    refusal = await _refusal(bot, interaction.guild_id, interaction.user.id)
    if refusal is not None:
        await send_private(interaction, refusal)
        return None
    return question


async def _refusal(bot: CrateDigger, guild_id: int, user_id: int) -> str | None:
    """Why this player may not report now (the rate limit), or None."""
    now = bot.wall_clock()
    earlier = await bot.store.report_times(guild_id, user_id, since=now - REPORT_LIMIT.window)
    wait = REPORT_LIMIT.wait(earlier, now)
    if wait <= 0:
        return None
    minutes = max(1, round(wait / 60))
    return (
        f"You've sent {REPORT_LIMIT.reports} reports in the last {round(REPORT_LIMIT.window / 60)} minutes; "
        f"thanks! You can send another in about {minutes} minute{'s' if minutes != 1 else ''}."
    )


class ReportButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"cd-report:(?P<pack>{PACK_ID}):(?P<ref>{REF})"
):
    def __init__(self, pack_id: str, ref: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Report", emoji="🚩", style=discord.ButtonStyle.secondary, custom_id=f"cd-report:{pack_id}:{ref}"
            )
        )
        self.pack_id = pack_id
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> ReportButton:
        return cls(match["pack"], match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: CrateDigger = interaction.client  # type: ignore[assignment]
        if interaction.guild_id is None:
            return
        # Finding the question may build the server's catalog: acknowledge within Discord's 3 seconds first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        question = await _reportable_question(bot, interaction, self.pack_id, self.ref)
        if question is None:
            return
        view = discord.ui.View(timeout=None)
        view.add_item(ReasonSelect(self.pack_id, self.ref))
        await send_private(
            interaction,
            clip(f"Report this question to the moderators?\n> {question.prompt}\nWhat is wrong with it?", 2000),
            view=view,
        )


class ReasonSelect(
    discord.ui.DynamicItem[discord.ui.Select], template=rf"cd-report-why:(?P<pack>{PACK_ID}):(?P<ref>{REF})"
):
    def __init__(self, pack_id: str, ref: str) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"cd-report-why:{pack_id}:{ref}",
                placeholder="Pick a reason",
                options=[discord.SelectOption(label=reason.label, value=reason.value) for reason in ReportReason],
            )
        )
        self.pack_id = pack_id
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> ReasonSelect:
        return cls(match["pack"], match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        values = self.item.values
        try:
            reason = ReportReason(values[0]) if values else None
        except ValueError:
            reason = None
        if reason is None:
            await send_private(interaction, "Pick one of the reasons in the list.")
            return
        # A modal must be the reply itself, so nothing slow happens before it.
        await interaction.response.send_modal(ReportModal(self.pack_id, self.ref, reason))


class ReportModal(discord.ui.Modal):
    def __init__(self, pack_id: str, ref: str, reason: ReportReason) -> None:
        super().__init__(title=clip(f"Report: {reason.label}", 45))
        self.pack_id = pack_id
        self.ref = ref
        self.reason = reason
        self.comment: discord.ui.TextInput = discord.ui.TextInput(
            label="Anything to add? (optional)",
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_COMMENT,
            placeholder="For example: the article says 2018, not 2008.",
        )
        self.add_item(self.comment)

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: CrateDigger = interaction.client  # type: ignore[assignment]
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        question = await _reportable_question(bot, interaction, self.pack_id, self.ref)
        if question is None:
            return
        stored = await bot.store.add_report(
            guild_id=interaction.guild_id,
            pack_id=self.pack_id,
            question_id=question.id,
            prompt=question.prompt,
            user_id=interaction.user.id,
            reason=self.reason,
            comment=clean_comment(self.comment.value),
            reported_at=bot.wall_clock(),
        )
        if stored is None:
            await send_private(interaction, "You've already reported this question; the moderators will see it.")
            return
        log.info("guild %s: question %s reported (%s)", interaction.guild_id, question.id, self.reason.value)
        await send_private(interaction, f"Thanks! Reported as “{self.reason.label}”. The moderators will take a look.")

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        log.error("a question report failed: %s", error, exc_info=error)
        await send_private(interaction, "Something went wrong on our side; the error has been logged.")


class ModerationButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"cd-reports:(?P<action>disable|dismiss):(?P<report>[0-9]+)"
):
    """Disable a reported question for this server, or dismiss its reports; ``report`` is its latest report."""

    def __init__(self, action: str, report_id: int, number: int = 0) -> None:
        disable = action == "disable"
        super().__init__(
            discord.ui.Button(
                label=f"{'Disable' if disable else 'Dismiss'} #{number}",
                style=discord.ButtonStyle.danger if disable else discord.ButtonStyle.secondary,
                custom_id=f"cd-reports:{action}:{report_id}",
            )
        )
        self.action = action
        self.report_id = report_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> ModerationButton:
        return cls(match["action"], int(match["report"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: CrateDigger = interaction.client  # type: ignore[assignment]
        if interaction.guild_id is None:
            return
        if not is_moderator(interaction):
            await send_private(interaction, f"Only moderators ({MODERATOR_PERMISSION} permission) can do that.")
            return
        report = await bot.store.get_report(interaction.guild_id, self.report_id)
        if report is None:
            await send_private(interaction, "That report isn't in this server's records.")
            return
        now = bot.wall_clock()
        prompt = clip(discord.utils.escape_markdown(report.prompt), 300)
        if self.action == "disable":
            await bot.store.disable_question(
                interaction.guild_id, report.question_id, report.pack_id, interaction.user.id, now
            )
            message = f"Disabled: it won't be asked in this server again.\n> {prompt}"
        else:
            resolved = await bot.store.dismiss_reports(
                interaction.guild_id, report.question_id, interaction.user.id, now
            )
            message = (
                f"Dismissed {resolved} report{'s' if resolved != 1 else ''}; the question stays in play.\n> {prompt}"
            )
        await send_private(interaction, message)


def listing_embed(listing: list[ReportedQuestion], pack_id: str | None) -> discord.Embed:
    where = f"`{pack_id}`" if pack_id else "all packs"
    total = sum(entry.count for entry in listing)
    embed = discord.Embed(
        title="Question reports",
        description=clip(
            f"{total} open report{'s' if total != 1 else ''} of {len(listing)} question"
            f"{'s' if len(listing) != 1 else ''} in {where}, most recently reported first.",
            EMBED_DESCRIPTION,
        ),
        colour=COLOUR,
    )
    for number, entry in enumerate(listing[:LISTED_QUESTIONS], start=1):
        reasons = ", ".join(f"{reason.label} ×{count}" for reason, count in entry.reasons)
        lines = [
            f"> {discord.utils.escape_markdown(entry.prompt)}",
            f"{reasons} · latest <t:{int(entry.latest.reported_at)}:R>",
        ]
        lines += [f"“{discord.utils.escape_markdown(comment)}”" for comment in entry.comments[:3]]
        name = f"#{number} · {entry.count} report{'s' if entry.count != 1 else ''} · {entry.pack_id}"
        add_field_within_limits(embed, name, "\n".join(lines))
    if len(listing) > LISTED_QUESTIONS:
        embed.set_footer(text=f"…and {len(listing) - LISTED_QUESTIONS} more: disable or dismiss these to see them.")
    return embed


async def show_reports(bot: CrateDigger, interaction: discord.Interaction, pack_id: str | None) -> None:
    """``/pack reports``: the open reports, per question, with a Disable and a Dismiss button each."""
    assert interaction.guild_id is not None
    listing = by_question(await bot.store.open_reports(interaction.guild_id, pack_id))
    if not listing:
        where = f" of `{pack_id}`" if pack_id else ""
        await send_private(interaction, clip(f"No open reports{where}.", 2000))
        return
    view = discord.ui.View(timeout=None)
    for number, entry in enumerate(listing[:LISTED_QUESTIONS], start=1):
        for action in ("disable", "dismiss"):
            item = ModerationButton(action, entry.latest.id, number)
            item.row = number - 1
            view.add_item(item)
    await send_private(interaction, embed=listing_embed(listing, pack_id), view=view)


# Registered in setup_hook, so their presses are answered after a restart too.
PERSISTENT_ITEMS = (ReportButton, ReasonSelect, ModerationButton)
