"""Facts become questions through the relation templates, with plausible, never-true distractors.

Generation is deterministic: the same packs always give the same questions, options and ids, because
scores and statistics refer to question ids and must survive a regeneration. Ids hash the fact and the
template's direction, not its wording, so rewording a template keeps every id.

Generation is linear in the size of the packs: facts are indexed by (entity, relation) and by entity
once, every distractor name is normalised once, and a question draws its wrong options by sampling a
pool and skipping what it must exclude, instead of scanning the whole pool.

Each question's randomness (which wrong options, in which order) is a stream seeded from the hash that
names the question, so it depends on the question alone: adding or removing other facts or packs never
reshuffles a question's options.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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


# A name in a pool of wrong options: (pack id, name, normalised name computed once).
_Candidate = tuple[str, str, str]


_MASK64 = (1 << 64) - 1
_UNIT = 2.0**-53


class QuestionRandom:
    """A question's own random stream, seeded from the question's id hash.

    ``random.Random`` costs about 7 us to seed (the Mersenne Twister's state is 2.5 KB), more than all
    the draws a question makes. This is Knuth's 64-bit linear congruential generator (MMIX), read
    from its top 53 bits, the well-mixed ones: plenty for shuffling a handful of options, and two
    integer operations a draw. Only what generation uses is here.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int):
        self._state = seed & _MASK64

    def random(self) -> float:
        """A float in [0, 1)."""
        self._state = state = (self._state * 6364136223846793005 + 1442695040888963407) & _MASK64
        return (state >> 11) * _UNIT

    def shuffle(self, items: list) -> None:
        """Fisher-Yates, in place."""
        for last in range(len(items) - 1, 0, -1):
            other = int(self.random() * (last + 1))
            items[last], items[other] = items[other], items[last]

    def sample(self, items: Sequence, count: int) -> list:
        """``count`` distinct picks from ``items``, in the order drawn."""
        pool = list(items)
        for position in range(count):
            other = position + int(self.random() * (len(pool) - position))
            pool[position], pool[other] = pool[other], pool[position]
        return pool[:count]


def question_id(pack_id: str, key: str) -> str:
    return f"{pack_id}/{_id_hash(pack_id, key)[:6].hex()}"


def _id_hash(pack_id: str, key: str) -> bytes:
    """The hash a generated question is named by (its first 6 bytes) and seeded from (the next 8)."""
    return hashlib.sha1(f"{pack_id}|{key}".encode()).digest()


def distractor_names(packs: Iterable[Pack]) -> list[DistractorName]:
    return [DistractorName(pack.id, entity.kind, entity.name) for pack in packs for entity in pack.entities]


def generate_questions(pack: Pack, other_packs: Sequence[Pack] = ()) -> list[Question]:
    """Every question a pack yields: generated ones in fact order, then the hand-written ones."""
    return generate_catalog([pack], distractor_names(other_packs))[pack.id]


def generate_catalog(packs: Sequence[Pack], lent: Iterable[DistractorName]) -> dict[str, list[Question]]:
    """Each pack's questions. ``lent`` names may come from any pack; a pack never borrows its own."""
    with _collector_paused():
        keys = _NormalisedNames()
        lent_by_kind = _pool_by_kind(((name.kind, name.pack_id, name.name) for name in lent), keys)
        return {pack.id: _PackGenerator(pack, lent_by_kind, keys).questions() for pack in packs}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Generation makes no reference cycles, only many objects that live on; the cycle collector would
    walk the whole growing heap again and again for nothing (15% of a 100,000-entity catalog)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _NormalisedNames(dict):
    """Each name's normal form, worked out once for the whole catalog: lent names are most of the
    packs' own entity names again."""

    def __missing__(self, name: str) -> str:
        key = self[name] = normalise(name)
        return key


def _pool_by_kind(names: Iterable[tuple[str, str, str]], keys: _NormalisedNames) -> dict[str, list[_Candidate]]:
    by_kind: dict[str, list[_Candidate]] = defaultdict(list)
    for kind, pack_id, name in names:
        by_kind[kind].append((pack_id, name, keys[name]))
    return by_kind


