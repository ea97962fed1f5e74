"""/trivia forget-me and /trivia reset end to end: each asks first, privately; reset is the server owner's alone."""

from __future__ import annotations

from bot.cogs import privacy
from bot.storage.base import ScoredAnswer
from tests.discord_double import DiscordDouble, User, connected_bot
from tests.e2e.test_bot import (
    assert_nothing_pings,
    builtin_catalog,  # noqa: F401  (pytest fixture)
    make_bot,
    store_path,  # noqa: F401  (pytest fixture)
    sync,
)

OTHER_GUILD = 999_000_111


async def seed(store, guild_id: int, user: User, points: int) -> None:
    game = await store.start_game(guild_id, 1, "amen-break", "choices", 1_000.0)
    await store.record_answers(game, guild_id, [ScoredAnswer(user.id, user.name, "seeded", True, points, 1_000.0)])
    await store.finish_game(game, guild_id, 1_000.0, [], stopped=False)  # the channel runs one game at a time


async def test_a_player_forgets_themself_here_after_confirming(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, bob = User.member("ann"), User.member("bob")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        guild = double.guild.id
        for guild_id, user, points in ((guild, ann, 30), (guild, bob, 20), (OTHER_GUILD, ann, 10)):
            await seed(bot.store, guild_id, user, points)

        asking = await double.slash(double.guild, channel, ann, "trivia", subcommand="forget-me")
        assert asking.ephemeral and "Remove everything Crate Digger keeps about you in this server?" in asking.content
        cancelled = await double.click_button(asking.message, "Cancel", ann)
        assert cancelled.source_message.content == "Nothing changed."
        assert await bot.store.player_stats(guild, ann.id) is not None

        asking = await double.slash(double.guild, channel, ann, "trivia", subcommand="forget-me")
        await double.click_button(asking.message, "Forget me", ann)
        done = await double.wait_for(lambda: "Done:" in asking.message.content and asking.message, what="done")
        assert "2 records about you in this server deleted" in done.content and done.components == []
        assert await bot.store.player_stats(guild, ann.id) is None
        assert [row.user_id for row in await bot.store.leaderboard(guild)] == [bob.id]
        # Only this server: ann's points elsewhere stay.
        assert [row.user_id for row in await bot.store.leaderboard(OTHER_GUILD)] == [ann.id]

        again = await double.slash(double.guild, channel, ann, "trivia", subcommand="forget-me")
        await double.click_button(again.message, "Forget me", ann)
        await double.wait_for(lambda: "There was nothing stored about you" in again.message.content, what="nothing")
    assert_nothing_pings(double)


async def test_only_the_server_owner_resets_the_leaderboard_after_confirming(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
):
    double = discord_double
    channel = double.channel("trivia")
    ann, admin, owner = User.member("ann"), User.admin("ada"), double.owner
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        guild = double.guild.id
        await seed(bot.store, guild, ann, 30)
        await bot.store.save_pack(guild, "uploaded", "id: uploaded\n", admin.id, 900.0)

        for refused_user in (ann, admin):  # Manage Server (even Administrator) is not enough
            refused = await double.slash(double.guild, channel, refused_user, "trivia", subcommand="reset")
            assert refused.ephemeral and refused.content == "Only the server owner can reset the leaderboard."
        assert len(await bot.store.leaderboard(guild)) == 1

        asking = await double.slash(double.guild, channel, owner, "trivia", subcommand="reset")
        assert asking.ephemeral and "Reset this server's leaderboard?" in asking.content
        assert "Uploaded packs, disabled questions, reports" in asking.content
        await double.click_button(asking.message, "Reset the leaderboard", owner)
        announced = await double.wait_for(
            lambda: next((m for m in double.messages if "The server owner reset" in m.text), None), what="announcement"
        )
        assert not announced.ephemeral and announced.channel_id == channel.id
        await double.wait_for(lambda: "The leaderboard is reset" in asking.message.content, what="confirmation")
        assert await bot.store.leaderboard(guild) == []
        assert await bot.store.get_pack(guild, "uploaded") is not None
        board = await double.slash(double.guild, channel, ann, "trivia", subcommand="leaderboard")
        assert "Nobody has scored here yet" in board.text
    assert_nothing_pings(double)


async def test_an_unanswered_confirmation_expires_and_changes_nothing(
    discord_double: DiscordDouble,
    store_path,  # noqa: F811
    builtin_catalog,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(privacy, "CONFIRM_SECONDS", 0.3)
    double = discord_double
    channel = double.channel("trivia")
    ann = User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await seed(bot.store, double.guild.id, ann, 30)
        asking = await double.slash(double.guild, channel, ann, "trivia", subcommand="forget-me")
        expired = await double.wait_for(
            lambda: "Not confirmed in time" in asking.message.content and asking.message, what="expiry"
        )
        assert expired.content == "Not confirmed in time, so nothing changed." and expired.components == []
        assert await bot.store.player_stats(double.guild.id, ann.id) is not None
