"""Pack loading and validation: the bundled packs are sound, and every kind of bad pack is refused clearly."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import yaml

from bot.trivia.model import Pack
from bot.trivia.packs import (
    BUILTIN_PACKS_DIR,
    MAX_FILE_BYTES,
    MAX_NUMBER_CHARS,
    MAX_QUOTE_HINTS,
    PackError,
    PackIssue,
    decode_pack_bytes,
    load_pack_file,
    load_packs,
    pack_files,
    parse_pack,
)
from bot.trivia.relations import RELATIONS
from tests.packs_for_tests import TINY_PACK, TINY_SOURCE

SEED = BUILTIN_PACKS_DIR / "kanye-stronger-akira.yaml"
BUNDLED = sorted(pack_files([BUILTIN_PACKS_DIR]))

# ---------------------------------------------------------------- the bundled packs


def fold(text: str) -> str:
    """The test's own normal form for quotes: case, curly/straight quotes and white space don't count."""
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return " ".join(text.casefold().split())


def raw_pack(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def source_text(path: Path, document: dict) -> str:
    source = document["source"]
    if "text" in source:
        return source["text"]
    return (path.parent / source["file"]).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed() -> Pack:
    return load_pack_file(SEED)


def test_there_are_bundled_packs() -> None:
    assert SEED in BUNDLED


def test_every_bundled_pack_loads_without_issues() -> None:
    result = load_packs([BUILTIN_PACKS_DIR])
    assert result.issues == ()
    assert {pack.path for pack in result.packs} == {str(path) for path in BUNDLED}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_every_quote_is_in_the_source_text(path: Path) -> None:
    """Checked from the raw YAML, without the validator, so the test stands on its own."""
    document = raw_pack(path)
    article = fold(source_text(path, document))
    quoted = [("facts", index, fact["quote"]) for index, fact in enumerate(document["facts"])]
    quoted += [
        ("questions", index, question["quote"])
        for index, question in enumerate(document.get("questions") or [])
        if "quote" in question
    ]
    assert quoted
    missing = [(section, index, quote) for section, index, quote in quoted if fold(quote) not in article]
    assert missing == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_every_fact_names_declared_entities(path: Path) -> None:
    document = raw_pack(path)
    ids = {entity["id"] for entity in document["entities"]}
    for fact in document["facts"]:
        assert fact["subject"] in ids, fact
        if RELATIONS[fact["relation"]].object_is_year:
            assert isinstance(fact["object"], int), fact
        else:
            assert fact["object"] in ids, fact


def test_the_loaded_pack_matches_the_yaml(seed: Pack) -> None:
    document = raw_pack(SEED)
    assert seed.id == document["id"] == "kanye-stronger-akira"
    assert [fact.quote for fact in seed.facts] == [fact["quote"] for fact in document["facts"]]
    assert [entity.id for entity in seed.entities] == [entity["id"] for entity in document["entities"]]
    assert len({fact.id for fact in seed.facts}) == len(seed.facts)
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert all(fact.line and lines[fact.line - 1].lstrip().startswith("- subject:") for fact in seed.facts)


def test_the_seed_pack_has_enough_facts(seed: Pack) -> None:
    assert len(seed.facts) >= 18


CHECKLIST = [
    ("stronger", "samples", "harder-better-faster-stronger", None),
    ("stronger", "appears_on", "graduation", None),
    ("graduation", "released_in", "2007", None),
    ("graduation", "cover_art_by", "takashi-murakami", None),
    ("graduation", "samples", "elton-john", None),
    ("graduation", "samples", "labi-siffre", None),
    ("graduation", "samples", "steely-dan", None),
    ("stronger-video", "based_on", "akira", None),
    ("akira", "by", "katsuhiro-otomo", None),
    ("akira", "released_in", "1988", None),
    ("stronger-video", "directed_by", "hype-williams", None),
    ("stronger-video", "filmed_in", "tokyo", None),
    ("stronger-video", "filmed_in", "los-angeles", None),
    ("stronger-video", "mirrors", "tetsuo-shima", None),
    ("akira", "favourite_of", "kanye-west", "IndieWire"),
    ("there-will-be-blood", "favourite_of", "kanye-west", "IndieWire"),
    ("kanye-west", "influenced_by", "akira", "SOHH.com"),
    ("kanye-west", "likened_work_to", "akira", None),
]


@pytest.mark.parametrize(("subject", "relation", "obj", "via"), CHECKLIST, ids=lambda value: str(value))
def test_the_checklist_facts_are_in_the_seed_pack(seed: Pack, subject: str, relation: str, obj: str, via) -> None:
    found = [fact for fact in seed.facts if (fact.subject, fact.relation, fact.object) == (subject, relation, obj)]
    assert len(found) == 1, f"missing {subject} {relation} {obj}"
    if via is not None:
        assert found[0].via == via


# ---------------------------------------------------------------- bad packs

SOURCE = TINY_SOURCE
GOOD = TINY_PACK
# Line numbers in GOOD, for the expectations below.
L_ENTITY0_ID, L_ENTITY0_KIND, L_ENTITY1_ID = 7, 9, 10
L_SUBJECT, L_RELATION, L_OBJECT, L_QUOTE = 14, 15, 16, 17
L_END = GOOD.count("\n")  # the last line; anything appended starts at L_END + 1

QUESTION = """\
questions:
  - id: q1
    prompt: Who made Akira?
    answers: {answers}
    choices: {choices}
