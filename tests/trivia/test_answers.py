from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.trivia.answers import (
    MAX_INPUT_CHARS,
    answer_key,
    matches,
    named_option,
    normalise,
    option_labels,
    typo_budget,
)

HBFS = "Harder, Better, Faster, Stronger"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Daft   Punk\t\n", "daft punk"),
        ("Beyoncé", "beyonce"),
        ("Mø", "mo"),
        ("Æon Flux", "aeon flux"),
        ("Straße", "strasse"),
        ("Đorđe Łódź Œuvre", "dorde lodz oeuvre"),
        ("L.A.", "la"),
        (HBFS, "harder better faster stronger"),
        ("“Don’t Stop”", "dont stop"),
        ("Jay-Z", "jay z"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("R&B", "r and b"),
        ("The Ronettes", "ronettes"),
        ("A Tribe Called Quest", "tribe called quest"),
        ("An Ode to Joy", "ode to joy"),
        ("The", "the"),
        ("A-ha", "a ha"),  # the "a" is part of the name, not an article
        ("Bey\u200bon\u200dcé\u0007", "beyonce"),
        ("ＢＥＹＯＮＣＥ １９８８", "beyonce 1988"),
        ("Blink-182", "blink 182"),
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("beyonce", "Beyoncé"),
        ("BEYONCÉ", "Beyoncé"),
        ("Sigur Ros", "Sigur Rós"),
        ("Mo", "Mø"),
        ("Bey\u200bonce", "Beyoncé"),
        ("Beyo\u00adnce", "Beyoncé"),  # soft hyphen pasted from a web page
        ("“Stronger”", "Stronger"),
        ("Don't Stop", "Don’t Stop"),
        ("Ronettes", "The Ronettes"),
        ("The Ronettes", "Ronettes"),
        ("Simon and Garfunkel", "Simon & Garfunkel"),
        ("simon&garfunkel", "Simon & Garfunkel"),
        ("  harder   better faster  stronger ", HBFS),
        ("LA", "L.A."),
        ("DaftPunk", "Daft Punk"),
        ("1988.", "1988"),
        ("2007", "2007"),
        ("Blink 182", "Blink-182"),
    ],
)
def test_equivalent_spellings_match(guess: str, answer: str) -> None:
    assert matches(guess, [answer])


def test_any_alias_matches() -> None:
    accepted = ["Sean Combs", "Puff Daddy", "P. Diddy", "Diddy"]
    assert matches("p diddy", accepted)
    assert matches("Puff Daddy", accepted)
    assert not matches("Puff", accepted)


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("Katsuhiro Otomoo", "Katsuhiro Otomo"),
        ("Takashi Murakmi", "Takashi Murakami"),
        ("Takashi Murkmi", "Takashi Murakami"),  # two edits in fifteen letters
        ("Akra", "Akira"),  # five letters: one edit allowed
        ("Akria", "Akira"),  # a swap counts as one edit
        ("Harder Beter Faster Stronger", HBFS),
        ("Elton Jhn", "Elton John"),
    ],
)
def test_typos_forgiven_in_long_answers(guess: str, answer: str) -> None:
    assert matches(guess, [answer])


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("LB", "LA"),
        ("Mobi", "Moby"),  # four letters: exact only
        ("Akr", "Akira"),  # two edits in five letters
        ("Katsuhiro Otomooo", "Katsuhiro Otomo"),  # two edits in one five-letter word
        ("Elton John Sr", "Elton John Jr"),  # short words stay exact...
        ("Guns X Roses", "Guns N' Roses"),  # ... even when the whole answer could afford an edit
        ("Takasi Murkmi", "Takashi Murakami"),  # each word within its share, but three edits in all
    ],
)
def test_typos_refused_in_short_answers_and_words(guess: str, answer: str) -> None:
    assert not matches(guess, [answer])


