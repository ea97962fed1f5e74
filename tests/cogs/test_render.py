"""How quotes, notes and facts are laid out in embeds: within Discord's limits, notes never cut off."""

from __future__ import annotations

from bot.cogs.facts import entity_facts_embed
from bot.cogs.render import EMBED_FIELD_VALUE, quote_with_note
from bot.trivia.facts import FactIndex
from bot.trivia.packs import BUILTIN_PACKS_DIR, load_pack_file

NOTE = "The article dates this tweet to 2008; Kanye West posted it in 2018."


def test_a_note_goes_under_its_quote() -> None:
    assert quote_with_note("he tweeted  it", "Posted in 2018.") == "> he tweeted it\nNote: Posted in 2018."
    assert quote_with_note("he tweeted it", None) == "> he tweeted it"
    assert quote_with_note(None, "Posted in 2018.") == "Note: Posted in 2018."


def test_a_long_quote_is_clipped_so_the_note_still_shows_whole() -> None:
    value = quote_with_note("word " * 1000, NOTE)
    assert len(value) <= EMBED_FIELD_VALUE
    assert value.endswith(f"\nNote: {NOTE}")


def test_fact_embed_shows_the_note_with_the_quote() -> None:
    index = FactIndex([load_pack_file(BUILTIN_PACKS_DIR / "kanye-stronger-akira.yaml")])
    akira = index.find("akira")
    assert akira is not None
    embed = entity_facts_embed(index.facts_about(akira), {})
    (field,) = [field for field in embed.fields if field.name.startswith("Likened to it by")]
    assert field.value is not None and field.value.endswith(f"Note: {NOTE}")


class _Channel:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, **kwargs):
        self.sent.append(kwargs)


async def test_the_answer_reveal_shows_the_note_under_the_quote() -> None:
    from bot.cogs.trivia import ChannelRenderer
    from bot.trivia.game import QuestionClosed
    from bot.trivia.model import Question

    question = Question(
        id="p/q",
        prompt="To which film has Kanye West likened their own work?",
        answers=("Akira",),
        quote="he even tweeted that every video was like Akira",
        source_title="An article",
        note=NOTE,
    )
    channel = _Channel()
    renderer = ChannelRenderer(None, channel, "A pack", "An article")  # type: ignore[arg-type]
    await renderer._closed(QuestionClosed(1, 1, question, "timeout", (), None))
    (sent,) = channel.sent
    fields = {field.name: field.value for field in sent["embed"].fields}
    assert fields["From the article"] == f"> he even tweeted that every video was like Akira\nNote: {NOTE}"
    assert sent["allowed_mentions"].everyone is False
