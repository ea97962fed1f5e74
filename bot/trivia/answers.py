"""Decide whether a typed guess names the right answer.

Players type on phones, in a hurry, without accents and with stray punctuation, so a guess is
compared in a normal form that ignores those differences and forgives a small typo in a long
name. It must never forgive a different answer, though: another year, a shorter or longer title,
or a guess that is as close to one of the wrong options as to the right one. Everything is
bounded so that a hostile, enormous message costs no more than a normal one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

# Far longer than any real answer; beyond it a guess is noise, and normalising it would cost time.
MAX_INPUT_CHARS = 500

_ARTICLES = frozenset({"the", "a", "an"})
# Letters that Unicode does not decompose into base letter + accent, so stripping marks misses them.
_UNDECOMPOSABLE_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ħ": "h", "ı": "i"}
)
# Quotes, apostrophes and periods vanish rather than split words: "L.A." is "la", "Don't" is "dont".
_VANISHING = frozenset("'‘’‛ʼ`\"“”„‟«»‹›.")
# Other punctuation splits words, but only after leading articles are found, so "A-ha" keeps its "a".
_SEPARATOR = "-"
_SPACE_NOT_BETWEEN_DIGITS = re.compile(r"(?<=\D) | (?=\D)")
_DIGIT = re.compile(r"[0-9]")


def normalise(text: str) -> str:
    """Fold ``text`` to the form guesses and answers are compared in (only its first chars count)."""
    return _normalise_bounded(text[:MAX_INPUT_CHARS])


class _CharFolding(dict):
    """What each character becomes in normal form, worked out on first sight and then looked up, so
    ``str.translate`` folds a whole string in C. Folding depends on the character alone."""

    MAX_REMEMBERED = 65_536  # hostile text could show every code point; remember only the common ones

    def __missing__(self, codepoint: int) -> str | None:
        char = chr(codepoint)
        category = unicodedata.category(char)
        folded: str | None
        if char.isspace():
            folded = " "
        elif category == "Mn" or category[0] == "C" or char in _VANISHING:
            folded = None  # accents, zero-width and control characters are invisible to the player
        elif category == "Nd":
            folded = str(unicodedata.decimal(char))  # so "１９８８" and other scripts' digits compare
        elif char == "&":
            folded = " and "
        elif category[0] in "LNM":
            folded = char
        else:
            folded = _SEPARATOR
        if len(self) < self.MAX_REMEMBERED:
            self[codepoint] = folded
        return folded


_CHAR_FOLDING = _CharFolding()


# Answers and wrong options are normalised again on every guess; the bound keeps cached keys small.
@lru_cache(maxsize=4096)
def _normalise_bounded(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_UNDECOMPOSABLE_LETTERS)
    kept = unicodedata.normalize("NFD", folded).translate(_CHAR_FOLDING)
    words = kept.split()
    if len(words) > 1 and words[0] in _ARTICLES:
        del words[0]
    spaced = " ".join(words).replace(_SEPARATOR, " ")
    return unicodedata.normalize("NFC", " ".join(spaced.split()))


def named_option(typed: str, options: Sequence[str]) -> int | None:
    """The index of the option ``typed`` names, or None: its full text (in normal form), its number
    (1-based) or its letter, and nothing else.

    The rule reads only the typed text and the options, never which option is right, so a refusal
    tells a player nothing: with forgiving matching (aliases, surnames, typos) applied to the right
    answer alone, every refused probe would rule an option out for free. An option's own text wins
    over reading it as a number or letter, so an option "2" is never option 2.
    """
    if len(typed) > MAX_INPUT_CHARS:
        return None
    normal = normalise(typed)
    if not normal:
        return None
    by_text = [index for index, option in enumerate(options) if normalise(option) == normal]
    if by_text:
        # Two options with the same normal form cannot be told apart by typing; only their labels can.
        return by_text[0] if len(by_text) == 1 else None
    # Labels are read from the raw text: normal form would turn "-1" into "1".
    label = typed.strip().strip("().:[]").strip().casefold()
    if label.isdecimal() and 1 <= int(label) <= len(options):
        return int(label) - 1
    if len(label) == 1 and "a" <= label <= "z" and ord(label) - ord("a") < len(options):
        return ord(label) - ord("a")
    return None


def option_labels(count: int) -> str:
    """How to name one of ``count`` options, for the message that refuses anything else."""
    last_letter = chr(ord("A") + count - 1)
    return f"type A-{last_letter}, 1-{count} or the option's full text"


def matches(guess: str, accepted: Sequence[str], wrong: Sequence[str] = ()) -> bool:
    """True if ``guess`` names one of ``accepted`` and is closer to it than to every ``wrong`` option."""
    return AnswerKey(accepted, wrong).matches(guess)


class AnswerKey:
    """One question's answers and wrong options in normal form, folded once rather than on every guess.

    A game asks a question once and may hear hundreds of guesses; most right guesses are the answer
    itself (or an alias) give or take case, accents and spacing, which here costs one normalisation
    (cached for repeated texts) and one dict look-up. Only the rest take the typo path.
    """

    __slots__ = ("_answers", "_wrong_options", "_longest", "_exact")

    def __init__(self, accepted: Sequence[str], wrong: Sequence[str] = ()) -> None:
        self._answers = tuple({answer: None for answer in map(normalise, accepted) if answer})
        self._wrong_options = tuple({option: None for option in map(normalise, wrong) if option})
        self._longest = max(map(len, self._answers), default=0)
        # A guess equal to an answer is at distance 0 from it, so it matches unless some wrong option
        # is at distance 0 too (the same letters, only split differently), a tie that goes against it.
        wrong_letters = {_without_spaces(option) for option in self._wrong_options}
        self._exact = {answer: _without_spaces(answer) not in wrong_letters for answer in self._answers}

    def matches(self, guess: str) -> bool:
        """True if ``guess`` names one of the answers and is closer to it than to every wrong option."""
        if len(guess) > MAX_INPUT_CHARS:
            return False
        normal_guess = normalise(guess)
        verdict = self._exact.get(normal_guess)
        if verdict is not None:
            return verdict
        if not self._answers or not normal_guess:
            return False
        if len(normal_guess) > 2 * self._longest + 10:
            return False  # cannot be a typo of any answer; skip the fuzzy work
        distances = [_typo_distance(normal_guess, answer) for answer in self._answers]
        distance_to_right = min((d for d in distances if d is not None), default=None)
        if distance_to_right is None:
            return False
        # A tie goes against the player: the guess does not tell us which of the two they meant.
        return all(
            _distance(normal_guess, option, distance_to_right) > distance_to_right for option in self._wrong_options
        )


# Packs ask the same questions in game after game and channel after channel.
@lru_cache(maxsize=4096)
def answer_key(accepted: tuple[str, ...], wrong: tuple[str, ...] = ()) -> AnswerKey:
    """The ``AnswerKey`` of a question's answers and wrong options, folded once per process."""
    return AnswerKey(accepted, wrong)