"""


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    (tmp_path / "article.txt").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def issues_of(text: str, base_dir: Path | None) -> tuple[PackIssue, ...]:
    with pytest.raises(PackError) as caught:
        parse_pack(text, "bad.yaml", base_dir=base_dir)
    assert caught.value.issues, "a PackError must carry its issues"
    assert str(caught.value) == "\n".join(str(issue) for issue in caught.value.issues)
    return caught.value.issues


def test_the_good_pack_is_good(base_dir: Path) -> None:
    pack = parse_pack(GOOD, "good.yaml", base_dir=base_dir)
    assert pack.id == "tiny"
    assert [(fact.subject, fact.relation, fact.object) for fact in pack.facts] == [("akira", "by", "otomo")]
    assert pack.facts[0].line == L_SUBJECT
    assert pack.source.text == SOURCE


BAD_PACKS = {
    # name: (text, line, field, message pattern)
    "unclosed bracket": ("id: [tiny\ntitle: Tiny\n", 2, "(file)", r"invalid YAML: .*flow sequence"),
    "bad indentation": ("id: tiny\ntitle: Tiny\n  source: x\nentities: []\n", 3, "(file)", r"invalid YAML"),
    "tab indentation": ("id: tiny\n\ttitle: Tiny\n", 2, "(file)", r"invalid YAML"),
    "empty file": ("", 1, "(file)", r"empty"),
    "whitespace only": ("  \n\n\t \n", 1, "(file)", r"empty"),
    "comment only": ("# nothing here\n", 1, "(file)", r"empty"),
    "a list": ("- id: tiny\n- title: Tiny\n", 1, "(file)", r"expected a mapping, got a list"),
    "a plain string": ("just some words\n", 1, "(file)", r"expected a mapping, got text"),
    "a number": ("42\n", 1, "(file)", r"expected a mapping, got the number 42"),
    "unknown top-level key": (GOOD + "extra: 1\n", L_END + 1, "extra", r"unknown key; expected one of .*title"),
    "unknown relation": (
        GOOD.replace("relation: by", "relation: sampled"),
        L_RELATION,
        "facts[0].relation",
        r"unknown relation 'sampled'; expected one of .*samples",
    ),
    "quote not in source": (
        GOOD.replace("classic 1988 film by", "classic 1987 film by"),
        L_QUOTE,
        "facts[0].quote",
        r"not in the source",
    ),
    "unknown subject": (
        GOOD.replace("subject: akira", "subject: akria"),
        L_SUBJECT,
        "facts[0].subject",
        r"unknown entity id 'akria'",
    ),
    "unknown object": (
        GOOD.replace("object: otomo", "object: otomo-katsuhiro"),
        L_OBJECT,
        "facts[0].object",
        r"unknown entity id 'otomo-katsuhiro'",
    ),
    "unknown kind": (
        GOOD.replace("kind: film", "kind: anime"),
        L_ENTITY0_KIND,
        "entities[0].kind",
        r"unknown kind 'anime'; expected one of .*film",
    ),
    "duplicate entity id": (
        GOOD.replace("facts:\n", "  - id: akira\n    name: Akira again\n    kind: film\nfacts:\n"),
        L_SUBJECT - 1,
        "entities[2].id",
        r"duplicate entity id 'akira'",
    ),
    "a fact relating an entity to itself": (
        GOOD.replace("relation: by\n    object: otomo", "relation: mirrors\n    object: akira"),
        L_OBJECT,
        "facts[0].object",
        r"cannot relate `akira` to itself",
    ),
    "a backwards by fact": (
        GOOD.replace("subject: akira", "subject: otomo").replace("object: otomo", "object: akira"),
        L_SUBJECT,
        "facts[0].subject",
        r"^`by` takes a work by a musician or person: subject `otomo` is a person, object `akira` is a film; "
        r"is the fact backwards\? swap subject and object$",
    ),
    "an object of the wrong kind": (
        GOOD.replace("relation: by", "relation: filmed_in"),
        L_OBJECT,
        "facts[0].object",
        r"^`filmed_in` takes a film, show or video filmed in a city: subject `akira` is a film, "
        r"object `otomo` is a person$",
    ),
    "duplicate fact": (
        GOOD + "  - subject: akira\n    relation: by\n    object: otomo\n    quote: 1988 film by Katsuhiro Otomo\n",
        L_END + 1,
        "facts[1]",
        r"duplicate fact: akira by otomo",
    ),
    "bad entity year": (
        GOOD.replace("    kind: film\n", "    kind: film\n    year: 88\n"),
        L_ENTITY0_KIND + 1,
        "entities[0].year",
        r"expected a year between 1000 and 2100, got 88",
    ),
    "bad fact year": (
        GOOD + "  - subject: akira\n    relation: released_in\n    object: nineteen\n    quote: a classic 1988 film\n",
        L_END + 3,
        "facts[1].object",
        r"expected a year",
    ),
    "question without answers": (
        GOOD + QUESTION.format(answers="[]", choices="[]"),
        L_END + 4,
        "questions[0].answers",
        r"at least one answer",
    ),
    "choices without the answer": (
        GOOD + QUESTION.format(answers="[Katsuhiro Otomo]", choices="[Satoshi Kon, Hayao Miyazaki]"),
        L_END + 5,
        "questions[0].choices",
        r"do not include any of the answers",
    ),
    "duplicate YAML key": (GOOD + "title: Again\n", L_END + 1, "title", r"duplicate key"),
    "YAML alias": (
        GOOD.replace("name: Akira", "name: &a Akira") + "description: *a\n",
        L_END + 1,
        "(file)",
        r"aliases",
    ),
    "deep nesting": (GOOD + "description: " + "[" * 30 + "]" * 30 + "\n", L_END + 1, "(file)", r"nested deeper"),
    "python object tag": ('!!python/object/apply:os.system ["echo hi"]\n', 1, "(file)", r"tags? .*not allowed"),
    "python tag on a value": (
        GOOD + 'description: !!python/object/apply:os.system ["echo hi"]\n',
        L_END + 1,
        "(file)",
        r"tags? .*not allowed",
    ),
    "python tag on a scalar": (
        GOOD.replace("name: Akira", "name: !!python/name:os.system Akira"),
        L_ENTITY0_ID + 1,
        "(file)",
        r"tags? .*not allowed",
    ),
    "timestamp tag": (GOOD.replace("kind: film", "kind: !!timestamp film"), L_ENTITY0_KIND, "(file)", r"not allowed"),
    "source.file outside": (
        GOOD.replace("file: article.txt", "file: ../article.txt"),
        5,
        "source.file",
        r"beside the pack",
    ),
    "source.file absolute": (GOOD.replace("file: article.txt", "file: /etc/passwd"), 5, "source.file", r"beside"),
    "source.file missing": (GOOD.replace("file: article.txt", "file: nope.txt"), 5, "source.file", r"cannot read"),
    # a mapping's line is the line its first key is on
    "a two-letter quote": (
        GOOD.replace("quote: Akira is a classic 1988 film by Katsuhiro Otomo", "quote: by"),
        L_QUOTE,
        "facts[0].quote",
        r"^a quote of 1 word is too short to be evidence; quote at least 4 words of the article$",
    ),
    "a quote naming neither end": (
        GOOD.replace("quote: Akira is a classic 1988 film by Katsuhiro Otomo", "quote: is a classic 1988 film"),
        L_QUOTE,
        "facts[0].quote",
        r"^the quote names neither `akira` nor `otomo` \(by name or alias\): .*`context: true`",
    ),
    "a slightly-off quote": (
        GOOD.replace(
            "quote: Akira is a classic 1988 film by Katsuhiro Otomo", "quote: Akira is a classic 1989 movie by Otomo"
        ),
        L_QUOTE,
        "facts[0].quote",
        r"^this quote is not in the source article; closest passage in the source: "
        r'"Akira is a classic 1988 film by Katsuhiro Otomo\."$',
    ),
    "a quote like nothing in the source": (
        GOOD.replace("quote: Akira is a classic 1988 film by Katsuhiro Otomo", "quote: zzz qqq xxx www vvv"),
        L_QUOTE,
        "facts[0].quote",
        r"^this quote is not in the source article$",
    ),
    "two years for one work": (
        GOOD
        + "  - {subject: akira, relation: released_in, object: 1988, quote: a classic 1988 film}\n"
        + "  - {subject: akira, relation: released_in, object: 1989, quote: Akira is a classic 1988 film}\n",
        L_END + 2,
        "facts[2].object",
        r"^`akira` already came out in 1988 \(line 18\): a work has one year",
    ),
    "a too-short quote on a written question": (
        GOOD + QUESTION.format(answers="[Katsuhiro Otomo]", choices="[]") + "    quote: Katsuhiro Otomo\n",
        L_END + 6,
        "questions[0].quote",
        r"a quote of 2 words is too short",
    ),
    "a quote with no source text": (
        GOOD.replace("  file: article.txt\n", ""),
        L_QUOTE - 1,
        "facts[0].quote",
        r"needs the article's text .*add source.text or source.file",
    ),
    "both source text and file": (
        GOOD.replace("  file: article.txt\n", "  file: article.txt\n  text: Akira.\n"),
        4,
        "source",
        r"either as source.file or as source.text, not both",
    ),
    "context that is not a yes/no": (
        GOOD + "    context: maybe\n",
        L_END + 1,
        "facts[0].context",
        r"expected true or false, got text",
    ),
}


@pytest.mark.parametrize(("text", "line", "field", "message"), BAD_PACKS.values(), ids=BAD_PACKS.keys())
def test_a_bad_pack_is_refused_with_line_field_and_message(
    base_dir: Path, text: str, line: int, field: str, message: str
) -> None:
    issues = issues_of(text, base_dir)
    assert len(issues) == 1, [str(issue) for issue in issues]
    (issue,) = issues
    assert (issue.file, issue.line, issue.field) == ("bad.yaml", line, field), str(issue)
    assert re.search(message, issue.message), str(issue)
    assert re.match(r"^\S+:\d+: \S+: .+$", str(issue))


def test_missing_required_fields_are_each_named(base_dir: Path) -> None:
    issues = issues_of("id: tiny\ntitle: Tiny\n", base_dir)
    assert {(issue.line, issue.field, issue.message) for issue in issues} == {
        (1, "source", "missing"),
        (1, "entities", "missing"),
        (1, "facts", "missing"),
    }


def test_a_bad_entity_id_is_named(base_dir: Path) -> None:
    issues = issues_of(GOOD.replace("id: akira", "id: Akira Film"), base_dir)
    assert (issues[0].line, issues[0].field) == (L_ENTITY0_ID, "entities[0].id")
    assert "'Akira Film' is not an id" in issues[0].message
    # the fact that names the old id is then rightly unknown
    assert [(issue.line, issue.field) for issue in issues[1:]] == [(L_SUBJECT, "facts[0].subject")]


def test_missing_fact_fields_are_named(base_dir: Path) -> None:
    text = GOOD.replace("    quote: Akira is a classic 1988 film by Katsuhiro Otomo\n", "")
    (issue,) = issues_of(text, base_dir)
    assert (issue.line, issue.field, issue.message) == (L_SUBJECT, "facts[0].quote", "missing")


def test_an_oversized_file_is_refused_before_parsing(base_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD + "#" + "x" * MAX_FILE_BYTES + "\n"

    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversized file reached the YAML parser")

    monkeypatch.setattr(yaml, "parse", must_not_parse)
    monkeypatch.setattr(yaml, "compose", must_not_parse)
    (issue,) = issues_of(text, base_dir)
    assert (issue.line, issue.field) == (1, "(file)")
    assert "larger than" in issue.message


def test_an_oversized_file_on_disk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(PackError) as caught:
        load_pack_file(path)
    assert "larger than" in caught.value.issues[0].message


def test_a_python_tag_never_runs_anything(base_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in (
        f'!!python/object/apply:os.system ["touch {marker}"]\n',
        GOOD + f'description: !!python/object/apply:os.system ["touch {marker}"]\n',
        GOOD + f'description: !!python/object/apply:pathlib.Path.touch [!!python/object/new:pathlib.Path ["{marker}"]]',
    ):
        issues_of(text, base_dir)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (b"\xff\xfe\x00\x00binary", 1),
        (b"id: tiny\ntitle: caf\xe9\n", 2),
        (bytes(range(256)), 1 + bytes(range(128)).count(b"\n")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1),
    ],
    ids=["utf-16 bom", "latin-1", "all bytes", "png"],
)
def test_binary_or_non_utf8_bytes_are_refused(raw: bytes, line: int) -> None:
    with pytest.raises(PackError) as caught:
        decode_pack_bytes(raw, "bad.yaml")
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.field) == ("bad.yaml", line, "(file)")
    assert "not UTF-8" in issue.message


def test_utf8_with_a_byte_order_mark_is_fine(base_dir: Path) -> None:
    text = decode_pack_bytes(b"\xef\xbb\xbf" + GOOD.encode(), "bom.yaml")
    assert parse_pack(text, "bom.yaml", base_dir=base_dir).id == "tiny"


def test_a_non_utf8_file_on_disk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(PackError) as caught:
        load_pack_file(path)
    assert caught.value.issues[0].file == str(path)


def test_an_uploaded_pack_cannot_refer_to_files() -> None:
    (issue,) = issues_of(GOOD, None)
    assert (issue.line, issue.field) == (5, "source.file")
    assert "source.text" in issue.message


def test_an_uploaded_pack_with_inline_source_text_is_accepted() -> None:
    text = GOOD.replace("  file: article.txt", f"  text: {SOURCE}")
    pack = parse_pack(text, "upload.yaml", base_dir=None)
    assert pack.source.text == SOURCE
    assert pack.source.file is None
    assert len(pack.facts) == 1


def test_quotes_match_across_case_curly_quotes_and_white_space() -> None:
    text = """\
