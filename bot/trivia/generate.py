"""Facts become questions through the relation templates, with plausible, never-true distractors.

Generation is deterministic: the same packs always give the same questions, options and ids, because
scores and statistics refer to question ids and must survive a regeneration. Ids hash the fact and the
template's direction, not its wording, so rewording a template keeps every id.

Generation is linear in the size of the packs: facts are indexed by (entity, relation) and by entity
once, every distractor name is normalised once, and a question draws its wrong options by sampling a
pool and skipping what it must exclude, instead of scanning the whole pool.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.trivia.answers import normalise
from bot.trivia.model import Fact, Pack, Question
from bot.trivia.relations import RELATIONS, display_name, kind_noun

OPTIONS_PER_QUESTION = 4
YEAR_SPREAD = 6
# A pool this small is filtered and shuffled whole, which also keeps small packs' options exactly as
# they were before sampling existed; a larger pool is sampled, so a question costs the same at any size.
SMALL_POOL = 16
SAMPLE_ATTEMPTS = 32
YEAR_KIND = "year"


@dataclass(frozen=True)
class DistractorName:
    """A name a pack lends to other packs as a wrong option: all generation needs, cheap to pickle."""

    pack_id: str
    kind: str
    name: str


@dataclass(frozen=True)
class _Candidate:
    pack_id: str
    name: str
    key: str  # the normalised name, computed once


@dataclass(frozen=True)
class _Ask:
    """One direction of one fact: which entity the prompt names, and which it asks for."""

    fact: Fact
    asks_for_object: bool


def question_id(pack_id: str, key: str) -> str:
    digest = hashlib.sha1(f"{pack_id}|{key}".encode()).hexdigest()[:12]
    return f"{pack_id}/{digest}"


def distractor_names(packs: Iterable[Pack]) -> list[DistractorName]:
    return [DistractorName(pack.id, entity.kind, entity.name) for pack in packs for entity in pack.entities]


def generate_questions(pack: Pack, other_packs: Sequence[Pack] = ()) -> list[Question]:
    """Every question a pack yields: generated ones in fact order, then the hand-written ones."""
    return generate_catalog([pack], distractor_names(other_packs))[pack.id]


def generate_catalog(packs: Sequence[Pack], lent: Iterable[DistractorName]) -> dict[str, list[Question]]:
    """Each pack's questions. ``lent`` names may come from any pack; a pack never borrows its own."""
    lent_by_kind = _pool_by_kind((name.kind, name.pack_id, name.name) for name in lent)
    return {pack.id: _PackGenerator(pack, lent_by_kind).questions() for pack in packs}


def _pool_by_kind(names: Iterable[tuple[str, str, str]]) -> dict[str, list[_Candidate]]:
    by_kind: dict[str, list[_Candidate]] = defaultdict(list)
    for kind, pack_id, name in names:
        by_kind[kind].append(_Candidate(pack_id, name, normalise(name)))
    return by_kind


