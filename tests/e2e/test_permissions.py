"""Who is a moderator, end to end: Manage Server (as the README says), the same rule everywhere."""

from __future__ import annotations

import pytest

from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.discord_double import User, connected_bot
from tests.discord_double.models import MANAGE_GUILD, MANAGE_MESSAGES, MEMBER_PERMISSIONS, next_snowflake
from tests.e2e.test_bot import assert_nothing_pings, final_standings, make_bot, start_trivia, sync
from tests.packs_for_tests import uploaded_pack_yaml

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def builtin_catalog():
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "scores.sqlite3"


def chat_helper(name: str) -> User:
    """A member trusted to tidy the chat (Manage Messages), not to run the server."""
    return User(id=next_snowflake(), name=name, permissions=MEMBER_PERMISSIONS | MANAGE_MESSAGES)


async def test_manage_messages_alone_cannot_stop_or_skip_someone_elses_game(
    discord_double, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    ann, helper = User.member("ann"), chat_helper("helper")
    owner = User(id=next_snowflake(), name="owner", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        await start_trivia(double, channel, ann, {"questions": 5})
        for action in ("skip", "stop"):
            refused = await double.slash(double.guild, channel, helper, "trivia", subcommand=action)
            assert refused.ephemeral and "started this game or a moderator" in refused.content
        assert bot.get_cog("TriviaCog").sessions.running() == 1
        skipped = await double.slash(double.guild, channel, owner, "trivia", subcommand="skip")
        assert skipped.content == "Skipping."
        stopped = await double.slash(double.guild, channel, owner, "trivia", subcommand="stop")
        assert stopped.content == "Stopping the game."
        await final_standings(double, channel)
    assert_nothing_pings(double)


async def test_pack_commands_and_remove_autocomplete_are_for_moderators_only(
    discord_double, store_path, builtin_catalog
):
    double = discord_double
    channel = double.channel("trivia")
    mo, ann, helper = User.moderator("mo"), User.member("ann"), chat_helper("helper")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        added = await double.slash(
            double.guild,
            channel,
            mo,
            "pack",
            subcommand="add",
            options={"file": double.upload("a.yaml", uploaded_pack_yaml())},
        )
        await double.wait_for(lambda: added.message is not None and not added.message.loading)
        assert "Added" in added.message.content

        def suggestions(user: User):
            return double.autocomplete(
                double.guild, channel, user, "pack", focused="pack", value="", subcommand="remove"
            )

        assert [choice["value"] for choice in await suggestions(mo)] == ["amen-break"]
        assert await suggestions(ann) == []
        assert await suggestions(helper) == []

        refused = await double.slash(
            double.guild, channel, helper, "pack", subcommand="remove", options={"pack": "amen-break"}
        )
        assert refused.ephemeral and "Manage Server" in refused.content
        assert await bot.store.get_pack(double.guild.id, "amen-break") is not None
    assert_nothing_pings(double)
