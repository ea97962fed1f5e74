"""Synthetic packs for the benchmarks: pronounceable names, real kinds and relations, seeded.

Packs are built as the project's own value objects (``Pack``, ``Entity``, ``Fact``) or as pack YAML
that ``parse_pack`` reads, so the benchmarks time the code the bot runs.
"""

from __future__ import annotations

import json
import random

from bot.trivia.model import Entity, Fact, Pack, Source
from bot.trivia.packs import fact_id
from bot.trivia.relations import KINDS, RELATIONS

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "sh", "ch", "qu", "x"]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))).capitalize()


def entity_name(rng: random.Random, vocabulary: list[str]) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))))


def _relation_for(subject_kind: str, object_kind: str) -> list[str]:
    """Relations whose declared kinds (where the table declares them) fit the two ends."""
    fitting = []
    for name, relation in RELATIONS.items():
        subject_kinds = getattr(relation, "subject_kinds", None)
        object_kinds = getattr(relation, "object_kinds", None)
        if relation.object_is_year:
            continue
        if subject_kinds and subject_kind not in subject_kinds:
            continue
        if object_kinds and object_kind not in object_kinds:
            continue
        fitting.append(name)
    return fitting


def build_packs(
    entities: int, facts: int, *, per_pack: int = 500, seed: int = 1, with_source: bool = False
) -> list[Pack]:
    """``entities`` entities and about ``facts`` facts spread over packs of ``per_pack`` entities."""
    rng = random.Random(seed)
    vocabulary = sorted({word(rng) for _ in range(max(200, entities // 20))})
    kinds = sorted(KINDS)
    packs = []
    pack_count = max(1, entities // per_pack)
    facts_per_pack = facts // pack_count
    for number in range(pack_count):
        members = [
            Entity(
                f"p{number}-e{index}",
                entity_name(rng, vocabulary),
                rng.choice(kinds),
                (entity_name(rng, vocabulary),) if rng.random() < 0.2 else (),
                rng.randint(1950, 2020) if rng.random() < 0.5 else None,
            )
            for index in range(per_pack if number < pack_count - 1 else entities - per_pack * (pack_count - 1))
        ]
        pack_facts: dict[str, Fact] = {}
        lines = []
        attempts = 0
        while len(pack_facts) < facts_per_pack and attempts < facts_per_pack * 20:
            attempts += 1
            subject, obj = rng.sample(members, 2)
            if rng.random() < 0.1:
                relation, target = "released_in", str(rng.randint(1950, 2020))
                if (
                    getattr(RELATIONS[relation], "subject_kinds", None)
                    and subject.kind not in RELATIONS[relation].subject_kinds
                ):
                    continue
                if any(key.startswith(f"{subject.id}:released_in:") for key in pack_facts):
                    continue
                target_name = target
            else:
                fitting = _relation_for(subject.kind, obj.kind)
                if not fitting:
                    continue
                relation, target, target_name = rng.choice(fitting), obj.id, obj.name
            key = fact_id(subject.id, relation, target)
            if key in pack_facts:
                continue
            quote = f"{subject.name} {RELATIONS[relation].label} {target_name} number {len(pack_facts)}"
            lines.append(quote + ".")
            pack_facts[key] = Fact(key, subject.id, relation, target, quote)
        text = " ".join(lines) if with_source else "synthetic"
        packs.append(
            Pack(
                f"synthetic-{number}",
                f"Synthetic {number}",
                Source("Synthetic", text),
                tuple(members),
                tuple(pack_facts.values()),
            )
        )
    return packs


def pack_yaml(pack: Pack) -> str:
    """The pack as YAML ``parse_pack`` reads (JSON-quoted scalars; the source text inline)."""
    lines = [
        f"id: {pack.id}",
        f"title: {json.dumps(pack.title)}",
        "source:",
        f"  title: {json.dumps(pack.source.title)}",
        f"  text: {json.dumps(pack.source.text)}",
        "entities:",
    ]
    for entity in pack.entities:
        fields = {"id": entity.id, "name": entity.name, "kind": entity.kind}
        if entity.aliases:
            fields["aliases"] = list(entity.aliases)
        if entity.year:
            fields["year"] = entity.year
        lines.append(f"  - {json.dumps(fields)}")
    lines.append("facts:")
    for fact in pack.facts:
        obj = int(fact.object) if RELATIONS[fact.relation].object_is_year else fact.object
        fields = {"subject": fact.subject, "relation": fact.relation, "object": obj, "quote": fact.quote}
        lines.append(f"  - {json.dumps(fields)}")
    return "\n".join(lines) + "\n"
