"""`/pack draft` end to end: draft from an uploaded article, review it in Discord, save it, play it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cogs import packs as packs_cog
from bot.trivia.packs import parse_pack
from tests.discord_double import User, connected_bot
from tests.e2e.test_bot import assert_nothing_pings, make_bot, question_message, result_message, start_trivia, sync

ARTICLE = Path(__file__).parents[1] / "authoring" / "articles" / "review.txt"
NO_PINGS = {"parse": []}


def review_message(double, after_id: int = 0):
    return double.wait_for(
        lambda: next(
            (m for m in double.messages if m.id > after_id and m.ephemeral and "draft:keep" in m.custom_ids), None
        ),
        what="the draft review message",
    )


def kept_marks(message) -> list[str]:
    return [field["name"][:1] for field in message.embeds[0]["fields"]]


@pytest.fixture
def builtin_catalog():
    from bot.trivia.catalog import Catalog
    from bot.trivia.packs import BUILTIN_PACKS_DIR

    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "scores.sqlite3"


async def test_draft_review_keep_drop_correct_save_and_play(discord_double, store_path, builtin_catalog):
    double = discord_double
    channel = double.channel("trivia")
    mo, ann = User.moderator("mo"), User.member("ann")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        article = double.upload("review.txt", ARTICLE.read_bytes())

        refused = await double.slash(double.guild, channel, ann, "pack", subcommand="draft", options={"file": article})
        assert refused.ephemeral and "Manage Server" in refused.content

        await double.slash(
            double.guild, channel, mo, "pack", subcommand="draft", options={"file": article, "pack_id": "crazy-review"}
        )
        review = await review_message(double)
        summary = next(m for m in double.messages if m.ephemeral and m.files and m.id < review.id)
        assert "10 facts" in summary.content and "Ray LaMontagne later covered" in summary.content
        assert summary.files[0].filename == "crazy-review.yaml"
        assert len(parse_pack(summary.files[0].text, "draft.yaml").facts) == 10  # the attachment is a valid pack
        assert review.ephemeral and "Page 1 of 2" in review.embeds[0]["description"]
        assert kept_marks(review) == ["✅"] * 5
        assert await bot.store.get_pack(double.guild.id, "crazy-review") is None  # nothing stored before saving

        # Page 1: keep facts 1, 3 and 5; drop 2 (a release year) and 4.
        await double.click(review, "draft:keep", mo, values=["1", "3", "5"])
        assert kept_marks(double.message(review.id)) == ["✅", "❌", "✅", "❌", "✅"]
        assert "keeping 8 of 10" in double.message(review.id).embeds[0]["description"]

        # Page 2: correct an entity through the form; a kind that does not exist is refused.
        await double.click_button(review, "Next ▶", mo)
        page_two = double.message(review.id)
        assert "Page 2 of 2" in page_two.embeds[0]["description"]
        video_id = next(o["value"] for o in page_two.component("draft:entity")["options"] if "video" in o["label"])
        opened = await double.click(page_two, "draft:entity", mo, values=[video_id])
        bad = await double.submit_modal(opened, mo, {"name": "the Crazy clip", "kind": "clip"})
        assert bad.ephemeral and "unknown kind 'clip'" in bad.content
        opened = await double.click(page_two, "draft:entity", mo, values=[video_id])
        await double.submit_modal(opened, mo, {"name": 'the "Crazy" video', "kind": "video"})
        assert 'the "Crazy" video' in double.message(review.id).text

        saved = await double.click_button(review, "Save pack", mo)
        await double.wait_for(lambda: "Saved" in double.message(review.id).content, what="the saved reply")
        assert double.message(review.id).components == []  # the review is over
        assert saved.ephemeral
        stored = await bot.store.get_pack(double.guild.id, "crazy-review")
        assert stored is not None
        pack = parse_pack(stored.yaml_text, "crazy-review.yaml")
        assert len(pack.facts) == 8
        triples = {(f.subject, f.relation, f.object) for f in pack.facts}
        assert ("st-elsewhere", "released_in", "2006") not in triples
        assert ("last-man-standing", "by", "gianfranco-reverberi") not in triples
        assert any(entity.name == 'the "Crazy" video' for entity in pack.entities)

        started = await start_trivia(double, channel, ann, {"pack": "crazy-review", "questions": 1, "hints": False})
        assert "started a game" in started.content
        asked = await question_message(double, channel, 1)
        await double.click(asked, asked.buttons[0]["custom_id"], ann)
        result = await result_message(double, channel, 1)
        assert "The answer:" in result.embeds[0]["title"]
    assert_nothing_pings(double)


async def test_a_review_left_alone_expires_and_stores_nothing(
    discord_double,
    store_path,
    builtin_catalog,
    monkeypatch,
):
    monkeypatch.setattr(packs_cog, "REVIEW_SECONDS", 0.5)
    double = discord_double
    channel = double.channel("trivia")
    mo = User.moderator("mo")
    async with connected_bot(make_bot(store_path, builtin_catalog), double) as bot:
        await sync(bot, double)
        article = double.upload("review.txt", ARTICLE.read_bytes())
        await double.slash(double.guild, channel, mo, "pack", subcommand="draft", options={"file": article})
        review = await review_message(double)
        await double.wait_for(lambda: "expired" in double.message(review.id).content, timeout=5, what="expiry")
        expired = double.message(review.id)
        assert all(c.get("disabled") for c in expired.walk_components() if c.get("custom_id"))
        with pytest.raises(ValueError, match="disabled"):
            await double.click_button(expired, "Save pack", mo)
        assert await bot.store.list_packs(double.guild.id) == []

        not_an_article = double.upload("notes.pdf", b"%PDF-1.4")
        refused = await double.slash(
            double.guild, channel, mo, "pack", subcommand="draft", options={"file": not_an_article}
        )
        await double.wait_for(lambda: refused.message is not None and not refused.message.loading)
        assert "expected a .txt or .html file" in refused.message.content
    assert_nothing_pings(double)


async def test_draft_from_a_url_and_the_private_address_refusal(discord_double, store_path, builtin_catalog):
    from aiohttp import web

    from bot.authoring.fetch import FetchLimits
    from bot.client import CrateDigger
    from bot.storage.sqlite import SqliteStore
    from tests.authoring.local_server import serve

    html = (Path(__file__).parents[1] / "authoring" / "articles" / "boilerplate.html").read_bytes()

    async def article(request: web.Request) -> web.Response:
        return web.Response(body=html, content_type="text/html", charset="utf-8")

    def bot_with(limits: FetchLimits | None):
        return lambda: CrateDigger(store=SqliteStore(store_path), catalog=builtin_catalog, fetch_limits=limits)

    double = discord_double
    channel = double.channel("trivia")
    mo = User.moderator("mo")
    async with serve({"/sabotage": article}) as base:
        async with connected_bot(bot_with(None), double) as bot:  # the defaults: private addresses refused
            await sync(bot, double)
            refused = await double.slash(
                double.guild, channel, mo, "pack", subcommand="draft", options={"url": f"{base}/sabotage"}
            )
            await double.wait_for(lambda: refused.message is not None and not refused.message.loading)
            assert "loopback address; only public addresses are fetched" in refused.message.content
        open_limits = FetchLimits(max_bytes=1 << 20, timeout_seconds=5, refuse_private_addresses=False)
        async with connected_bot(bot_with(open_limits), double) as bot:
            await sync(bot, double)
            last = max((m.id for m in double.messages), default=0)
            await double.slash(
                double.guild, channel, mo, "pack", subcommand="draft", options={"url": f"{base}/sabotage"}
            )
            review = await review_message(double, after_id=last)
            assert 'Review: How the Beastie Boys made "Sabotage"' in review.embeds[0]["title"]
            assert "Spike Jonze" in review.text
    assert_nothing_pings(double)