id: tiny
title: Tiny
source:
  title: T
  text: "Kanye's   \u201cStronger\u201d \\n samples Daft Punk."
entities:
  - {id: stronger, name: Stronger, kind: song}
  - {id: daft-punk, name: Daft Punk, kind: musician}
facts:
  - subject: stronger
    relation: samples
    object: daft-punk
    quote: 'KANYE\u2019S "stronger" SAMPLES daft punk'
"""
    assert len(parse_pack(text, "t.yaml").facts) == 1


def test_all_problems_are_reported_at_once(base_dir: Path) -> None:
    text = (
        GOOD.replace("relation: by", "relation: sampled")
        .replace("kind: film", "kind: anime")
        .replace("classic 1988 film", "classic 1999 film")
        .replace("kind: person", "kind: person\n    year: 12345")
    )
    issues = issues_of(text, base_dir)
    assert [(issue.line, issue.field) for issue in issues] == [
        (L_ENTITY0_KIND, "entities[0].kind"),
        (L_ENTITY1_ID + 3, "entities[1].year"),
        (L_RELATION + 1, "facts[0].relation"),
        (L_QUOTE + 1, "facts[0].quote"),
    ]


def test_three_different_problems_give_three_issues(base_dir: Path) -> None:
    text = (
        GOOD.replace("title: Tiny", "title: Tiny\ncolour: red")
        .replace("object: otomo", "object: nobody")
        .replace("classic 1988 film", "classic 1999 film")
    )
    issues = issues_of(text, base_dir)
    assert [(issue.line, issue.field) for issue in issues] == [
        (3, "colour"),
        (L_OBJECT + 1, "facts[0].object"),
        (L_QUOTE + 1, "facts[0].quote"),
    ]


def test_a_broken_entity_does_not_also_claim_it_is_undeclared(base_dir: Path) -> None:
    (issue,) = issues_of(GOOD.replace("kind: person", "kind: director"), base_dir)
    assert issue.field == "entities[1].kind"


def test_two_files_may_not_claim_the_same_pack_id(base_dir: Path) -> None:
    (base_dir / "a.yaml").write_text(GOOD, encoding="utf-8")
    (base_dir / "b.yaml").write_text(GOOD, encoding="utf-8")
    result = load_packs([base_dir])
    assert [pack.path for pack in result.packs] == [str(base_dir / "a.yaml")]
    (issue,) = result.issues
    assert (issue.file, issue.field) == (str(base_dir / "b.yaml"), "id")


def test_load_packs_keeps_the_good_and_reports_the_bad(base_dir: Path) -> None:
    (base_dir / "good.yaml").write_text(GOOD, encoding="utf-8")
    (base_dir / "bad.yml").write_text(GOOD.replace("relation: by", "relation: nope"), encoding="utf-8")
    (base_dir / "notes.md").write_text("not a pack", encoding="utf-8")
    result = load_packs([base_dir])
    assert [pack.id for pack in result.packs] == ["tiny"]
    assert [(issue.file, issue.line, issue.field) for issue in result.issues] == [
        (str(base_dir / "bad.yml"), L_RELATION, "facts[0].relation")
    ]


# ---------------------------------------------------------------- fuzzing: PackError and nothing else

_TOKENS = [
    "[", "]", "{", "}", ":", ": ", "- ", "? ", "&a ", "*a", "!!python/object:os.system ", "!!int ", "!!bool ",
    "!!timestamp ", "!!binary ", "!!set ", "!custom ", "\t", "\n", "  ", "'", '"', "#", "|", ">", "---\n", "...\n",
    "%YAML 1.1\n", "\x00", "\ufeff", "\u2028", "\r", "2001-13-45", "0x1F", ".inf", "1e400", "~", "null", "yes",
    "<<: ", "\\", "@", "`", "%",
]  # fmt: skip
# Tags on values are where PyYAML's constructors raise odd exceptions ("kind: !!timestamp film").
_TAGS = ["!!timestamp", "!!bool", "!!int", "!!float", "!!binary", "!!set", "!!omap", "!!python/name:os.system", "!x"]


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        position = rng.randrange(len(chars) + 1)
        operation = rng.randrange(6)
        if operation == 5:
            colon = "".join(chars).find(": ", position)
            if colon >= 0:
                chars[colon + 2 : colon + 2] = rng.choice(_TAGS) + " "
        elif operation == 0:
            del chars[position : position + rng.randint(1, 40)]
        elif operation == 1:
            chars[position:position] = rng.choice(_TOKENS)
        elif operation == 2:
            start = rng.randrange(len(chars))
            chars[position:position] = chars[start : start + rng.randint(1, 80)]
        elif operation == 3:
            chars[position:position] = chr(rng.randrange(0x20, 0x3000))
        else:
            lines = "".join(chars).split("\n")
            index = rng.randrange(len(lines))
            lines[index] = " " * rng.randint(0, 6) + lines[index].lstrip()
            chars = list("\n".join(lines))
    return "".join(chars)


def _parse_fuzzed(data: str | bytes) -> None:
    if isinstance(data, bytes):
        parse_pack(decode_pack_bytes(data, "fuzz.yaml"), "fuzz.yaml")
    else:
        parse_pack(data, "fuzz.yaml", base_dir=BUILTIN_PACKS_DIR)


def test_random_bytes_and_mutations_only_ever_raise_pack_error() -> None:
    seed_text = SEED.read_text(encoding="utf-8")
    rng = random.Random(20240607)
    outcomes = {"ok": 0, "refused": 0}
    for round_number in range(450):
        if round_number % 3 == 0:
            data: str | bytes = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        else:
            data = _mutate(rng, seed_text)
        try:
            _parse_fuzzed(data)
        except PackError as error:
            assert error.issues
            assert all(issue.line >= 1 and issue.field and issue.message for issue in error.issues)
            outcomes["refused"] += 1
        except Exception as error:  # the point: nothing else may escape
            pytest.fail(f"round {round_number}: {type(error).__name__}: {error} for input {data!r}")
        else:
            outcomes["ok"] += 1
    assert outcomes["refused"] > 300  # the mutations really do break things


# ---------------------------------------------------------------- optional fields


def test_license_attribution_and_notes_are_read() -> None:
    text = f"""\
