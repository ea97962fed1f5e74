"""Pack load and question generation at scale.

Run with ``python bench/packs.py`` (about a minute). Four figures:

- one pack of 10,000 facts and 10,000 hand-written questions (2,500 entities, quotes checked against a
  ~600 KB article), loaded through ``parse_pack`` (YAML, validation, quote checks), then generated;
  such a pack is far past the default caps, so the benchmark raises them (a ``PackLimits``, as the
  settings ``MAX_PACK_BYTES``, ``MAX_FACTS_PER_PACK``... would);
- generation alone for one pack of 20,000 facts;
- generation for a catalog of 100,000 entities (200 packs of 500, 3 facts an entity): every question
  built up front, ids, prompts, answers and options, as the bot does at start (or on a pack-cache
  miss), including the cycle collector's first pass over them when generation re-enables it;
- a scaling line for catalogs of 1k / 10k / 100k entities, with the cost per question.

Prints readable lines, and last one JSON line. Times are CPU seconds of this process (the machine is
shared; wall seconds are printed too).
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import build_packs, pack_yaml  # noqa: E402
from bot.trivia import packs as pack_format  # noqa: E402
from bot.trivia.generate import distractor_names, generate_catalog, generate_questions  # noqa: E402
from bot.trivia.limits import PackLimits  # noqa: E402
from bot.trivia.model import Pack  # noqa: E402

FACTS = 10_000
QUESTIONS = 10_000
ENTITIES = 2_500


class Timer:
    def __enter__(self) -> Timer:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall


def big_pack_yaml() -> str:
    (pack,) = build_packs(ENTITIES, FACTS, per_pack=ENTITIES, with_source=True, seed=11)
    rng = random.Random(11)
    lines = [pack_yaml(pack).rstrip("\n"), "questions:"]
    quotes = [fact.quote for fact in pack.facts]
    for number in range(QUESTIONS):
        right, *wrong = rng.sample(pack.entities, 4)
        choices = [right.name, *(entity.name for entity in wrong)]
        rng.shuffle(choices)
        fields = {
            "id": f"q{number}",
            "prompt": f"Question {number}: which one is {right.name}?",
            "answers": [right.name],
            "choices": list(dict.fromkeys(choices)),
            "quote": rng.choice(quotes),
        }
        lines.append(f"  - {json.dumps(fields)}")
    return "\n".join(lines) + "\n"


def raised_caps(text: str) -> PackLimits:
    """The benchmark pack is far past the default caps; lifted, as the settings (MAX_PACK_BYTES...) would."""
    return PackLimits(
        file_bytes=len(text.encode()) + 1,
        source_chars=10_000_000,
        nodes=10_000_000,
        entities=1_000_000,
        facts=1_000_000,
        questions=1_000_000,
    )


def catalog_generation(entities: int) -> tuple[Timer, int]:
    packs = build_packs(entities, entities * 3, seed=5)
    gc.collect()
    with Timer() as timer:
        generated = generate_catalog(packs, distractor_names(packs))
    return timer, sum(len(questions) for questions in generated.values())


def main() -> None:
    text = big_pack_yaml()
    limits = raised_caps(text)
    gc.collect()
    with Timer() as load:
        pack: Pack = pack_format.parse_pack(text, "big.yaml", limits=limits)
    with Timer() as generate:
        questions = generate_questions(pack)
    question_count = len(questions)
    # The target is for this load: the catalogs below need more, and are reported apart.
    load_peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"pack of {len(pack.facts)} facts, {len(pack.questions)} hand-written questions, {len(pack.entities)} "
        f"entities ({len(text.encode()) / 1e6:.1f} MB of YAML): load+validate {load.cpu:.2f} s "
        f"(wall {load.wall:.2f}), generate {generate.cpu:.2f} s (wall {generate.wall:.2f}) -> "
        f"{question_count} questions; total {load.cpu + generate.cpu:.2f} s; peak RSS {load_peak_rss_mb:.0f} MB"
    )
    del questions, pack, text
    gc.collect()

    (big,) = build_packs(10_000, 20_000, per_pack=10_000, seed=3)
    with Timer() as facts_20k:
        generated_20k = len(generate_questions(big))
    print(f"generation, one pack of {len(big.facts)} facts: {facts_20k.cpu:.2f} s -> {generated_20k} questions")
    del big

    scaling, scaling_wall = {}, {}
    for entities in (1_000, 10_000, 100_000):
        timer, count = catalog_generation(entities)
        scaling[entities], scaling_wall[entities] = timer.cpu, timer.wall
        print(
            f"catalog generation, {entities} entities / {entities * 3} facts: {timer.cpu:.2f} s "
            f"(wall {timer.wall:.2f}) -> {count} questions, {timer.cpu / count * 1e6:.1f} us a question"
        )
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scaling (catalog generation s): {', '.join(f'{n // 1000}k {s:.2f}' for n, s in scaling.items())}; "
        f"peak RSS {peak_rss_mb:.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        json.dumps(
            {
                "load_s": round(load.cpu, 3),
                "generate_s": round(generate.cpu, 3),
                "questions": question_count,
                "peak_rss_mb": round(load_peak_rss_mb, 1),
                "generate_20k_facts_s": round(facts_20k.cpu, 3),
                "generate_100k_entities_s": round(scaling[100_000], 3),
                "generate_100k_entities_wall_s": round(scaling_wall[100_000], 3),
                "scaling_catalog_generation_s": {str(n): round(s, 3) for n, s in scaling.items()},
                "scaling_catalog_generation_wall_s": {str(n): round(s, 3) for n, s in scaling_wall.items()},
                "overall_peak_rss_mb": round(peak_rss_mb, 1),
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
