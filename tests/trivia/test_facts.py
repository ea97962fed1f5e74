"""Fact look-ups over the seed pack: forgiving names, autocomplete, and relations read both ways."""

from __future__ import annotations

import pytest

from bot.trivia.facts import AUTOCOMPLETE_LIMIT, FactIndex
from bot.trivia.model import Pack
from bot.trivia.packs import BUILTIN_PACKS_DIR, load_pack_file, normalise_quote_text, parse_pack

SEED = BUILTIN_PACKS_DIR / "kanye-stronger-akira.yaml"


@pytest.fixture(scope="module")
def seed() -> Pack:
    return load_pack_file(SEED)


@pytest.fixture(scope="module")
def index(seed: Pack) -> FactIndex:
    return FactIndex([seed])


def test_every_entity_is_indexed(seed: Pack, index: FactIndex) -> None:
    assert len(index) == len(seed.entities)
    assert {entity.id for entity in index.entities()} == {entity.id for entity in seed.entities}
    assert index.entity("akira") is not None
    assert index.entity("nobody") is None


@pytest.mark.parametrize(
    ("typed", "entity_id"),
    [
        ("Akira", "akira"),
        ("Katsuhiro Otomo", "katsuhiro-otomo"),
        ("Harder, Better, Faster, Stronger", "harder-better-faster-stronger"),
        ("the Stronger video", "stronger-video"),
        # aliases
        ("Tetsuo", "tetsuo-shima"),
        ("L.A.", "los-angeles"),
        ("LA", "los-angeles"),
        ("Ye", "kanye-west"),
        ("Otomo", "katsuhiro-otomo"),
        ("harder better faster stronger", "harder-better-faster-stronger"),
        # case, accents, stray spaces and punctuation
        ("AKIRA", "akira"),
        ("ákíra", "akira"),
        ("AKÍRA", "akira"),
        ("  daft   PUNK ", "daft-punk"),
        ("Tōkyō", "tokyo"),
        ("Harder Better Faster Stronger!", "harder-better-faster-stronger"),
        # small typos
        ("akria", "akira"),
        ("Akiraa", "akira"),
        ("Katsuhiro Otmo", "katsuhiro-otomo"),
        ("daft pnuk", "daft-punk"),
        ("Tokio", "tokyo"),
        ("hype wiliams", "hype-williams"),
        ("Takashi Murakmi", "takashi-murakami"),
    ],
)
def test_find(index: FactIndex, typed: str, entity_id: str) -> None:
    found = index.find(typed)
    assert found is not None, typed
    assert found.id == entity_id


@pytest.mark.parametrize("typed", ["", "   ", "...", "nonsense-zzz", "daft monk", "xyz", "la la land", "a" * 5000])
def test_find_misses(index: FactIndex, typed: str) -> None:
    assert index.find(typed) is None


@pytest.mark.parametrize(
    ("typed", "entity_id"),
    [
        ("akria film", "akira"),
        ("Katsu Otomo San", "katsuhiro-otomo"),
        ("graduate", "graduation"),
        ("steely", "steely-dan"),
    ],
)
def test_suggest_offers_the_near_miss(index: FactIndex, typed: str, entity_id: str) -> None:
    assert index.find(typed) is None
    suggestions = index.suggest(typed)
    assert suggestions and suggestions[0].id == entity_id
    assert len(suggestions) <= 5
    assert len({entity.id for entity in suggestions}) == len(suggestions)


@pytest.mark.parametrize("typed", ["", "zzzzqqq"])
def test_suggest_offers_nothing_for_nothing_alike(index: FactIndex, typed: str) -> None:
    assert index.suggest(typed) == []


@pytest.mark.parametrize("typed", ["ak", "Ak", "AK", "ák", "aki", "akira"])
def test_autocomplete_puts_the_prefix_match_first(index: FactIndex, typed: str) -> None:
    results = index.autocomplete(typed)
    assert results[0].id == "akira"
    assert len(results) <= AUTOCOMPLETE_LIMIT == 25


def test_autocomplete_orders_prefixes_before_inner_matches(index: FactIndex) -> None:
    names = [entity.name for entity in index.autocomplete("st")]
    assert names[:3] == ["Steely Dan", "Stronger", 'the "Stronger" music video']
    assert "Harder, Better, Faster, Stronger" in names[3:]


def test_autocomplete_finds_by_alias(index: FactIndex) -> None:
    assert index.autocomplete("tets")[0].id == "tetsuo-shima"
    assert index.autocomplete("l.a")[0].id in {"labi-siffre", "los-angeles"}
    assert "los-angeles" in {entity.id for entity in index.autocomplete("l.a")}


def test_autocomplete_with_nothing_typed_lists_names_alphabetically(index: FactIndex) -> None:
    results = index.autocomplete("")
    assert 0 < len(results) <= 25
    assert len(results) == min(25, len(index))
    assert [entity.name for entity in results] == sorted(entity.name for entity in results)