id: credited
title: Credited
source:
  title: A tiny article
  text: "{TINY_SOURCE}"
  license: CC BY-SA 4.0
  attribution: Questions from the Open Trivia Database (opentdb.com)
entities:
  - {{id: akira, name: Akira, kind: film}}
  - {{id: otomo, name: Katsuhiro Otomo, kind: person}}
  - {{id: tokyo, name: Tokyo, kind: city}}
facts:
  - subject: akira
    relation: by
    object: otomo
    quote: Akira is a classic 1988 film by Katsuhiro Otomo
    note: The article's 1988 is the film; the manga began in 1982.
  - subject: akira
    relation: filmed_in
    object: tokyo
    quote: The video was filmed in Tokyo.
    context: true
questions:
  - id: q1
    prompt: Who made Akira?
    answers: [Katsuhiro Otomo]
    note: Otomo also drew the manga.
"""
    pack = parse_pack(text, "credited.yaml")
    assert pack.source.license == "CC BY-SA 4.0"
    assert pack.source.attribution == "Questions from the Open Trivia Database (opentdb.com)"
    by, filmed = pack.facts
    assert by.note == "The article's 1988 is the film; the manga began in 1982." and not by.context
    assert filmed.note is None and filmed.context
    assert pack.questions[0].note == "Otomo also drew the manga."


def test_a_pack_of_hand_written_questions_needs_no_article() -> None:
    text = """\