@pytest.mark.parametrize(
    ("guess", "answer"),
    [
        ("1989", "1988"),
        ("1988", "1989"),
        ("19 88", "1988"),
        ("Rocky 3", "Rocky 2"),
        ("Rocky III", "Rocky II"),
        ("Rocky V", "Rocky IV"),
        ("Blink 183", "Blink-182"),
        ("Blink", "Blink-182"),
        ("Akir4", "Akira"),
    ],
)
def test_numbers_are_never_typos(guess: str, answer: str) -> None:
    assert not matches(guess, [answer])


@pytest.mark.parametrize(
    "guess",
    [
        "Stronger",
        "Harder Better Faster",
        "Harder, Better, Faster, Stronger (Remix)",
        "Harder Better Faster Stronger Remix",
        "Harder Better Faster Str",  # the typo budget must not swallow most of a word ...
        "Harder Better Faster Stronger X",  # ... nor a new word
    ],
)
def test_other_titles_refused(guess: str) -> None:
    assert not matches(guess, [HBFS])


def test_exact_wrong_option_refused_even_within_typo_range() -> None:
    assert matches("Katsuhiro Otoma", ["Katsuhiro Otomo"])
    assert not matches("Katsuhiro Otoma", ["Katsuhiro Otomo"], wrong=["Katsuhiro Otoma"])
    assert not matches("1989", ["1988"], wrong=["1989", "1990"])
    # A wrong option that normalises like the answer is a tie too: refused rather than guessed at.
    assert not matches("The Beatles", ["The Beatles"], wrong=["Beatles"])


@pytest.mark.parametrize(
    ("guess", "expected"),
    [
        ("Elton John", True),
        ("Elton Jhn", False),  # one edit from both: a tie is refused
        ("Elton Jahn", False),
        ("Elton Jon", True),  # one edit from the right answer, two from the wrong one
    ],
)
def test_guess_as_close_to_wrong_option_refused(guess: str, expected: bool) -> None:
    assert matches(guess, ["Elton John"], wrong=["Elton Jahn", "Elton Johnson"]) is expected


@pytest.mark.parametrize("guess", ["", "   ", "\u200b\u200b", "...", "\n\t"])
def test_empty_guess_never_matches(guess: str) -> None:
    assert not matches(guess, ["Daft Punk"])
    assert not matches(guess, ["..."])


def test_no_accepted_answers_never_match() -> None:
    assert not matches("Daft Punk", [])
    assert not matches("Daft Punk", ["", "  "])


@pytest.mark.parametrize(
    "guess",
    [
        "Daft Punk" * 12_000,
        "Daft Punk " + " " * 100_000,
        "Daft Punk" + "\u200b" * 100_000,
        "é" * 100_000,
        "Daft Punk and some more words that make it far too long to be a typo of the answer",
    ],
)
def test_huge_guess_refused(guess: str) -> None:
    assert not matches(guess, ["Daft Punk"])


@pytest.mark.parametrize(
    ("letters", "budget"),
    [(1, 0), (4, 0), (5, 1), (8, 1), (9, 2), (15, 2), (16, 2), (20, 3), (40, 6)],
)
def test_typo_budget(letters: int, budget: int) -> None:
    assert typo_budget(letters) == budget


# -- naming an option in choices mode ---------------------------------------------------------------

OPTIONS = ("Hype Williams", "Hayao Miyazaki", "Katsuhiro Otomo", "Takashi Murakami")


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("Takashi Murakami", 3),
        ("  takashi   MURAKAMI! ", 3),
        ("Katsuhiró Ótomo", 2),
        ("a", 0),
        ("(B)", 1),
        ("c)", 2),
        ("4", 3),
        ("1.", 0),
    ],
)
def test_an_option_is_named_by_its_full_text_letter_or_number(typed: str, index: int) -> None:
    assert named_option(typed, OPTIONS) == index


