"""`/fact` look-ups at scale: index build, autocomplete and find-by-name over 100,000 entities.

Run with ``python bench/lookup.py`` (about a minute). Packs of 500 entities are built as the project's
own ``Pack`` objects (bench/synthetic.py), indexed by ``FactIndex``, then queried with a seeded mix of
one-letter prefixes, word prefixes, full names, aliases, typos and misses. Prints readable lines, a
scaling line, and last one JSON line.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import build_packs  # noqa: E402
from bot.trivia.facts import FactIndex  # noqa: E402

QUERIES = 10_000


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    position = rng.randrange(len(text) - 1)
    if rng.random() < 0.5:  # swap two letters
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    return text[:position] + rng.choice(string.ascii_lowercase) + text[position + 1 :]


def miss(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase + " ") for _ in range(rng.randint(3, 14))).strip() or "zq"


def autocomplete_queries(names: list[str], aliases: list[str], rng: random.Random) -> list[str]:
    queries = []
    for _ in range(QUERIES):
        kind = rng.random()
        name = rng.choice(names)
        if kind < 0.2:
            queries.append(rng.choice(string.ascii_lowercase))  # one letter: the worst case before
        elif kind < 0.4:
            word = rng.choice(name.split())
            queries.append(word[: rng.randint(2, max(2, len(word)))])  # a word, partly typed
        elif kind < 0.55:
            queries.append(name[: rng.randint(1, len(name))])
        elif kind < 0.65:
            queries.append(rng.choice(aliases))
        elif kind < 0.85:
            queries.append(typo(name, rng))
        else:
            queries.append(miss(rng))
    return queries


def lookup_queries(names: list[str], aliases: list[str], rng: random.Random) -> list[str]:
    queries = []
    for _ in range(QUERIES):
        kind = rng.random()
        if kind < 0.35:
            queries.append(rng.choice(names).upper())
        elif kind < 0.5:
            queries.append(rng.choice(aliases))
        elif kind < 0.75:
            queries.append(typo(rng.choice(names), rng))
        else:
            queries.append(miss(rng))
    return queries


def timed(call: Callable[[str], object], inputs: list[str]) -> tuple[list[float], list[float]]:
    """Sorted per-call times in ms: CPU time of this thread, and wall time.

    The machine is shared (up to 8 agents on 2 cores), so wall time includes waiting for a core; the
    thread's CPU time is what the code itself costs. Both are reported.
    """
    cpu_ms, wall_ms = [], []
    for value in inputs:
        wall, cpu = time.perf_counter(), time.thread_time()
        call(value)
        cpu_ms.append((time.thread_time() - cpu) * 1e3)
        wall_ms.append((time.perf_counter() - wall) * 1e3)
    return sorted(cpu_ms), sorted(wall_ms)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def measure(entities: int, facts: int, seed: int = 1) -> dict[str, float]:
    packs = build_packs(entities, facts, seed=seed)
    gc.collect()
    start = time.perf_counter()
    index = FactIndex(packs)
    build_s = time.perf_counter() - start
    names = [entity.name for pack in packs for entity in pack.entities]
    aliases = [alias for pack in packs for entity in pack.entities for alias in entity.aliases] or names
    rng = random.Random(seed)
    complete, complete_wall = timed(index.autocomplete, autocomplete_queries(names, aliases, rng))
    found, found_wall = timed(index.find, lookup_queries(names, aliases, rng))
    return {
        "entities": len(index),
        "facts": sum(len(pack.facts) for pack in packs),
        "build_s": round(build_s, 3),
        "autocomplete_p50_ms": round(percentile(complete, 0.5), 4),
        "autocomplete_p99_ms": round(percentile(complete, 0.99), 4),
        "autocomplete_max_ms": round(complete[-1], 3),
        "autocomplete_wall_p99_ms": round(percentile(complete_wall, 0.99), 4),
        "lookup_p50_ms": round(percentile(found, 0.5), 4),
        "lookup_p99_ms": round(percentile(found, 0.99), 4),
        "lookup_max_ms": round(found[-1], 3),
        "lookup_wall_p99_ms": round(percentile(found_wall, 0.99), 4),
    }


def main() -> None:
    scaling = {}
    for entities in (1_000, 10_000):
        result = measure(entities, entities * 3)
        scaling[entities] = result
        print(
            f"{entities:>7} entities: build {result['build_s']:.2f} s, autocomplete p99 "
            f"{result['autocomplete_p99_ms']:.3f} ms, look-up p99 {result['lookup_p99_ms']:.3f} ms"
        )
    result = measure(100_000, 300_000)
    scaling[100_000] = result
    print(
        f"{result['entities']:>7} entities, {result['facts']} facts: build {result['build_s']:.2f} s; "
        f"autocomplete p50 {result['autocomplete_p50_ms']:.3f} ms, p99 {result['autocomplete_p99_ms']:.3f} ms, "
        f"max {result['autocomplete_max_ms']:.2f} ms; look-up p50 {result['lookup_p50_ms']:.3f} ms, "
        f"p99 {result['lookup_p99_ms']:.3f} ms, max {result['lookup_max_ms']:.2f} ms ({QUERIES} each; CPU time)"
    )
    print(
        "wall clock p99 (includes waiting for a shared core): "
        f"autocomplete {result['autocomplete_wall_p99_ms']:.3f} ms, look-up {result['lookup_wall_p99_ms']:.3f} ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        "scaling (autocomplete p99 / look-up p99, ms): "
        + ", ".join(
            f"{n // 1000}k {r['autocomplete_p99_ms']:.3f} / {r['lookup_p99_ms']:.3f}" for n, r in scaling.items()
        )
    )
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_rss_mb:.0f} MB")
    figures = {
        **result,
        "load_average": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "scaling_autocomplete_p99_ms": {str(n): r["autocomplete_p99_ms"] for n, r in scaling.items()},
        "scaling_lookup_p99_ms": {str(n): r["lookup_p99_ms"] for n, r in scaling.items()},
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