id: quiz-night
title: Quiz night
source:
  title: Our quiz night list
  license: CC BY-SA 4.0
  attribution: Open Trivia Database
entities: []
facts: []
questions:
  - id: q1
    prompt: Which city hosted the 1964 Summer Olympics?
    answers: [Tokyo]
    choices: [Tokyo, Rome, Mexico City, Munich]
"""
    pack = parse_pack(text, "quiz.yaml")
    assert pack.source.text == "" and pack.source.file is None
    assert [question.id for question in pack.questions] == ["q1"]


def test_a_question_quote_still_needs_the_article() -> None:
    text = """\
id: quiz-night
title: Quiz night
source: {title: Our quiz night list}
entities: []
facts: []
questions:
  - id: q1
    prompt: Which city?
    answers: [Tokyo]
    quote: It was Tokyo all along.
"""
    (issue,) = issues_of(text, None)
    assert (issue.line, issue.field) == (10, "questions[0].quote")
    assert "source.text or source.file" in issue.message


# ---------------------------------------------------------------- huge numbers

_HUGE_NUMBERS = {
    "hex": lambda size: "0x" + "f" * size,
    "octal": lambda size: "0" + "7" * size,
    "binary": lambda size: "0b" + "1" * size,
    "base-60": lambda size: "1" + ":59" * (size // 3),
    "decimal": lambda size: "9" * size,
    "base-60 float": lambda size: "1" + ":59" * (size // 3) + ".5",
}


@pytest.mark.reliability
@pytest.mark.parametrize("size", [4_000, 500_000], ids=["4KB", "500KB"])
@pytest.mark.parametrize("form", _HUGE_NUMBERS.keys())
@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("title: {number}\n", "title"),
        ("    year: {number}\n", "entities[0].year"),
        ("  - {{subject: akira, relation: released_in, object: {number}, quote: a classic 1988 film}}\n", "facts[1]"),
    ],
    ids=["title", "entity year", "fact year"],
)
def test_a_huge_number_is_a_pack_error_and_costs_nothing(
    base_dir: Path, form: str, size: int, where: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = _HUGE_NUMBERS[form](size)
    if where.startswith("title"):
        text = GOOD.replace("title: Tiny\n", where.format(number=number))
    elif "year" in where and where.startswith("    "):
        text = GOOD.replace("    kind: film\n", "    kind: film\n" + where.format(number=number))
    else:
        text = GOOD + where.format(number=number)
    converted: list[int] = []
    construct_object = yaml.constructor.SafeConstructor.construct_object

    def spy(self: yaml.constructor.SafeConstructor, node: yaml.Node, deep: bool = False) -> object:
        if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            converted.append(len(node.value))
        return construct_object(self, node, deep=deep)

    monkeypatch.setattr(yaml.constructor.SafeConstructor, "construct_object", spy)
    issues = issues_of(text, base_dir)
    # The quadratic cost (6.6 s for 510 KB of base-60) is in converting the digits: the huge scalar must
    # never reach a constructor. Counted, not timed, so a busy machine cannot fail it.
    assert max(converted, default=0) <= MAX_NUMBER_CHARS
    assert [issue.field for issue in issues if issue.field.startswith(field)], [str(issue) for issue in issues]
    assert all(len(str(issue)) < 300 for issue in issues)


def test_a_number_where_text_is_wanted_is_the_text_as_written(base_dir: Path) -> None:
    text = (
        GOOD.replace("title: Tiny", "title: 0x1F")
        .replace("name: Akira\n", "name: 1988\n    aliases: [yes, 0o17, 1:20, 2001-12-14]\n")
        .replace("kind: person", "kind: person\n    description: 3.10")
    )
    pack = parse_pack(text, "numbers.yaml", base_dir=base_dir)
    assert pack.title == "0x1F"
    assert pack.entities[0].name == "1988"
    assert pack.entities[0].aliases == ("yes", "0o17", "1:20", "2001-12-14")
    assert pack.entities[1].description == "3.10"


def test_an_answer_written_as_yes_stays_yes() -> None:
    text = """\
