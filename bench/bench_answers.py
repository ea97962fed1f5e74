"""Time answer matching on a realistic mix of guesses, to see it stays cheap under spam.

Run with ``python bench/bench_answers.py``; it only prints figures.
"""

from __future__ import annotations

import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.trivia.answers import matches  # noqa: E402

QUESTIONS = [
    (["Harder, Better, Faster, Stronger"], ["One More Time", "Digital Love"]),
    (["Katsuhiro Otomo", "Otomo"], ["Hayao Miyazaki", "Satoshi Kon"]),
    (["Simon & Garfunkel"], ["Hall & Oates", "The Everly Brothers"]),
    (["1988"], ["1987", "1989", "1990"]),
    (["Beyoncé", "Beyoncé Knowles"], ["Rihanna", "Solange"]),
    (["The Ronettes"], ["The Shangri-Las", "The Crystals"]),
]


def typo(text: str, rng: random.Random) -> str:
    position = rng.randrange(len(text))
    return text[:position] + rng.choice(string.ascii_lowercase) + text[position + 1 :]


def make_guesses(count: int, rng: random.Random) -> list[tuple[str, list[str], list[str]]]:
    garbage = "".join(rng.choices(string.printable, k=10_000))
    guesses = []
    for _ in range(count):
        accepted, wrong = rng.choice(QUESTIONS)
        kind = rng.random()
        if kind < 0.3:
            guess = rng.choice(accepted).upper()
        elif kind < 0.6:
            guess = typo(accepted[0], rng)
        elif kind < 0.9:
            guess = rng.choice(wrong)
        else:
            guess = garbage
        guesses.append((guess, accepted, wrong))
    return guesses


def main() -> None:
    timings_us = []
    for guess, accepted, wrong in make_guesses(10_000, random.Random(1)):
        start = time.perf_counter()
        matches(guess, accepted, wrong)
        timings_us.append((time.perf_counter() - start) * 1e6)
    timings_us.sort()
    p99 = timings_us[int(len(timings_us) * 0.99)]
    print(f"{len(timings_us)} guesses: median {statistics.median(timings_us):.1f} us, p99 {p99:.1f} us")

    # The costliest guess is the longest one still normalised: just under the input cap, and uncached.
    longest = "".join(random.Random(2).choices("aeiouéøß bcdfg,.", k=500))
    start = time.perf_counter()
    matches(longest, *QUESTIONS[0])
    print(f"one uncached 500-char guess: {(time.perf_counter() - start) * 1e6:.1f} us")

    huge = "Harder, Better, Faster, Stronger " * 3_100  # about 100 KB
    start = time.perf_counter()
    matches(huge, *QUESTIONS[0])
    print(f"one {len(huge) // 1000} KB guess: {(time.perf_counter() - start) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
