"""Measure the drafter on the seed article against the hand-written seed pack: recall and precision.

Run with ``python bench/draft_quality.py``. A fact is compared as subject-relation-object, each end
matched by name or alias (never by id, which the drafter makes up itself):

* recall: the share of the seed pack's facts that the draft proposes;
* precision: the share of the draft's facts that are right, i.e. in the seed pack or in
  ``draft_quality_extra_facts.yaml`` beside this script (true facts of the article the seed pack does
  not hold, each checked by hand against the article).

The last line printed is one JSON object with both figures.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.authoring.draft import Draft, draft_pack  # noqa: E402
from bot.authoring.text import article_from_text  # noqa: E402
from bot.trivia.answers import normalise  # noqa: E402
from bot.trivia.packs import load_pack_file  # noqa: E402

SEED_PACK = ROOT / "questions" / "kanye-stronger-akira.yaml"
SEED_ARTICLE = ROOT / "questions" / "kanye-stronger-akira.txt"
EXTRA_FACTS = Path(__file__).resolve().parent / "draft_quality_extra_facts.yaml"


@dataclass(frozen=True)
class Claim:
    subject: frozenset[str]  # every normalised name the subject goes by
    relation: str
    object: frozenset[str]
    shown: str

    def same_as(self, other: Claim) -> bool:
        return (
            self.relation == other.relation and bool(self.subject & other.subject) and bool(self.object & other.object)
        )


@dataclass(frozen=True)
class Quality:
    recall: float
    precision: float
    found: tuple[str, ...]
    missed: tuple[str, ...]
    wrong: tuple[str, ...]


def _names(*names: str) -> frozenset[str]:
    return frozenset(normalise(name) for name in names if normalise(name))


def seed_claims() -> list[Claim]:
    pack = load_pack_file(SEED_PACK)
    names = {entity.id: _names(entity.name, *entity.aliases) for entity in pack.entities}
    return [
        Claim(
            names[fact.subject],
            fact.relation,
            names.get(fact.object, _names(fact.object)),
            f"{fact.subject} {fact.relation} {fact.object}",
        )
        for fact in pack.facts
    ]


def extra_claims() -> list[Claim]:
    entries = yaml.safe_load(EXTRA_FACTS.read_text(encoding="utf-8")) or []
    return [
        Claim(
            _names(*entry["subject"]),
            entry["relation"],
            _names(*map(str, entry["object"])),
            f"{entry['subject'][0]} {entry['relation']} {entry['object'][0]}",
        )
        for entry in entries
    ]


def draft_claims(draft: Draft) -> list[Claim]:
    entities = {entity.id: entity for entity in draft.entities}

    def names(ref: str) -> frozenset[str]:
        entity = entities.get(ref)
        return _names(entity.name, *entity.aliases) if entity else _names(ref)

    return [
        Claim(names(fact.subject), fact.relation, names(fact.object), f"{fact.subject} {fact.relation} {fact.object}")
        for fact in draft.facts
    ]


def measure(draft: Draft | None = None) -> Quality:
    draft = draft or draft_pack(article_from_text(SEED_ARTICLE.read_text(encoding="utf-8")))
    seed, extra, proposed = seed_claims(), extra_claims(), draft_claims(draft)
    found = [claim for claim in seed if any(claim.same_as(mine) for mine in proposed)]
    missed = [claim for claim in seed if claim not in found]
    right = [mine for mine in proposed if any(mine.same_as(known) for known in seed + extra)]
    wrong = [mine for mine in proposed if mine not in right]
    return Quality(
        recall=len(found) / len(seed),
        precision=len(right) / len(proposed) if proposed else 0.0,
        found=tuple(claim.shown for claim in found),
        missed=tuple(claim.shown for claim in missed),
        wrong=tuple(claim.shown for claim in wrong),
    )


def main() -> None:
    quality = measure()
    seed_count = len(quality.found) + len(quality.missed)
    print(f"seed pack facts found by the draft: {len(quality.found)} of {seed_count}")
    for shown in quality.missed:
        print(f"  missed: {shown}")
    for shown in quality.wrong:
        print(f"  wrong:  {shown}")
    print(f"recall {quality.recall:.1%}  precision {quality.precision:.1%}")
    print(
        json.dumps(
            {
                "recall": round(quality.recall, 4),
                "precision": round(quality.precision, 4),
                "seed_facts": seed_count,
                "missed": len(quality.missed),
                "wrong": len(quality.wrong),
            }
        )
    )


if __name__ == "__main__":
    main()