id: quiz
title: Quiz
source: {title: A list}
entities: []
facts: []
questions:
  - {id: q1, prompt: Is water wet?, answers: yes, choices: [yes, no]}
  - {id: q2, prompt: Half of one?, answers: [0.5, 1/2]}
"""
    first, second = parse_pack(text, "quiz.yaml").questions
    assert (first.answers, first.choices) == (("yes",), ("yes", "no"))
    assert second.answers == ("0.5", "1/2")


def test_a_huge_key_is_named_briefly(base_dir: Path) -> None:
    issues = issues_of(GOOD + "? " + "9" * 100_000 + "\n: 1\n", base_dir)
    assert len(issues) == 1 and len(str(issues[0])) < 300
    assert "100000 characters" in issues[0].field


def test_context_true_lets_a_quote_name_neither_end(base_dir: Path) -> None:
    text = GOOD + "  - {subject: akira, relation: released_in, object: 1988, quote: is a classic 1988 film}\n"
    text = text.replace("quote: Akira is a classic 1988 film by Katsuhiro Otomo", "quote: is a classic 1988 film by")
    issues = issues_of(text, base_dir)
    assert [issue.field for issue in issues] == ["facts[0].quote"]  # the year names the second fact's object
    pack = parse_pack(text.replace("film by\n", "film by\n    context: true\n", 1), "ok.yaml", base_dir=base_dir)
    assert [fact.context for fact in pack.facts] == [True, False]


def test_a_quote_names_an_end_by_alias_possessive_or_dotted_abbreviation(base_dir: Path) -> None:
    article = "Otomo's film came out. Filmed in Tokyo and L.A. by the crew. The Stronger music video is iconic."
    text = f"""\
