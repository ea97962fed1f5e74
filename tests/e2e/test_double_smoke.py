"""Smoke tests for the Discord double, using a tiny bot defined here (not the project's bot).

They prove that an unmodified ``commands.Bot`` can log in, sync, and handle slash commands,
buttons, autocomplete, modals and text messages over real loopback sockets -- so a failure
in the project's end-to-end tests points at the project, not at the double.
"""

from __future__ import annotations

import asyncio
import io
import time

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_double import DiscordDouble, User, connected_bot
from tests.discord_double.fixtures import discord_double  # noqa: F401  (pytest fixture)

GENRES = ["boom bap", "breakbeat", "disco", "drum and bass", "funk", "soul"]
NO_PINGS = discord.AllowedMentions.none()
NO_PINGS_JSON = NO_PINGS.to_dict()  # {"parse": []}


class PongView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.clicked_by: list[int] = []

    @discord.ui.button(label="Again", style=discord.ButtonStyle.primary, custom_id="smoke:again")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicked_by.append(interaction.user.id)
        button.disabled = True
        await interaction.response.edit_message(content=f"pong again for {interaction.user.mention}", view=self)


class AnswerModal(discord.ui.Modal, title="Your answer"):
    answer = discord.ui.TextInput(label="Which record?", custom_id="smoke:answer")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you said {self.answer.value}", ephemeral=True)


def make_bot(double: DiscordDouble, seen: list[discord.Message]) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, allowed_mentions=NO_PINGS)
    guild = discord.Object(double.guild.id)

    @bot.tree.command(name="ping", description="Replies pong", guild=guild)
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", view=PongView())

    @bot.tree.command(name="genre", description="Pick a genre", guild=guild)
    @app_commands.describe(name="Genre name")
    async def genre(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"genre: {name}")

    @genre.autocomplete("name")
    async def genre_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=g, value=g) for g in GENRES if current.lower() in g][:25]

    @bot.tree.command(name="answer", description="Answer in a modal", guild=guild)
    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(AnswerModal())

    @bot.tree.command(name="admin", description="Moderators only", guild=guild)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok, boss", ephemeral=True)

    @admin.error
    async def admin_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await interaction.response.send_message("moderators only", ephemeral=True)

    @bot.command(name="hello")
    async def hello(ctx: commands.Context) -> None:
        await ctx.reply(f"hello {ctx.author.mention}")

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            seen.append(message)
        await bot.process_commands(message)

    return bot


async def test_slash_button_message_autocomplete(discord_double: DiscordDouble) -> None:  # noqa: F811
    double = discord_double
    seen: list[discord.Message] = []
    started = time.monotonic()
    async with connected_bot(lambda: make_bot(double, seen), double) as bot:
        # Sync goes over REST like in production.
        synced = await bot.tree.sync(guild=discord.Object(double.guild.id))
        assert {c.name for c in synced} == {"ping", "genre", "answer", "admin"}
        put = await double.wait_for_request("PUT", rf"/applications/{double.application_id}/guilds/\d+/commands")
        assert put.status == 200 and {c["name"] for c in put.json} == {"ping", "genre", "answer", "admin"}

        ann = User.member("ann")
        trivia = double.channel("trivia")

        # Slash command -> type 4 callback with a button view.
        rec = await double.slash(double.guild.id, trivia.id, ann, "ping")
        assert rec.response_type == 4
        assert rec.content == "pong"
        assert rec.message is not None and rec.message.custom_ids == ["smoke:again"]
        assert rec.allowed_mentions == NO_PINGS_JSON
        assert rec.latency is not None and rec.latency < 3

        # Button -> type 7 callback editing the same message, mention not pinging.
        bob = User.member("bob")
        click = await double.click(rec.message, "smoke:again", bob)
        assert click.response_type == 7
        assert click.message is rec.message
        assert rec.message.content == f"pong again for <@{bob.id}>"
        assert rec.message.component("smoke:again")["disabled"] is True
        assert not rec.message.pings
        with pytest.raises(ValueError, match="disabled"):
            await double.click(rec.message, "smoke:again", bob)

        # Text message -> on_message sees the content (message content intent on) and the
        # prefix command replies without pinging.
        sent = await double.send_message(double.guild.id, trivia.id, ann, "!hello")
        assert sent.delivered
        reply = await double.wait_for_message(lambda m: m.source == "channel", channel=trivia)
        assert reply.content == f"hello <@{ann.id}>"
        assert reply.reply_to_id == sent.id
        assert not reply.pings
        assert [m.content for m in seen] == ["!hello"]
        assert seen[0].author.id == ann.id

        # Autocomplete -> type 8 choices.
        choices = await double.autocomplete(double.guild.id, trivia.id, ann, "genre", focused="name", value="b")
        assert [c["value"] for c in choices] == ["boom bap", "breakbeat", "drum and bass"]

        # Defer then followup: the followup replaces the "thinking..." message.
        deferred = await double.slash(double.guild.id, trivia.id, ann, "genre", options={"name": "funk"})
        assert deferred.response_type == 5
        await double.wait_for(lambda: deferred.message.content == "genre: funk")
        assert not deferred.message.loading

        # Modal -> submit -> ephemeral reply.
        opened = await double.slash(double.guild.id, trivia.id, ann, "answer")
        assert opened.modal["title"] == "Your answer"
        submitted = await double.submit_modal(opened, ann, {"smoke:answer": "Amen, Brother"})
        assert submitted.content == "you said Amen, Brother"
        assert submitted.ephemeral

        # Permissions: Manage Guild (0x20) distinguishes moderators.
        denied = await double.slash(double.guild.id, trivia.id, ann, "admin")
        assert denied.content == "moderators only"
        allowed = await double.slash(double.guild.id, trivia.id, User.moderator("mo"), "admin")
        assert allowed.content == "ok, boss"

        # Every message write asked Discord not to ping anyone.
        writes = double.message_writes()
        assert writes and all(w.allowed_mentions == NO_PINGS_JSON for w in writes)
        assert double.unhandled == []

    # Login, sync and every round trip above should stay well inside a few seconds.
    assert time.monotonic() - started < 5


