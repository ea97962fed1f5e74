"""Facts become questions through the relation templates, with plausible, never-true distractors.

Generation is deterministic: the same packs always give the same questions, options and ids, because
scores and statistics refer to question ids and must survive a regeneration. Ids hash the fact and the
template's direction, not its wording, so rewording a template keeps every id.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.trivia.answers import normalise
from bot.trivia.model import Entity, Fact, Pack, Question
from bot.trivia.relations import RELATIONS, display_name, kind_noun

OPTIONS_PER_QUESTION = 4
YEAR_SPREAD = 6


@dataclass(frozen=True)
class _Ask:
    """One direction of one fact: which entity the prompt names, and which it asks for."""

    fact: Fact
    asks_for_object: bool


def question_id(pack_id: str, key: str) -> str:
    digest = hashlib.sha1(f"{pack_id}|{key}".encode()).hexdigest()[:12]
    return f"{pack_id}/{digest}"


def generate_questions(pack: Pack, other_packs: Sequence[Pack] = ()) -> list[Question]:
    """Every question a pack yields: generated ones in fact order, then the hand-written ones."""
    entities = {entity.id: entity for entity in pack.entities}
    pools = _DistractorPools(pack, other_packs)
    questions: list[Question] = []
    for fact in pack.facts:
        relation = RELATIONS[fact.relation]
        if relation.ask_object:
            questions.append(_question(pack, _Ask(fact, True), entities, pools))
        if relation.ask_subject:
            questions.append(_question(pack, _Ask(fact, False), entities, pools))
    for written in pack.questions:
        questions.append(
            Question(
                id=f"{pack.id}/{written.id}",
                prompt=written.prompt,
                answers=written.answers,
                choices=written.choices,
                fact_id=None,
                quote=written.quote,
                source_title=pack.source.title,
                pack_id=pack.id,
                note=written.note,
            )
        )
    return questions


def _question(pack: Pack, ask: _Ask, entities: dict[str, Entity], pools: _DistractorPools) -> Question:
    fact = ask.fact
    relation = RELATIONS[fact.relation]
    subject = entities[fact.subject]
    obj = None if relation.object_is_year else entities[fact.object]
    template = relation.ask_object if ask.asks_for_object else relation.ask_subject
    assert template is not None
    direction = "object" if ask.asks_for_object else "subject"
    qid = question_id(pack.id, f"{fact.id}|{direction}")
    rng = random.Random(qid)

    # Other true answers to the same question: named in the prompt ("Besides X, ...") so the question
    # has exactly one answer, and kept out of the options.
    if ask.asks_for_object:
        siblings = [f.object for f in pack.facts if f.subject == fact.subject and f.relation == fact.relation]
        right_id = fact.object
    else:
        siblings = [f.subject for f in pack.facts if f.object == fact.object and f.relation == fact.relation]
        right_id = fact.subject
    right_kind = "year" if relation.object_is_year and ask.asks_for_object else entities[right_id].kind
    others = [s for s in siblings if s != right_id and entities[s].kind == right_kind]

    prompt = template.format(
        subject=display_name(subject),
        object=display_name(obj) if obj else fact.object,
        subject_kind=kind_noun(subject.kind),
        object_kind=kind_noun(obj.kind) if obj else "year",
    )
    if others:
        named = _list_names([display_name(entities[other]) for other in others])
        prompt = f"Besides {named}, {prompt[0].lower()}{prompt[1:]}"
    prompt = prompt[0].upper() + prompt[1:]

    if relation.object_is_year and ask.asks_for_object:
        answers: tuple[str, ...] = (fact.object,)
        distractors = _year_distractors(int(fact.object), rng)
    else:
        right = entities[right_id]
        answers = right.names
        named = fact.subject if ask.asks_for_object else fact.object
        # Anything the pack links to the entity the prompt names could be argued right ("Who is
        # "Stronger" by?" must not offer Daft Punk, whom it samples), so none of it is a wrong option.
        linked = {f.object if f.subject == named else f.subject for f in pack.facts if named in (f.subject, f.object)}
        excluded = {
            normalise(name)
            for other in (*siblings, *linked, named)
            if other in entities
            for name in entities[other].names
        }
        distractors = pools.pick(right.kind, excluded, rng)
    choices: tuple[str, ...] = ()
    if distractors:
        options = [answers[0], *distractors]
        rng.shuffle(options)
        choices = tuple(options)
    return Question(
        id=qid,
        prompt=prompt,
        answers=answers,
        choices=choices,
        fact_id=fact.id,
        quote=fact.quote,
        source_title=pack.source.title,
        pack_id=pack.id,
        note=fact.note,
    )


def _list_names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _year_distractors(year: int, rng: random.Random) -> list[str]:
    nearby = [y for y in range(year - YEAR_SPREAD, year + YEAR_SPREAD + 1) if y != year]
    return [str(y) for y in rng.sample(nearby, OPTIONS_PER_QUESTION - 1)]


class _DistractorPools:
    """Wrong options by kind: this pack's entities first, then other packs', then the pack's own lists.

    A name that is true anywhere in this pack for the same question never gets in, because callers
    exclude the answer's siblings; a name equal to the prompt's own entity is excluded too.
    """

    def __init__(self, pack: Pack, other_packs: Iterable[Pack]):
        self._tiers: list[dict[str, list[str]]] = []
        self._tiers.append(_names_by_kind(pack.entities))
        others = [entity for other in other_packs if other.id != pack.id for entity in other.entities]
        self._tiers.append(_names_by_kind(others))
        self._tiers.append({kind: list(names) for kind, names in pack.distractors.items()})

    def pick(self, kind: str, excluded: set[str], rng: random.Random) -> list[str]:
        wanted = OPTIONS_PER_QUESTION - 1
        chosen: list[str] = []
        seen = set(excluded)
        for tier in self._tiers:
            candidates = [name for name in tier.get(kind, []) if normalise(name) not in seen]
            rng.shuffle(candidates)
            for name in candidates:
                key = normalise(name)
                if key in seen:
                    continue
                seen.add(key)
                chosen.append(name)
                if len(chosen) == wanted:
                    return chosen
        return chosen


def _names_by_kind(entities: Iterable[Entity]) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for entity in entities:
        by_kind[entity.kind].append(entity.name)
    return by_kind