id: names
title: Names
source: {{title: An article, text: "{article}"}}
entities:
  - {{id: akira, name: Akira, kind: film}}
  - {{id: otomo, name: Katsuhiro Otomo, kind: person, aliases: [Otomo]}}
  - {{id: la, name: Los Angeles, kind: city, aliases: [L.A.]}}
  - {{id: video, name: the "Stronger" music video, kind: video}}
facts:
  - {{subject: akira, relation: by, object: otomo, quote: "Otomo's film came out."}}
  - {{subject: video, relation: filmed_in, object: la, quote: Filmed in Tokyo and L.A.}}
  - {{subject: video, relation: based_on, object: akira, quote: The Stronger music video is iconic}}
"""
    assert len(parse_pack(text, "names.yaml").facts) == 3


def test_the_closest_passage_is_the_articles_own_text(base_dir: Path) -> None:
    article = "Intro.\n\nAs  recently as 2008, he even tweeted that \u201cevery video\u201d was LIKE Akira.\nThe end."
    text = f"""\
id: hint
title: Hint
source: {{title: An article, text: {json.dumps(article)}}}
entities:
  - {{id: kanye, name: Kanye West, kind: musician, aliases: [Kanye]}}
  - {{id: akira, name: Akira, kind: film}}
facts:
  - subject: kanye
    relation: likened_work_to
    object: akira
    quote: he tweeted that "every video" was like Akira