def typo_budget(letter_count: int) -> int:
    """Edits forgiven in an answer of ``letter_count`` letters: none in short ones, where one edit is
    already another word ("LA"/"LB"), then about one per seven letters."""
    if letter_count < 5:
        return 0
    if letter_count <= 8:
        return 1
    if letter_count <= 15:
        return 2
    return letter_count * 15 // 100


def _typo_distance(guess: str, answer: str) -> int | None:
    """Edits from ``guess`` to ``answer``, or None if they are more than a typo."""
    if _without_spaces(guess) == _without_spaces(answer):
        return 0  # "DaftPunk", "Jay Z"/"JayZ": the same letters, only split differently
    guess_words, answer_words = guess.split(), answer.split()
    # A missing or extra word is a different title however long the rest is, never a typo.
    if len(guess_words) != len(answer_words):
        return None
    from rapidfuzz.distance import OSA  # here, not at the top: `crate-digger fact` never needs it

    budget = typo_budget(sum(map(len, answer_words)))
    total = 0
    for guess_word, answer_word in zip(guess_words, answer_words, strict=True):
        if _DIGIT.search(guess_word) or _DIGIT.search(answer_word):
            allowed = 0  # 1988 and 1989, "Rocky 2" and "Rocky 3" are different answers
        else:
            # Short words stay exact, or "Rocky II" would accept "Rocky III" and "Guns N' Roses" "Guns X".
            allowed = min(budget - total, len(answer_word) // 4)
        edits = OSA.distance(guess_word, answer_word, score_cutoff=allowed)
        if edits > allowed:
            return None
        total += edits
    return total


def _distance(guess: str, option: str, cutoff: int) -> int:
    """Edits from ``guess`` to ``option``; anything above ``cutoff`` is reported as ``cutoff + 1``."""
    if _without_spaces(guess) == _without_spaces(option):
        return 0
    from rapidfuzz.distance import OSA

    return OSA.distance(guess, option, score_cutoff=cutoff)


def _without_spaces(text: str) -> str:
    # Spaces between digits stay, so "19 88" is not "1988".
    return _SPACE_NOT_BETWEEN_DIGITS.sub("", text)