def test_autocomplete_never_repeats_an_entity(index: FactIndex) -> None:
    for typed in ("a", "s", "k", "stronger", "la"):
        ids = [entity.id for entity in index.autocomplete(typed)]
        assert len(ids) == len(set(ids)), typed


def test_autocomplete_is_capped_at_25() -> None:
    entities = "\n".join(f"  - {{id: band-{n:02}, name: Band {n:02}, kind: musician}}" for n in range(40))
    pack = parse_pack(
        f"""\
id: bands
title: Bands
source: {{title: Bands, text: Band 00 collaborated with Band 01.}}
entities:
{entities}
facts:
  - {{subject: band-00, relation: collaborated_with, object: band-01, quote: Band 00 collaborated with Band 01}}
""",
        "bands.yaml",
    )
    index = FactIndex([pack])
    assert len(index) == 40
    assert len(index.autocomplete("")) == 25
    assert [entity.name for entity in index.autocomplete("")][:2] == ["Band 00", "Band 01"]
    assert len(index.autocomplete("band")) == 25
    assert len(index.autocomplete("b", limit=5)) == 5
    assert index.autocomplete("band 3")[0].name == "Band 30"


def test_facts_about_akira_reads_both_ways(seed: Pack, index: FactIndex) -> None:
    akira = index.find("akira")
    assert akira is not None
    about = index.facts_about(akira)
    assert about.entity == akira
    assert about.pack_ids == (seed.id,)
    links = {(link.label, link.other_text, link.outgoing) for link in about.links}
    assert {
        ("inspired", 'the "Stronger" music video', False),
        ("by", "Katsuhiro Otomo", True),
        ("released in", "1988", True),
        ("has the character", "Tetsuo Shima", False),
        ("a favourite of", "Kanye West", True),
        ("influenced", "Kanye West", False),
        ("likened to it by", "Kanye West", False),
    } <= links
    article = normalise_quote_text(seed.source.text)
    for link in about.links:
        assert link.fact.quote and normalise_quote_text(link.fact.quote) in article
        assert link.source_title == seed.source.title
        assert akira.id in (link.fact.subject, link.fact.object)
        assert (link.other is None) == (link.label == "released in")
    via = {link.fact.via for link in about.links if link.other_text == "Kanye West"}
    assert {"IndieWire", "SOHH.com"} <= via


def test_every_fact_is_seen_from_both_ends(seed: Pack, index: FactIndex) -> None:
    for fact in seed.facts:
        subject = index.entity(fact.subject)
        assert subject is not None
        assert fact in [link.fact for link in index.facts_about(subject).links if link.outgoing]
        obj = index.entity(fact.object)
        if obj is not None:
            assert fact in [link.fact for link in index.facts_about(obj).links if not link.outgoing]


def test_facts_about_daft_punk_reach_stronger_through_their_song(index: FactIndex) -> None:
    daft_punk = index.find("daft punk")
    assert daft_punk is not None
    about = index.facts_about(daft_punk)
    through = {(work.name, link.label, link.other_text) for work, link in about.through}
    assert ("Harder, Better, Faster, Stronger", "sampled by", "Stronger") in through
    assert all(link.other is None or link.other.id != daft_punk.id for _, link in about.through)


def test_facts_about_an_entity_with_no_works_has_nothing_through(index: FactIndex) -> None:
    tokyo = index.find("tokyo")
    assert tokyo is not None
    about = index.facts_about(tokyo)
    assert about.through == ()
    assert [(link.label, link.other_text) for link in about.links] == [
        ("filming location of", 'the "Stronger" music video')
    ]


SECOND = """\
id: akira-more
title: More Akira
source:
  title: Another article
  text: Akira is a 1988 anime film. Its soundtrack was by Geinoh Yamashirogumi.
entities:
  - {id: akira, name: Akira (1988 film), kind: film, aliases: [AKIRA the movie]}
  - {id: geinoh-yamashirogumi, name: Geinoh Yamashirogumi, kind: musician}
facts:
  - subject: akira
    relation: score_by
    object: geinoh-yamashirogumi
    quote: Its soundtrack was by Geinoh Yamashirogumi
"""


def test_two_packs_sharing_an_entity_id_merge(seed: Pack) -> None:
    second = parse_pack(SECOND, "second.yaml")
    index = FactIndex([seed, second])
    assert len(index) == len(seed.entities) + 1
    akira = index.find("akira")
    assert akira is not None and akira.id == "akira"
    assert akira.name == "Akira"  # the first definition is the one shown
    assert index.find("AKIRA the movie") == akira  # but the second pack's names still find it
    about = index.facts_about(akira)
    assert about.pack_ids == (seed.id, second.id)
    others = {link.other_text: link.pack_id for link in about.links}
    assert others["Geinoh Yamashirogumi"] == second.id
    assert others["Katsuhiro Otomo"] == seed.id
    geinoh = index.find("geinoh yamashirogumi")
    assert geinoh is not None
    # links show the merged entity as the index shows it, whichever pack stated the fact
    (link,) = index.facts_about(geinoh).links
    assert link.other == akira
    assert link.other_text == "Akira"
