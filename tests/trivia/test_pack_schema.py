"""questions/pack.schema.json: current with the tables, and in agreement with the validator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from bot.trivia.pack_schema import SCHEMA_FILE_NAME, schema_text
from bot.trivia.packs import BUILTIN_PACKS_DIR, PackError, pack_files, parse_pack
from bot.trivia.relations import KINDS, RELATIONS
from tests.packs_for_tests import TINY_PACK, TINY_SOURCE, uploaded_pack_yaml
from tests.trivia.test_generate_properties import pack_yaml
from tests.trivia.test_packs import BAD_PACKS, QUESTION

SCHEMA_PATH = BUILTIN_PACKS_DIR / SCHEMA_FILE_NAME
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def schema_errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(yaml.safe_load(text))]


def test_the_schema_file_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: python -m bot.trivia.pack_schema > questions/pack.schema.json"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_uses_only_keywords_draft_07_tools_know() -> None:
    # Editors' YAML servers often implement draft-07 only; these keywords came later.
    later = {"$defs", "prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired"}
    later |= {"dependentSchemas", "$anchor", "$dynamicRef", "$dynamicAnchor", "minContains", "maxContains"}
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    assert not [keyword for keyword in later if f'"{keyword}"' in text]


def test_the_enums_are_the_kind_and_relation_tables() -> None:
    entity = SCHEMA["properties"]["entities"]["items"]
    fact = SCHEMA["properties"]["facts"]["items"]
    assert entity["properties"]["kind"]["enum"] == list(KINDS)
    assert fact["properties"]["relation"]["enum"] == list(RELATIONS)
    assert SCHEMA["properties"]["distractors"]["propertyNames"]["enum"] == list(KINDS)


@pytest.mark.parametrize("path", sorted(pack_files([BUILTIN_PACKS_DIR])), ids=lambda path: path.name)
def test_every_bundled_pack_fits_the_schema(path: Path) -> None:
    assert schema_errors(path.read_text(encoding="utf-8")) == []


NOTED = f"""\
id: noted
title: 1988
source:
  title: A tiny article
  text: "{TINY_SOURCE}"
  license: CC BY-SA 4.0
  attribution: Someone
entities:
  - {{id: akira, name: Akira, kind: film, year: 1988, aliases: AKIRA}}
  - {{id: otomo, name: Katsuhiro Otomo, kind: person}}
facts:
  - {{subject: akira, relation: by, object: otomo, quote: Akira is a classic 1988 film, note: A note., context: true}}
  - {{subject: akira, relation: released_in, object: 1988, quote: a classic 1988 film}}
questions:
  - {{id: q1, prompt: "Yes or no?", answers: yes, choices: [yes, no], note: A note.}}
distractors:
  person: [Satoshi Kon]
"""


@pytest.mark.parametrize(
    "text", [TINY_PACK, uploaded_pack_yaml(), NOTED], ids=["tiny pack", "uploaded pack", "every optional field"]
)
def test_packs_the_validator_accepts_fit_the_schema(text: str, tmp_path: Path) -> None:
    (tmp_path / "article.txt").write_text(TINY_SOURCE, encoding="utf-8")
    parse_pack(text, "good.yaml", base_dir=tmp_path)
    assert schema_errors(text) == []


# The bad packs whose fault is one of shape (types, keys, required fields, enums, ranges); the rest need
# the whole pack (an unknown entity id, a quote not in the article), which only the validator can see.
STRUCTURAL = [
    "a list",
    "a plain string",
    "a number",
    "unknown top-level key",
    "unknown relation",
    "unknown kind",
    "bad entity year",
    "bad fact year",
    "question without answers",
    "both source text and file",
    "context that is not a yes/no",
]
GOOD = TINY_PACK
MORE_STRUCTURAL = {
    "missing source, entities, facts": "id: tiny\ntitle: Tiny\n",
    "a bad pack id": GOOD.replace("id: tiny", "id: Tiny Pack"),
    "a bad entity id": GOOD.replace("id: akira", "id: Akira Film"),
    "a fact without a quote": GOOD.replace("    quote: Akira is a classic 1988 film by Katsuhiro Otomo\n", ""),
    "an entity without a kind": GOOD.replace("    kind: film\n", ""),
    "one choice": GOOD + QUESTION.format(answers="[Katsuhiro Otomo]", choices="[Katsuhiro Otomo]"),
    "too many choices": GOOD + QUESTION.format(answers="[a]", choices="[a, b, c, d, e, f]"),
    "a name that is a list": GOOD.replace("name: Akira", "name: [Akira]"),
    "an unknown kind of distractor": GOOD + "distractors:\n  anime: [Paprika]\n",
    "an unknown source key": GOOD.replace("  file: article.txt", "  file: article.txt\n  author: someone"),
    "an empty title": GOOD.replace("title: Tiny", "title: ' '"),
}


@pytest.mark.parametrize(
    "text",
    [BAD_PACKS[name][0] for name in STRUCTURAL] + list(MORE_STRUCTURAL.values()),
    ids=STRUCTURAL + list(MORE_STRUCTURAL),
)
def test_structural_faults_are_refused_by_both(text: str, tmp_path: Path) -> None:
    (tmp_path / "article.txt").write_text(TINY_SOURCE, encoding="utf-8")
    with pytest.raises(PackError):
        parse_pack(text, "bad.yaml", base_dir=tmp_path)
    assert schema_errors(text), "the schema accepts what the validator refuses"


@pytest.mark.parametrize(
    ("fixture", "importer"), [("red-sampler.yaml", "import_red"), ("opentdb-music.json", "import_opentdb")]
)
def test_imported_packs_fit_the_schema(fixture: str, importer: str) -> None:
    from bot.authoring import imports

    path = Path(__file__).parents[1] / "authoring" / "fixtures" / fixture
    result = getattr(imports, importer)(path.read_text(encoding="utf-8"), str(path), pack_id="imported")
    assert schema_errors(result.yaml_text) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=pack_yaml())
def test_whatever_the_validator_accepts_the_schema_accepts(text: str) -> None:
    try:
        parse_pack(text, "random.yaml")
    except PackError:
        return
    assert schema_errors(text) == []


def test_a_draft_of_the_seed_article_fits_the_schema() -> None:
    from bot.authoring.draft import draft_pack, render_draft
    from bot.authoring.text import article_from_text

    article = article_from_text((BUILTIN_PACKS_DIR / "kanye-stronger-akira.txt").read_text(encoding="utf-8"))
    text = render_draft(draft_pack(article, pack_id="drafted"))
    parse_pack(text, "drafted.yaml")
    assert schema_errors(text) == []
