"""Pack loading does each piece of work once and takes short cuts only where they read the same:
ASCII text skips Unicode folding, a quote used twice is located once, the cycle collector rests."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.trivia import packs
from bot.trivia.packs import PackError, parse_pack
from tests.packs_for_tests import ARTICLE, uploaded_pack_yaml

ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=ASCII)
def test_ascii_text_folds_as_the_unicode_path_folds_it(text: str) -> None:
    assert packs.normalise_quote_text(text) == packs._normalise_any_quote_text(text)
    assert text.lower() == packs._without_accents(text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_word_count_counts_runs_with_a_letter_or_digit_up_to_its_bound(text: str) -> None:
    words = sum(1 for word in text.split() if any(char.isalnum() for char in word))
    assert packs._word_count(text, 4) == min(words, 4)


def _with_questions(questions: str) -> str:
    return uploaded_pack_yaml() + "questions:\n" + questions


REPEATED_QUOTE = "Amen, Brother is a 1969 track by The Winstons."
MISSING_QUOTE = "Amen, Brother is a 1971 track by The Winstons."


def test_a_quote_used_by_a_fact_and_questions_is_located_once(monkeypatch: pytest.MonkeyPatch) -> None:
    located: list[str] = []
    locate = packs._Article._locate

    def counting(self: packs._Article, quote: str) -> bool:
        located.append(quote)
        return locate(self, quote)

    monkeypatch.setattr(packs._Article, "_locate", counting)
    questions = "".join(
        f"  - {{id: q{n}, prompt: Who made it?, answers: [The Winstons], quote: {REPEATED_QUOTE!r}}}\n"
        for n in range(3)
    )
    pack = parse_pack(_with_questions(questions), "amen.yaml")
    assert [question.quote for question in pack.questions] == [REPEATED_QUOTE] * 3
    assert located.count(REPEATED_QUOTE) == 1
    assert len(located) == len(set(located))


def test_a_missing_quote_used_twice_is_reported_at_each_place() -> None:
    assert MISSING_QUOTE not in ARTICLE
    questions = "".join(
        f"  - {{id: q{n}, prompt: Who made it?, answers: [The Winstons], quote: {MISSING_QUOTE!r}}}\n" for n in range(2)
    )
    with pytest.raises(PackError) as caught:
        parse_pack(_with_questions(questions), "amen.yaml")
    assert [(issue.field, "not in the source article" in issue.message) for issue in caught.value.issues] == [
        ("questions[0].quote", True),
        ("questions[1].quote", True),
    ]


@pytest.mark.parametrize("text", [uploaded_pack_yaml(), "id: [broken\n"], ids=["good", "bad"])
@pytest.mark.parametrize("was_enabled", [True, False])
def test_loading_pauses_the_cycle_collector_and_restores_it(text: str, was_enabled: bool) -> None:
    seen: list[bool] = []
    build = packs._Reader._build

    def watching(self: packs._Reader, document: str) -> object:
        seen.append(gc.isenabled())
        return build(self, document)

    (gc.enable if was_enabled else gc.disable)()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(packs._Reader, "_build", watching)
            try:
                parse_pack(text, "amen.yaml")
            except PackError:
                pass
        assert seen == [False]
        assert gc.isenabled() is was_enabled
    finally:
        gc.enable()