@pytest.mark.parametrize(
    "typed", ["Murakami", "Williams", "Takashi Murakam", "E", "5", "0", "", "   ", "AB", "x" * (MAX_INPUT_CHARS + 1)]
)
def test_anything_else_names_no_option(typed: str) -> None:
    assert named_option(typed, OPTIONS) is None


def test_an_option_that_looks_like_a_label_is_taken_literally() -> None:
    assert named_option("1", ("2", "1", "3")) == 1
    assert named_option("b", ("a", "b")) == 1


def test_options_that_fold_to_the_same_text_are_named_only_by_label() -> None:
    options = ("Daft Punk", "daft-punk", "Justice")
    assert named_option("Daft Punk", options) is None
    assert named_option("B", options) == 1


def test_option_labels() -> None:
    assert option_labels(4) == "type A-D, 1-4 or the option's full text"
    assert option_labels(3) == "type A-C, 1-3 or the option's full text"


def _reference_normalise(text: str) -> str:
    """Character-by-character folding, as normalise was first written; the fast path must agree."""
    import unicodedata

    from bot.trivia import answers

    folded = unicodedata.normalize("NFKC", text).casefold().translate(answers._UNDECOMPOSABLE_LETTERS)
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", folded):
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category == "Mn" or category[0] == "C" or char in answers._VANISHING:
            continue
        elif category == "Nd":
            kept.append(str(unicodedata.decimal(char)))
        elif char == "&":
            kept.append(" and ")
        elif category[0] in "LNM":
            kept.append(char)
        else:
            kept.append(answers._SEPARATOR)
    words = "".join(kept).split()
    if len(words) > 1 and words[0] in answers._ARTICLES:
        del words[0]
    spaced = " ".join(words).replace(answers._SEPARATOR, " ")
    return unicodedata.normalize("NFC", " ".join(spaced.split()))


@given(st.text(max_size=60))
def test_normalise_folds_like_the_character_by_character_reference(text: str) -> None:
    assert normalise(text) == _reference_normalise(text)


def _matches_without_a_key(guess: str, accepted: list[str], wrong: list[str]) -> bool:
    """The matching rule spelled out guess by guess, as it was before answer keys: the reference
    the folded-once ``AnswerKey`` (and its exact-guess short cut) must agree with."""
    from bot.trivia.answers import _distance, _typo_distance

    if len(guess) > MAX_INPUT_CHARS:
        return False
    answers = {answer for answer in map(normalise, accepted) if answer}
    normal_guess = normalise(guess)
    if not answers or not normal_guess or len(normal_guess) > 2 * max(map(len, answers)) + 10:
        return False
    distances = [d for d in (_typo_distance(normal_guess, answer) for answer in answers) if d is not None]
    if not distances:
        return False
    right = min(distances)
    return all(_distance(normal_guess, option, right) > right for option in {normalise(w) for w in wrong} if option)


@given(
    st.text(st.sampled_from("ab -.&1Éé"), max_size=12),
    st.lists(st.text(st.sampled_from("ab -.&1Éé"), max_size=12), max_size=3),
    st.lists(st.text(st.sampled_from("ab -.&1Éé"), max_size=12), max_size=3),
)
def test_an_answer_key_decides_as_the_rule_does_guess_by_guess(
    guess: str, accepted: list[str], wrong: list[str]
) -> None:
    key = answer_key(tuple(accepted), tuple(wrong))
    assert key.matches(guess) == _matches_without_a_key(guess, accepted, wrong)
    assert key.matches(guess) == matches(guess, accepted, wrong)


@pytest.mark.parametrize(
    ("guess", "expected"),
    [("Jay Z", False), ("jay-z", False), ("Jay Zee", False), ("Jay-Z!", False), ("Kanye", False)],
)
def test_an_exact_answer_that_is_also_a_wrong_option_split_differently_is_refused(guess: str, expected: bool) -> None:
    """The short cut for exact guesses still lets a tie with a wrong option go against the player."""
    assert answer_key(("Jay Z",), ("JayZ",)).matches(guess) is expected
