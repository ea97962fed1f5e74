"""Time the fact index: catalog build, `find` on a realistic mix of names, and autocomplete prefixes.

Run with ``python bench/bench_facts.py``; it only prints figures.
"""

from __future__ import annotations

import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.trivia.catalog import Catalog  # noqa: E402
from bot.trivia.generate import generate_questions  # noqa: E402
from bot.trivia.packs import BUILTIN_PACKS_DIR  # noqa: E402

CALLS = 10_000
MISSES = ["nonsense", "zzzz", "Radiohead", "Blade Runner", "Paris", "xq", "daft monk", "", "the", "a" * 200]


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    position = rng.randrange(len(text) - 1)
    if rng.random() < 0.5:  # swap two letters
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    return text[:position] + rng.choice(string.ascii_lowercase) + text[position + 1 :]


def make_queries(names: list[str], aliases: list[str], rng: random.Random) -> list[str]:
    queries = []
    for _ in range(CALLS):
        kind = rng.random()
        if kind < 0.3:
            queries.append(rng.choice(names))
        elif kind < 0.5:
            queries.append(rng.choice(aliases or names).upper())
        elif kind < 0.8:
            queries.append(typo(rng.choice(names), rng))
        else:
            queries.append(rng.choice(MISSES))
    return queries


def time_calls(call: Callable[[str], object], inputs: list[str]) -> list[float]:
    timings_us = []
    for value in inputs:
        start = time.perf_counter()
        call(value)
        timings_us.append((time.perf_counter() - start) * 1e6)
    return sorted(timings_us)


def report(label: str, timings_us: list[float]) -> None:
    p99 = timings_us[int(len(timings_us) * 0.99)]
    print(f"{label}: {len(timings_us)} calls, median {statistics.median(timings_us):.1f} us, p99 {p99:.1f} us")


def main() -> None:
    start = time.perf_counter()
    catalog, result = Catalog.from_folder(BUILTIN_PACKS_DIR)
    index = catalog.index
    build_ms = (time.perf_counter() - start) * 1e3
    entities = index.entities()
    print(
        f"catalog build (packs, questions, index): {build_ms:.1f} ms for {len(catalog.packs())} pack(s), "
        f"{len(entities)} entities, {len(result.issues)} issue(s)"
    )

    rng = random.Random(1)
    names = [entity.name for entity in entities]
    aliases = [alias for entity in entities for alias in entity.aliases]
    queries = make_queries(names, aliases, rng)
    found = sum(index.find(query) is not None for query in queries)
    report(f"find ({found}/{CALLS} found)", time_calls(index.find, queries))

    letters = string.ascii_lowercase
    prefixes = [
        rng.choice(names)[: rng.randint(1, 4)]
        if rng.random() < 0.7
        else "".join(rng.choices(letters, k=rng.randint(1, 4)))
        for _ in range(CALLS)
    ]
    report("autocomplete (1-4 letter prefixes)", time_calls(index.autocomplete, prefixes))

    for pack in catalog.packs():
        others = catalog.packs()
        runs = []
        for _ in range(50):
            start = time.perf_counter()
            questions = generate_questions(pack, others)
            runs.append((time.perf_counter() - start) * 1e3)
        print(
            f"generate_questions({pack.id}): {len(questions)} questions, median {statistics.median(runs):.2f} ms "
            f"over {len(runs)} runs"
        )


if __name__ == "__main__":
    main()