class _PackGenerator:
    def __init__(self, pack: Pack, lent_by_kind: dict[str, list[_Candidate]]):
        self.pack = pack
        self.entities = {entity.id: entity for entity in pack.entities}
        self.objects_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.subjects_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.linked: dict[str, list[str]] = defaultdict(list)
        for fact in pack.facts:
            self.objects_of[fact.subject, fact.relation].append(fact.object)
            self.subjects_of[fact.object, fact.relation].append(fact.subject)
            self.linked[fact.subject].append(fact.object)
            if fact.object != fact.subject:
                self.linked[fact.object].append(fact.subject)
        # Wrong options by kind: this pack's entities first, then other packs', then the pack's own lists.
        self.tiers = (
            _pool_by_kind((entity.kind, pack.id, entity.name) for entity in pack.entities),
            lent_by_kind,
            _pool_by_kind((kind, pack.id, name) for kind, names in pack.distractors.items() for name in names),
        )
        self._sibling_keys: dict[tuple[bool, str, str], frozenset[str]] = {}
        self._linked_keys: dict[str, frozenset[str]] = {}
        self._keys_by_entity: dict[str, frozenset[str]] = {}
        self._year_relations = frozenset(name for name, relation in RELATIONS.items() if relation.object_is_year)

    def questions(self) -> list[Question]:
        pack = self.pack
        questions: list[Question] = []
        for fact in pack.facts:
            relation = RELATIONS[fact.relation]
            if relation.ask_object:
                questions.append(self.question(_Ask(fact, True)))
            if relation.ask_subject:
                questions.append(self.question(_Ask(fact, False)))
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
                    attribution=pack.source.attribution,
                )
            )
        return questions

    def question(self, ask: _Ask) -> Question:
        pack, entities, fact = self.pack, self.entities, ask.fact
        relation = RELATIONS[fact.relation]
        is_year = fact.relation in self._year_relations
        subject = entities[fact.subject]
        obj = None if is_year else entities[fact.object]
        template = relation.ask_object if ask.asks_for_object else relation.ask_subject
        assert template is not None
        direction = "object" if ask.asks_for_object else "subject"
        qid = question_id(pack.id, f"{fact.id}|{direction}")
        rng = random.Random(qid)
        asks_for_year = is_year and ask.asks_for_object

        # Other true answers to the same question: named in the prompt ("Besides X, ...") so the question
        # has exactly one answer, and kept out of the options.
        if ask.asks_for_object:
            siblings = self.objects_of[fact.subject, fact.relation]
            right_id, named = fact.object, fact.subject
        else:
            siblings = self.subjects_of[fact.object, fact.relation]
            right_id, named = fact.subject, fact.object
        if asks_for_year:
            others = [year for year in siblings if year != right_id]
            other_names = others
        else:
            right_kind = entities[right_id].kind
            others = [s for s in siblings if s != right_id and s in entities and entities[s].kind == right_kind]
            other_names = [display_name(entities[other]) for other in others]

        prompt = template.format(
            subject=display_name(subject),
            object=display_name(obj) if obj else fact.object,
            subject_kind=kind_noun(subject.kind),
            object_kind=kind_noun(obj.kind) if obj else YEAR_KIND,
        )
        if others:
            prompt = f"Besides {_list_names(other_names)}, {prompt[0].lower()}{prompt[1:]}"
        prompt = prompt[0].upper() + prompt[1:]

        if asks_for_year:
            answers: tuple[str, ...] = (fact.object,)
            distractors = _year_distractors(int(fact.object), rng, set(siblings))
        else:
            right = entities[right_id]
            answers = right.names
            # Anything the pack links to the entity the prompt names could be argued right ("Who is
            # "Stronger" by?" must not offer Daft Punk, whom it samples), so none of it is a wrong option.
            sibling_keys = self._sibling_keys.get((ask.asks_for_object, named, fact.relation))
            if sibling_keys is None:
                sibling_keys = self._sibling_keys[ask.asks_for_object, named, fact.relation] = self._keys_of(siblings)
            linked_keys = self._linked_keys.get(named)
            if linked_keys is None:
                linked_keys = self._linked_keys[named] = self._keys_of([*self.linked[named], named])
            distractors = self._pick(right.kind, sibling_keys, linked_keys, rng)
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
            attribution=pack.source.attribution,
        )

    def _keys_of(self, entity_ids: Iterable[str]) -> frozenset[str]:
        """Every normalised name of these entities (years and unknown ids have none)."""
        sets = [self._entity_keys(entity_id) for entity_id in entity_ids]
        return sets[0] if len(sets) == 1 else frozenset().union(*sets)

    def _entity_keys(self, entity_id: str) -> frozenset[str]:
        keys = self._keys_by_entity.get(entity_id)
        if keys is None:
            entity = self.entities.get(entity_id)
            keys = frozenset(normalise(name) for name in entity.names) if entity else frozenset()
            self._keys_by_entity[entity_id] = keys
        return keys

    def _pick(
        self, kind: str, sibling_keys: frozenset[str], linked_keys: frozenset[str], rng: random.Random
    ) -> list[str]:
        """Up to three distinct wrong options: none a sibling of the answer, none linked to the prompt's entity."""
        wanted = OPTIONS_PER_QUESTION - 1
        chosen: list[str] = []
        chosen_keys: set[str] = set()

        def usable(candidate: _Candidate, skip_pack: str | None) -> bool:
            key = candidate.key
            return (
                candidate.pack_id != skip_pack
                and key not in chosen_keys
                and key not in sibling_keys
                and key not in linked_keys
            )

        for tier_number, tier in enumerate(self.tiers):
            pool = tier.get(kind)
            if not pool:
                continue
            # Only other packs' tier holds this pack's names too, and those it must skip.
            skip_pack = self.pack.id if tier_number == 1 else None
            if len(pool) > SMALL_POOL:
                size = len(pool)
                for _ in range(SAMPLE_ATTEMPTS):
                    candidate = pool[int(rng.random() * size)]
                    if usable(candidate, skip_pack):
                        chosen.append(candidate.name)
                        chosen_keys.add(candidate.key)
                        if len(chosen) == wanted:
                            return chosen
            # A small pool, or a large one mostly excluded (sampling failed many times): go through it all.
            candidates = [candidate for candidate in pool if usable(candidate, skip_pack)]
            rng.shuffle(candidates)
            for candidate in candidates:
                if candidate.key not in chosen_keys:
                    chosen.append(candidate.name)
                    chosen_keys.add(candidate.key)
                    if len(chosen) == wanted:
                        return chosen
        return chosen


def _list_names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _year_distractors(year: int, rng: random.Random, true_years: set[str]) -> list[str]:
    nearby = [y for y in range(year - YEAR_SPREAD, year + YEAR_SPREAD + 1) if y != year and str(y) not in true_years]
    return [str(y) for y in rng.sample(nearby, min(len(nearby), OPTIONS_PER_QUESTION - 1))]
