"""docs/packs.md: its kind and relation tables are the code's tables, and its examples are valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.trivia.pack_schema import kinds_table, relations_table
from bot.trivia.packs import BUILTIN_PACKS_DIR, load_pack_file
from bot.trivia.relations import KINDS, RELATIONS

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "packs.md"
TEXT = GUIDE.read_text(encoding="utf-8")


def between(marker: str) -> str:
    found = re.search(rf"<!-- {marker}:start -->\n(.*?)\n<!-- {marker}:end -->", TEXT, flags=re.S)
    assert found, f"docs/packs.md lost its {marker} markers"
    return found.group(1)


@pytest.mark.parametrize(("marker", "table"), [("kinds", kinds_table), ("relations", relations_table)])
def test_the_guides_tables_are_current(marker: str, table) -> None:
    assert between(marker) == table(), (
        f"regenerate the {marker} table: python -c 'from bot.trivia.pack_schema import {table.__name__}; "
        f"print({table.__name__}())'"
    )


def test_every_kind_and_relation_is_in_the_guide() -> None:
    for name in (*KINDS, *RELATIONS):
        assert f"`{name}`" in TEXT, name


def test_the_guide_documents_every_field() -> None:
    for field in ("description", "via", "url", "note", "context", "license", "attribution", "distractors"):
        assert f"`{field}`" in TEXT, field


def test_the_worked_examples_quotes_are_the_seed_packs() -> None:
    seed = load_pack_file(BUILTIN_PACKS_DIR / "kanye-stronger-akira.yaml")
    quotes = {fact.quote for fact in seed.facts}
    shown = re.findall(r"^\s+(?:- \{.*)?quote: (.+?)\}?$", TEXT, flags=re.M)
    assert shown
    for quote in shown:
        quote = quote.strip()
        if quote.startswith("'"):
            quote = quote[1:-1].replace("''", "'")
        assert quote in quotes, quote


def test_the_guides_size_caps_are_the_defaults() -> None:

    from bot.trivia.limits import PackLimits
    from bot.trivia.pack_schema import LIMIT_SETTINGS, limits_table

    assert list(LIMIT_SETTINGS) == list(PackLimits._fields)
    assert between("limits") == limits_table(), (
        "regenerate: python -c 'from bot.trivia.pack_schema import *; print(limits_table())'"
    )
