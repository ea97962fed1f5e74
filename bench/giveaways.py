"""Simulate rounds of the seed pack and count those that show a question's answer before asking it.

A giveaway is a prompt naming its own answer, or the round's opening line or an earlier prompt naming
a later answer (``bot.trivia.giveaways``). The figure that matters is ``share_with_giveaway``: it
must be 0. For scale it also prints the share for rounds picked as before the rule (a plain shuffle,
one question per fact first, opened with the pack title).

Run with ``python bench/giveaways.py [--rounds N] [--questions N]``; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.trivia.catalog import Catalog, pick_questions  # noqa: E402
from bot.trivia.giveaways import giveaways, opening_title  # noqa: E402
from bot.trivia.model import Question  # noqa: E402
from bot.trivia.packs import BUILTIN_PACKS_DIR  # noqa: E402

PACK = "kanye-stronger-akira"


def shuffled_round(questions: list[Question], count: int, rng: random.Random) -> list[Question]:
    """How rounds were picked before the rule, kept here only as the baseline."""
    pool = [question for question in questions if question.choices]
    rng.shuffle(pool)
    first: list[Question] = []
    again: list[Question] = []
    seen: set[str] = set()
    for question in pool:
        if question.fact_id is not None and question.fact_id in seen:
            again.append(question)
        else:
            first.append(question)
            seen.add(question.fact_id or "")
    return (first + again)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5_000)
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args()

    catalog, _ = Catalog.from_folder(BUILTIN_PACKS_DIR)
    pack = catalog.pack(PACK)
    assert pack is not None, f"the seed pack {PACK} is missing"
    questions = list(catalog.questions(PACK))

    rng = random.Random(2026)
    with_giveaway = short_rounds = 0
    for _ in range(args.rounds):
        picked = pick_questions(questions, args.questions, rng, need_choices=True)
        short_rounds += len(picked) < args.questions
        with_giveaway += bool(giveaways(opening_title(pack.title, picked), picked))

    baseline_rng = random.Random(2026)
    baseline = baseline_prompts = 0
    for _ in range(args.rounds):
        picked = shuffled_round(questions, args.questions, baseline_rng)
        baseline += bool(giveaways(pack.title, picked))
        baseline_prompts += bool(giveaways("", picked))

    share = with_giveaway / args.rounds
    baseline_share = baseline / args.rounds
    print(f"{args.rounds} rounds of {args.questions} questions from {PACK} ({len(questions)} questions)")
    print(f"  with a giveaway: {share:.0%} ({with_giveaway} rounds); rounds shorter than asked: {short_rounds}")
    print(
        f"  baseline (plain shuffle, pack title as the opening): {baseline_share:.0%}; "
        f"from the prompts alone: {baseline_prompts / args.rounds:.0%}"
    )
    print(
        json.dumps(
            {
                "bench": "giveaways",
                "pack": PACK,
                "rounds": args.rounds,
                "questions_per_round": args.questions,
                "share_with_giveaway": share,
                "short_rounds": short_rounds,
                "baseline_share_with_giveaway": baseline_share,
                "baseline_share_from_prompts": baseline_prompts / args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
