"""Fuzzing the two places that read what strangers type: the pack loader and the answer matcher.

The loader is fed random text, random bytes, YAML-ish documents built from the pack's own keys and
YAML's trickiest scalars, and the seed pack with random parts replaced; the only exception allowed out
is ``PackError``, and a pack it accepts must generate its questions. The matcher is fed random Unicode.
Every call must return within ``PER_CALL_SECONDS`` (hypothesis' deadline: generous, so a busy machine
does not fail it, yet far below the seconds a quadratic path would take on these sizes).

The suite runs a fixed, derandomised set of examples (about 20 s in all). For a soak run with fresh
random examples: ``CRATE_DIGGER_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest -q tests/trivia/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import os
from datetime import timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bot.trivia.answers import MAX_INPUT_CHARS, matches, named_option, normalise
from bot.trivia.generate import generate_questions
from bot.trivia.packs import BUILTIN_PACKS_DIR, MAX_FILE_BYTES, PackError, decode_pack_bytes, parse_pack

pytestmark = pytest.mark.reliability

PER_CALL_SECONDS = 5.0
SOAK_EXAMPLES = int(os.environ.get("CRATE_DIGGER_FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int) -> settings:
    """``examples`` in the suite (derandomised, so CI is repeatable); the soak count, freshly random, on demand."""
    return settings(
        max_examples=SOAK_EXAMPLES or examples,
        derandomize=not SOAK_EXAMPLES,
        database=None,
        # Shrinking a failure to its smallest form can take minutes; worth it in a soak run, not in CI.
        phases=list(Phase) if SOAK_EXAMPLES else [Phase.explicit, Phase.generate],
        deadline=timedelta(seconds=PER_CALL_SECONDS),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SEED_FILE = BUILTIN_PACKS_DIR / "kanye-stronger-akira.yaml"
SEED_DATA: dict[str, Any] = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
SEED_DATA["source"] = {
    "title": SEED_DATA["source"]["title"],
    "text": (BUILTIN_PACKS_DIR / SEED_DATA["source"]["file"]).read_text(encoding="utf-8"),
}


def load_or_refuse(text: str) -> None:
    """The contract under test: a Pack whose questions generate, or a PackError with located issues."""
    try:
        pack = parse_pack(text, "fuzz.yaml")
    except PackError as error:
        assert error.issues
        for issue in error.issues:
            assert issue.file == "fuzz.yaml" and issue.line >= 1 and issue.field and issue.message
            assert len(issue.message) <= 400, issue.message  # error text never embeds an unbounded value
        return
    generate_questions(pack)


# ---------------------------------------------------------------- the loader


# What a soak run found: an empty key ("?" alone, or "": 1) was reported with an empty field name.
@example("?")
@example('"": 1\n')
@example("source:\n  ' ': 1\n")
@fuzz_settings(300)
@given(st.text(max_size=2_000))
def test_random_text(text):
    load_or_refuse(text)


@fuzz_settings(300)
@given(st.binary(max_size=2_000))
def test_random_bytes(raw):
    try:
        text = decode_pack_bytes(raw, "fuzz.yaml")
    except PackError as error:
        assert error.issues
        return
    load_or_refuse(text)


PACK_KEYS = sorted(
    {"id", "title", "description", "source", "entities", "facts", "questions", "distractors", "file", "text", "url"}
    | {"name", "kind", "aliases", "year", "subject", "relation", "object", "quote", "via", "prompt", "answers"}
    | {"choices", "song", "film", "album", "samples", "released_in", "based_on"}
)
# Scalars that YAML reads in surprising ways: huge and odd-base integers, base 60, floats, booleans,
# null, dates, tags, anchors and aliases, block scalars, flow collections left open, directives.
TRICKY_SCALARS = [
    "~",
    "null",
    "yes",
    "No",
    "on",
    "OFF",
    ".inf",
    "-.Inf",
    ".nan",
    "0x1F",
    "0o777",
    "0b1010",
    "017",
    "1:20:30",
    "190:20:30:15",
    "1_000_000",
    "6.8523015e+5",
    "2024-02-30",
    "2001-12-14t21:59:43.10-05:00",
    "!!str 12",
    "!!int '12'",
    "!!float x",
    "!!binary aGk=",
    "!!timestamp 2024",
    "!!set {a, b}",
    "!!omap []",
    "!!python/object/apply:os.system ['true']",
    "!local x",
    "&anchor value",
    "*anchor",
    "<<: *anchor",
    "'single ''quoted'''",
    '"double \\u00e9 \\x41 \\N"',
    '"unterminated',
    "'unterminated",
    "|",
    ">-",
    "|+2",
    "[a, b",
    "{a: 1",
    "[]",
    "{}",
    "? key",
    "- item",
    "%YAML 1.1",
    "%TAG ! tag:x,2000:",
    "---",
    "...",
    "\t",
    "a: b: c",
    "#comment",
    "@reserved",
    "`backtick",
    "\ufeff",
    "\x00",
    "\x85",
    "\u2028",
    "stronger",
    "akira",
    "kanye-west",
    "song",
    "film",
    "samples",
    "released_in",
    "1988",
]


def numbers_of(digits: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """Integers in every base YAML 1.1 reads (hex, octal, binary, decimal, base 60) and long floats."""
    shapes = [
        lambda n: "0x" + "f" * n,
        lambda n: "0o" + "7" * n,
        lambda n: "0b" + "1" * n,
        lambda n: "9" * n,
        lambda n: "-" + "9" * n,
        lambda n: "1" + ":59" * (n // 3),
        lambda n: "0." + "9" * n + "e9999",
    ]
    return st.tuples(st.sampled_from(shapes), digits).map(
        lambda shape_and_digits: shape_and_digits[0](shape_and_digits[1])
    )


# Past Python's 4,300-digit limit for int/str conversion, and past base 60's quadratic cost.
huge_numbers = numbers_of(st.integers(min_value=4_000, max_value=20_000))
long_numbers = numbers_of(st.integers(min_value=20, max_value=400))
scalars = st.one_of(
    st.sampled_from(TRICKY_SCALARS),
    long_numbers,
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20),
    st.integers().map(str),
)
keys = st.one_of(st.sampled_from(PACK_KEYS), st.sampled_from(TRICKY_SCALARS))
yamlish = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(lambda items: ("seq", items)),
        st.lists(st.tuples(keys, children), max_size=6).map(lambda pairs: ("map", pairs)),
    ),
    max_leaves=15,
)


def render(node: Any, indent: int = 0) -> str:
    """Block-style YAML text from a tree, with scalars pasted in raw: often valid, often nearly so."""
    pad = " " * indent
    if isinstance(node, str):
        return node
    kind, items = node
    if not items:
        return "[]" if kind == "seq" else "{}"
    lines = []
    if kind == "seq":
        for item in items:
            body = render(item, indent + 2)
            lines.append(f"{pad}- {body.lstrip()}" if isinstance(item, str) else f"{pad}-\n{body}")
    else:
        for key, value in items:
            body = render(value, indent + 2)
            lines.append(f"{pad}{key}: {body}" if isinstance(value, str) else f"{pad}{key}:\n{body}")
    return "\n".join(lines)


@fuzz_settings(200)
@given(st.lists(st.tuples(keys, yamlish), max_size=8).map(lambda pairs: render(("map", pairs))))
def test_yaml_ish_documents_built_from_pack_keys(text):
    load_or_refuse(text)


# What this found (fixed with issue 8 item 3): a 4,000-digit hex where a pack wants text raised ValueError
# from str(int); the same number where it wants a year came back as an error quoting every digit.
@example("0x" + "f" * 4_000, "id")
@example("0x" + "f" * 4_000, "entities[0].year")
@fuzz_settings(40)
@given(huge_numbers, st.sampled_from(["id", "title", "source.title", "entities[0].year", "entities[0].name"]))
def test_huge_numbers_where_the_pack_wants_text_or_a_year(number, where):
    document = copy.deepcopy(SEED_DATA)
    target: Any = document
    *path, last = where.replace("[0]", ".0").split(".")
    for part in path:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = "PLACEHOLDER"
    load_or_refuse(
        yaml.dump(document, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False).replace("PLACEHOLDER", number)
    )


def paths_in(document: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths_in(value, (*prefix, index))
    return found


SEED_PATHS = paths_in(SEED_DATA)[1:]
json_like = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=60),
        st.sampled_from(TRICKY_SCALARS),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(PACK_KEYS) | st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


@fuzz_settings(120)
# What this found (fixed with issue 8 item 3): a list where a year belongs came back as an error quoting
# the loader's internal nodes, 700 characters of them.
@example([(("entities", 2, "year"), [{"": [], "album": []}] * 3 + [{"text": [{"facts": True, "album": -994}]}, []])])
@given(st.lists(st.tuples(st.sampled_from(SEED_PATHS), json_like), min_size=1, max_size=4))
def test_the_seed_pack_with_random_parts_replaced(replacements):
    """Valid YAML shaped like a real pack, so the fuzzing reaches deep into validation and generation."""
    document = copy.deepcopy(SEED_DATA)
    for path, value in replacements:
        target = document
        try:
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this path
    text = yaml.dump(document, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False)
    if len(text) > MAX_FILE_BYTES:
        return
    load_or_refuse(text)


# ---------------------------------------------------------------- the answer matcher

any_unicode = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
options = st.lists(any_unicode, max_size=5)


@fuzz_settings(300)
@given(any_unicode, options, options)
def test_matcher_takes_any_unicode(guess, accepted, wrong):
    assert matches(guess, accepted, wrong) in (True, False)
    index = named_option(guess, [*accepted, *wrong])
    assert index is None or 0 <= index < len(accepted) + len(wrong)


@fuzz_settings(150)
@given(any_unicode, options)
def test_an_answer_always_matches_itself_unless_it_is_also_a_wrong_option(answer, wrong):
    if not normalise(answer):
        assert not matches(answer, [answer], wrong)  # nothing visible to compare
        return
    if normalise(answer) in {normalise(option) for option in wrong}:
        assert not matches(answer, [answer], wrong)  # a tie goes against the player
        return
    assert matches(answer, [answer], wrong)


@fuzz_settings(150)
@given(any_unicode, options, options)
def test_a_guess_that_is_a_wrong_option_never_scores(guess, accepted, wrong):
    if normalise(guess) in {normalise(option) for option in accepted}:
        return
    assert not matches(guess, accepted, [*wrong, guess])


@fuzz_settings(30)
@given(st.integers(min_value=MAX_INPUT_CHARS + 1, max_value=200_000), st.sampled_from("aé1 \u0301\u200b&."))
def test_an_enormous_guess_costs_nothing(length, character):
    guess = character * length
    assert not matches(guess, [guess[:10] or "x"], [])
    assert named_option(guess, ["a", "b"]) is None