async def test_discord_rules_are_enforced(discord_double: DiscordDouble) -> None:  # noqa: F811
    """The double refuses what Discord refuses, so those bugs surface in tests."""
    double = discord_double
    double.interaction_deadline = 0.2

    intents = discord.Intents.default()  # no message content intent
    bot = commands.Bot(command_prefix="!", intents=intents)
    seen: list[str] = []

    @bot.tree.command(name="slow", description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        await interaction.response.send_message("too late")

    @bot.tree.command(name="empty", description="Sends nothing")
    async def empty(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("")

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            seen.append(message.content)

    async with connected_bot(bot, double):
        await bot.tree.sync()
        ann = User.member("ann")
        with pytest.raises(AssertionError, match="10062"):
            await double.slash(double.guild.id, None, ann, "slow")
        with pytest.raises(AssertionError, match="50006"):
            await double.slash(double.guild.id, None, ann, "empty")
        with pytest.raises(ValueError, match="no option"):
            await double.slash(double.guild.id, None, ann, "empty", options={"nope": 1})

        # Without the privileged intent the bot gets the event but not the text.
        await double.send_message(double.guild.id, None, ann, "secret")
        await double.wait_for(lambda: bool(seen))
        assert seen == [""]

        # A resume through resume_gateway_url keeps the session.
        await double.request_reconnect()
        assert double.resume_count == 1 and double.identify_count == 1
        await double.send_message(double.guild.id, None, ann, f"<@{double.bot_user.id}> hi")
        await double.wait_for(lambda: len(seen) == 2)
        assert seen[1] == f"<@{double.bot_user.id}> hi"  # mentioning the bot reveals content


async def test_files_options_groups_and_dms(discord_double: DiscordDouble) -> None:  # noqa: F811
    """Attachments both ways, resolved users, subcommand groups, DMs, edits and role checks."""
    double = discord_double
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True  # exercises member lists in GUILD_CREATE
    bot = commands.Bot(command_prefix="!", intents=intents, allowed_mentions=NO_PINGS)
    quiz = app_commands.Group(name="quiz", description="Quiz admin")
    pack = app_commands.Group(name="pack", description="Question packs", parent=quiz)

    @pack.command(name="import", description="Import a pack")
    async def import_pack(interaction: discord.Interaction, file: discord.Attachment, owner: discord.Member) -> None:
        text = (await file.read()).decode()
        await interaction.response.defer(ephemeral=True)
        await interaction.edit_original_response(content=f"{len(text.splitlines())} questions for {owner.display_name}")
        original = await interaction.original_response()
        await interaction.followup.send(
            "report", file=discord.File(io.BytesIO(f"id={original.id}".encode()), "report.txt"), ephemeral=True
        )

    bot.tree.add_command(quiz)

    @bot.command(name="reset")
    @commands.has_permissions(manage_guild=True)
    async def reset(ctx: commands.Context) -> None:
        msg = await ctx.send("resetting...")
        await msg.edit(content="reset done")
        await msg.add_reaction("✅")

    @reset.error
    async def reset_error(ctx: commands.Context, error: commands.CommandError) -> None:
        await ctx.send("no permission")

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.guild is None and not message.author.bot:
            await message.channel.send(f"dm echo: {message.content}")
        await bot.process_commands(message)

    async with connected_bot(bot, double):
        await bot.tree.sync()  # global: interactions carry no data.guild_id
        guild = bot.get_guild(double.guild.id)
        assert guild is not None and guild.member_count == len(guild.members)
        assert guild.me.guild_permissions.manage_messages

        ann, mo = User.member("ann"), User.moderator("mo")
        upload = double.upload("pack.txt", "q1\nq2\nq3\n")
        rec = await double.slash(double.guild.id, None, mo, "quiz pack import", options={"file": upload, "owner": ann})
        assert rec.response_type == 5 and rec.ephemeral
        await double.wait_for(lambda: len(rec.followups) == 1)
        assert rec.content == "3 questions for ann"
        assert rec.edits[0]["content"] == "3 questions for ann"
        report = rec.followups[0]
        assert report.ephemeral and report.files[0].filename == "report.txt"
        assert report.files[0].text == f"id={rec.message.id}"
        with pytest.raises(ValueError, match="missing required"):
            await double.slash(double.guild.id, None, mo, "quiz pack import", options={"file": upload})

        # Role-based (text command) permission checks follow User.permissions too.
        general = double.channel("general")
        await double.send_message(double.guild.id, general, ann, "!reset")
        denied = await double.wait_for_message(lambda m: m.source == "channel", channel=general)
        assert denied.content == "no permission"
        await double.send_message(double.guild.id, general, mo, "!reset")
        done = await double.wait_for_message(lambda m: m.reactions == ["✅"], after=denied)
        assert done.content == "reset done" and done.edited and done.history[0]["content"] == "resetting..."

        # DMs: guild_id=None.
        await double.send_message(None, None, ann, "psst")
        echo = await double.wait_for_message(lambda m: m.guild_id is None)
        assert echo.content == "dm echo: psst"