"""
    (issue,) = issues_of(text, None)
    assert issue.message.endswith(
        'closest passage in the source: "he even tweeted that \u201cevery video\u201d was LIKE Akira."'
    )


def test_only_the_first_few_missing_quotes_get_a_hint(base_dir: Path) -> None:
    facts = "".join(
        f"  - {{subject: akira, relation: by, object: otomo{n}, quote: Akira is a classic 1989 film by Otomo}}\n"
        for n in range(MAX_QUOTE_HINTS + 5)
    )
    people = "".join(f"  - {{id: otomo{n}, name: Otomo {n}, kind: person}}\n" for n in range(MAX_QUOTE_HINTS + 5))
    text = GOOD.replace("facts:\n", people + "facts:\n") + facts
    issues = issues_of(text, base_dir)
    hinted = [issue for issue in issues if "closest passage" in issue.message]
    assert len(issues) == MAX_QUOTE_HINTS + 5 and len(hinted) == MAX_QUOTE_HINTS


def test_no_seed_question_teaches_the_articles_wrong_tweet_year(seed: Pack) -> None:
    from bot.trivia.generate import generate_questions

    tweet = "this is like Akira"
    for question in generate_questions(seed):
        if question.quote and tweet in question.quote:
            assert "2008" not in question.answers and "2008" not in question.prompt, question.prompt
            assert question.note and "2018" in question.note
    (likened,) = [fact for fact in seed.facts if fact.relation == "likened_work_to"]
    assert likened.note == "The article dates this tweet to 2008; Kanye West posted it in 2018."


@pytest.mark.reliability
def test_a_second_year_is_reported_even_while_the_first_quote_is_wrong(base_dir: Path) -> None:
    text = (
        GOOD
        + "  - {subject: akira, relation: released_in, object: 1988, quote: a classic 1987 film}\n"
        + "  - {subject: akira, relation: released_in, object: 1989, quote: a classic 1988 film}\n"
        + "  - {subject: akira, relation: released_in, object: 1988, quote: a classic 1988 film}\n"
    )
    issues = issues_of(text, base_dir)
    assert [(issue.field, issue.message.split(";")[0].split(":")[0]) for issue in issues] == [
        ("facts[1].quote", "this quote is not in the source article"),
        ("facts[2].object", "`akira` already came out in 1988 (line 18)"),
    ]


# ---------------------------------------------------------------- size caps as a value


def test_the_caps_come_from_the_limits_passed_and_default_to_the_format_s():
    from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits

    inline = TINY_PACK.replace("file: article.txt", f"text: {TINY_SOURCE}")
    assert parse_pack(inline, "tiny.yaml", limits=DEFAULT_PACK_LIMITS).id == "tiny"
    cases = {
        "entities": (PackLimits(entities=1), "entities"),
        "facts": (PackLimits(facts=0), "facts"),
        "nodes": (PackLimits(nodes=10), "YAML values"),
        "file": (PackLimits(file_bytes=len(inline.encode()) - 1), "KiB"),
        "article": (PackLimits(source_chars=10), "source"),
    }
    for name, (limits, wording) in cases.items():
        with pytest.raises(PackError) as raised:
            parse_pack(inline, "tiny.yaml", limits=limits)
        assert wording in str(raised.value), name