class _PackGenerator:
    def __init__(self, pack: Pack, lent_by_kind: dict[str, list[_Candidate]], keys: _NormalisedNames):
        self.pack = pack
        self._keys = keys
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
            _pool_by_kind(((entity.kind, pack.id, entity.name) for entity in pack.entities), keys),
            lent_by_kind,
            _pool_by_kind(((kind, pack.id, name) for kind, names in pack.distractors.items() for name in names), keys),
        )
        self._sibling_keys: dict[tuple[bool, str, str], frozenset[str]] = {}
        self._linked_keys: dict[str, frozenset[str]] = {}
        self._keys_by_entity: dict[str, frozenset[str]] = {}
        self._year_relations = frozenset(name for name, relation in RELATIONS.items() if relation.object_is_year)
        self._display = {entity.id: display_name(entity) for entity in pack.entities}

    def questions(self) -> list[Question]:
        pack = self.pack
        questions: list[Question] = []
        for fact in pack.facts:
            relation = RELATIONS[fact.relation]
            if relation.ask_object:
                questions.append(self.question(fact, relation.ask_object, True))
            if relation.ask_subject:
                questions.append(self.question(fact, relation.ask_subject, False))
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

    def question(self, fact: Fact, template: str, asks_for_object: bool) -> Question:
        """The question asking for the fact's object (``asks_for_object``) or its subject."""
        pack, entities = self.pack, self.entities
        is_year = fact.relation in self._year_relations
        digest = _id_hash(pack.id, f"{fact.id}|{'object' if asks_for_object else 'subject'}")
        qid = f"{pack.id}/{digest[:6].hex()}"
        rng = QuestionRandom(int.from_bytes(digest[6:14], "big"))
        asks_for_year = is_year and asks_for_object

        # Other true answers to the same question: named in the prompt ("Besides X, ...") so the question
        # has exactly one answer, and kept out of the options.
        if asks_for_object:
            siblings = self.objects_of[fact.subject, fact.relation]
            right_id, named = fact.object, fact.subject
        else:
            siblings = self.subjects_of[fact.object, fact.relation]
            right_id, named = fact.subject, fact.object
        others: list[str] = []
        if len(siblings) > 1:
            if asks_for_year:
                others = [year for year in siblings if year != right_id]
            else:
                right_kind = entities[right_id].kind
                others = [
                    self._display[s]
                    for s in siblings
                    if s != right_id and s in entities and entities[s].kind == right_kind
                ]

        subject = entities[fact.subject]
        obj = None if is_year else entities[fact.object]
        prompt = template.format(
            subject=self._display[fact.subject],
            object=self._display[fact.object] if obj else fact.object,
            subject_kind=kind_noun(subject.kind),
            object_kind=kind_noun(obj.kind) if obj else YEAR_KIND,
        )
        if others:
            prompt = f"Besides {_list_names(others)}, {prompt[0].lower()}{prompt[1:]}"
        prompt = prompt[0].upper() + prompt[1:]

        if asks_for_year:
            answers: tuple[str, ...] = (fact.object,)
            distractors = _year_distractors(int(fact.object), rng, set(siblings))
        else:
            right = entities[right_id]
            answers = right.names
            # Anything the pack links to the entity the prompt names could be argued right ("Who is
            # "Stronger" by?" must not offer Daft Punk, whom it samples), so none of it is a wrong option.
            if len(siblings) == 1:  # the answer alone, as for most facts
                sibling_keys = self._entity_keys(right_id)
            else:
                sibling_keys = self._sibling_keys.get((asks_for_object, named, fact.relation))
                if sibling_keys is None:
                    sibling_keys = self._keys_of(siblings)
                    self._sibling_keys[asks_for_object, named, fact.relation] = sibling_keys
            linked_keys = self._linked_keys.get(named)
            if linked_keys is None:
                linked_keys = self._linked_keys[named] = self._keys_of([*self.linked[named], named])
            distractors = self._pick(right.kind, sibling_keys, linked_keys, rng)
        choices: tuple[str, ...] = ()
        if distractors:
            distractors.append(answers[0])
            rng.shuffle(distractors)
            choices = tuple(distractors)
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
            keys = frozenset(self._keys[name] for name in entity.names) if entity else frozenset()
            self._keys_by_entity[entity_id] = keys
        return keys

    def _pick(
        self, kind: str, sibling_keys: frozenset[str], linked_keys: frozenset[str], rng: QuestionRandom
    ) -> list[str]:
        """Up to three distinct wrong options: none a sibling of the answer, none linked to the prompt's entity."""
        wanted = OPTIONS_PER_QUESTION - 1
        chosen: list[str] = []
        chosen_keys: set[str] = set()
        for tier_number, tier in enumerate(self.tiers):
            pool = tier.get(kind)
            if not pool:
                continue
            # Only other packs' tier holds this pack's names too, and those it must skip.
            skip_pack = self.pack.id if tier_number == 1 else None
            if len(pool) > SMALL_POOL:
                size = len(pool)
                for _ in range(SAMPLE_ATTEMPTS):
                    pack_id, name, key = pool[int(rng.random() * size)]
                    if (
                        pack_id != skip_pack
                        and key not in chosen_keys
                        and key not in sibling_keys
                        and key not in linked_keys
                    ):
                        chosen.append(name)
                        chosen_keys.add(key)
                        if len(chosen) == wanted:
                            return chosen
            # A small pool, or a large one mostly excluded (sampling failed many times): go through it all.
            candidates = [
                (name, key)
                for pack_id, name, key in pool
                if pack_id != skip_pack and key not in sibling_keys and key not in linked_keys
            ]
            rng.shuffle(candidates)
            for name, key in candidates:
                if key not in chosen_keys:
                    chosen.append(name)
                    chosen_keys.add(key)
                    if len(chosen) == wanted:
                        return chosen
        return chosen


def _list_names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _year_distractors(year: int, rng: QuestionRandom, true_years: set[str]) -> list[str]:
    nearby = [y for y in range(year - YEAR_SPREAD, year + YEAR_SPREAD + 1) if y != year and str(y) not in true_years]
    return [str(y) for y in rng.sample(nearby, min(len(nearby), OPTIONS_PER_QUESTION - 1))]
