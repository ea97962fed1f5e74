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

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache, partial
from itertools import chain, repeat
from string import Formatter
from typing import NamedTuple

from bot.collector import collector_paused
from bot.trivia.answers import normalise
from bot.trivia.model import Fact, Pack, Question
from bot.trivia.relations import RELATIONS, Relation, display_name, kind_noun

OPTIONS_PER_QUESTION = 4
YEAR_SPREAD = 6
# A pool this small is filtered and shuffled whole, which also keeps small packs' options exactly as
# they were before sampling existed; a larger pool is sampled, so a question costs the same at any size.
SMALL_POOL = 16
SAMPLE_ATTEMPTS = 32
YEAR_KIND = "year"


class DistractorName(NamedTuple):
    """A name a pack lends to other packs as a wrong option: all generation needs, cheap to pickle.

    A named tuple, as ``Question`` is: every upload ships the built-in packs' names (100,000 for a
    large catalog) to the pack worker, and a tuple is built and pickled several times faster."""

    pack_id: str
    kind: str
    name: str


# Question's fields in order, as a tuple, make a Question without the Python-level __new__ a named
# tuple has (a frame a question). Only for values in field order, all ten of them.
_new_question = partial(tuple.__new__, Question)
assert len(Question._fields) == 10

# A name in a pool of wrong options: (pack id, name, normalised name computed once).
_Candidate = tuple[str, str, str]


_MASK64 = (1 << 64) - 1
_UNIT = 2.0**-53
_LCG_MULTIPLIER = 6364136223846793005
_LCG_INCREMENT = 1442695040888963407


class QuestionRandom:
    """A question's own random stream, seeded from the question's id hash.

    ``random.Random`` costs about 7 us to seed (the Mersenne Twister's state is 2.5 KB), more than all
    the draws a question makes. This is Knuth's 64-bit linear congruential generator (MMIX), read
    from its top 53 bits, the well-mixed ones: plenty for shuffling a handful of options, and two
    integer operations a draw. Only what generation uses is here.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int = 0):
        self._state = seed & _MASK64

    def reseed(self, seed: int) -> None:
        """Start the stream of ``QuestionRandom(seed)`` over, in this object: generation reuses one
        object for every question (making one was a tenth of the work, a Python ``__init__`` a call)."""
        self._state = seed & _MASK64

    def random(self) -> float:
        """A float in [0, 1)."""
        self._state = state = (self._state * _LCG_MULTIPLIER + _LCG_INCREMENT) & _MASK64
        return (state >> 11) * _UNIT

    # shuffle and sample (and the generator's _pick) step the stream inline, exactly as ``random``
    # does: a method call a draw was a tenth of a catalog's generation time.

    def shuffle(self, items: list) -> None:
        """Fisher-Yates, in place."""
        state = self._state
        for last in range(len(items) - 1, 0, -1):
            state = (state * _LCG_MULTIPLIER + _LCG_INCREMENT) & _MASK64
            other = int((state >> 11) * _UNIT * (last + 1))
            items[last], items[other] = items[other], items[last]
        self._state = state

    def sample(self, items: Sequence, count: int) -> list:
        """``count`` distinct picks from ``items``, in the order drawn."""
        pool = list(items)
        size = len(pool)
        state = self._state
        for position in range(count):
            state = (state * _LCG_MULTIPLIER + _LCG_INCREMENT) & _MASK64
            other = position + int((state >> 11) * _UNIT * (size - position))
            pool[position], pool[other] = pool[other], pool[position]
        self._state = state
        return pool[:count]


def question_id(pack_id: str, key: str) -> str:
    return f"{pack_id}/{_id_hash(pack_id, key)[:6].hex()}"


def _id_hash(pack_id: str, key: str) -> bytes:
    """The hash a generated question is named by (its first 6 bytes) and seeded from (the next 8)."""
    return _sha1(f"{pack_id}|{key}".encode()).digest()


_sha1 = hashlib.sha1  # looked up once: generation inlines _id_hash, once a question


def distractor_names(packs: Iterable[Pack]) -> list[DistractorName]:
    return [DistractorName(pack.id, entity.kind, entity.name) for pack in packs for entity in pack.entities]


def generate_questions(pack: Pack, other_packs: Sequence[Pack] = ()) -> list[Question]:
    """Every question a pack yields: generated ones in fact order, then the hand-written ones."""
    return generate_catalog([pack], distractor_names(other_packs))[pack.id]


def generate_catalog(packs: Sequence[Pack], lent: Iterable[DistractorName]) -> dict[str, list[Question]]:
    """Each pack's questions. ``lent`` names may come from any pack; a pack never borrows its own."""
    # Generation makes no reference cycles, only many objects that live on (15% of a 100,000-entity
    # catalog went to the collector walking them again and again).
    with collector_paused():
        keys = _NormalisedNames()
        lent_by_kind = _pool_by_kind(((name.kind, name.pack_id, name.name) for name in lent), keys)
        return {pack.id: _PackGenerator(pack, lent_by_kind, keys).questions() for pack in packs}


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
        self._linked_keys: dict[str, frozenset[str]] = {}
        self._draws: dict[str, tuple[tuple[list[_Candidate], str | None, float], ...]] = {}
        # An entity's normalised names: a tuple, since it is one or two names and only ever searched.
        self._keys_by_entity = {entity.id: tuple(keys[name] for name in entity.names) for entity in pack.entities}
        self._asks = {name: _asks_of(relation) for name, relation in RELATIONS.items()}
        self._rng = QuestionRandom()  # reseeded for each question: each has its own stream
        self._source_title, self._attribution = pack.source.title, pack.source.attribution
        self._display = {entity.id: display_name(entity) for entity in pack.entities}
        self._names = {entity.id: entity.names for entity in pack.entities}  # one answers tuple an entity
        self._noun = {entity.id: kind_noun(entity.kind) for entity in pack.entities}

    def questions(self) -> list[Question]:
        pack = self.pack
        questions: list[Question] = []
        asks, question = self._asks, self.question
        for fact in pack.facts:
            for ask in asks[fact.relation]:
                questions.append(question(fact, ask))
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

    def question(self, fact: Fact, ask: _Ask) -> Question:
        """The question asking for the fact's object or its subject, as ``ask`` says."""
        pack_id, entities, display = self.pack.id, self.entities, self._display
        subject_id, object_id = fact.subject, fact.object
        template, capitalise, asks_for_object, is_year, direction = ask
        digest = _sha1(f"{pack_id}|{fact.id}|{direction}".encode()).digest()
        rng = self._rng
        rng._state = int.from_bytes(digest[6:14], "big")  # rng.reseed inline: 8 bytes fit its 64 bits

        # Other true answers to the same question: named in the prompt ("Besides X, ...") so the question
        # has exactly one answer, and kept out of the options.
        if asks_for_object:
            siblings = self.objects_of[subject_id, fact.relation]
            right_id, named = object_id, subject_id
        else:
            siblings = self.subjects_of[object_id, fact.relation]
            right_id, named = subject_id, object_id
        asks_for_year = is_year and asks_for_object

        prompt = template.format(
            display[subject_id],
            object_id if is_year else display[object_id],
            self._noun[subject_id],
            YEAR_KIND if is_year else self._noun[object_id],
        )
        others = None
        if len(siblings) > 1:
            if asks_for_year:
                others = [year for year in siblings if year != right_id]
            else:
                right_kind = entities[right_id].kind
                others = [
                    display[s] for s in siblings if s != right_id and s in entities and entities[s].kind == right_kind
                ]
        if others:
            prompt = f"Besides {_list_names(others)}, {prompt[0].lower()}{prompt[1:]}"
        elif capitalise:
            prompt = prompt[0].upper() + prompt[1:]

        if asks_for_year:
            answers: tuple[str, ...] = (object_id,)
            distractors = _year_distractors(int(object_id), rng, set(siblings))
        else:
            answers = self._names[right_id]
            # Anything the pack links to the entity the prompt names could be argued right ("Who is
            # "Stronger" by?" must not offer Daft Punk, whom it samples), so none of it is a wrong option.
            # That covers the answer and its siblings too: each is linked to it by its own fact.
            linked_keys = self._linked_keys.get(named)
            if linked_keys is None:
                linked_keys = self._linked_keys[named] = self._keys_of([*self.linked[named], named])
            distractors = self._pick(entities[right_id].kind, linked_keys, rng)
        if distractors:
            distractors.append(answers[0])
            rng.shuffle(distractors)
        return _new_question(
            (
                f"{pack_id}/{digest[:6].hex()}",
                prompt,
                answers,
                tuple(distractors),
                fact.id,
                fact.quote,
                self._source_title,
                pack_id,
                fact.note,
                self._attribution,
            )
        )

    def _keys_of(self, entity_ids: Iterable[str]) -> frozenset[str]:
        """Every normalised name of these entities (years and unknown ids have none)."""
        return frozenset(chain.from_iterable(map(self._keys_by_entity.get, entity_ids, repeat(()))))

    def _pick(
        self,
        kind: str,
        linked_keys: Collection[str],
        rng: QuestionRandom,
    ) -> list[str]:
        """Up to three distinct wrong options, none named like an entity linked to the prompt's entity."""
        wanted = OPTIONS_PER_QUESTION - 1
        chosen: list[str] = []
        chosen_keys: list[str] = []  # at most three: a list is searched faster than a set is built
        draws = self._draws.get(kind)
        if draws is None:
            draws = self._draws[kind] = self._draws_of(kind)
        for pool, skip_pack, scale in draws:
            if scale:
                state = rng._state  # rng.random() inline (see QuestionRandom)
                for _ in range(SAMPLE_ATTEMPTS):
                    state = (state * _LCG_MULTIPLIER + _LCG_INCREMENT) & _MASK64
                    pack_id, name, key = pool[int((state >> 11) * scale)]
                    if pack_id != skip_pack and key not in chosen_keys and key not in linked_keys:
                        chosen.append(name)
                        chosen_keys.append(key)
                        if len(chosen) == wanted:
                            rng._state = state
                            return chosen
                rng._state = state
            # A small pool, or a large one mostly excluded (sampling failed many times): go through it all.
            candidates = [(name, key) for pack_id, name, key in pool if pack_id != skip_pack and key not in linked_keys]
            rng.shuffle(candidates)
            for name, key in candidates:
                if key not in chosen_keys:
                    chosen.append(name)
                    chosen_keys.append(key)
                    if len(chosen) == wanted:
                        return chosen
        return chosen

    def _draws_of(self, kind: str) -> tuple[tuple[list[_Candidate], str | None, float], ...]:
        """Where wrong options of this kind come from, in order, worked out once a kind rather than once a
        question: each non-empty tier's pool, the pack whose names it must skip (only other packs' tier
        holds this pack's names too) and, for a pool large enough to be sampled, the factor that turns a
        draw's 53 bits into an index (0.0 for a small pool, which is gone through whole)."""
        draws = []
        for tier_number, tier in enumerate(self.tiers):
            pool = tier.get(kind)
            if pool:
                skip_pack = self.pack.id if tier_number == 1 else None
                # The index is int(bits * 2**-53 * size): 2**-53 * size is exact, so multiplying by it
                # once gives the very same float, and so the same index, as multiplying by each in turn.
                draws.append((pool, skip_pack, _UNIT * len(pool) if len(pool) > SMALL_POOL else 0.0))
        return tuple(draws)


class _Ask(NamedTuple):
    """One way a relation is asked, worked out once a pack rather than once a question."""

    template: str  # with numbered fields (see _positional)
    # The prompt may start in lower case (a field, or a reworded template): its first letter is raised.
    # A template starting with a capital needs nothing, and "Besides ..." starts with one too.
    capitalise: bool
    asks_for_object: bool
    object_is_year: bool
    direction: str  # part of what the question's id hashes: "object" or "subject"


@lru_cache(maxsize=256)
def _asks_of(relation: Relation) -> tuple[_Ask, ...]:
    """The questions a fact of this relation gives, in order: the one asking for its object first."""
    asks = []
    for template, asks_for_object in ((relation.ask_object, True), (relation.ask_subject, False)):
        if template:
            first = next(Formatter().parse(template), ("", None, None, None))[0][:1]
            asks.append(
                _Ask(
                    _positional(template),
                    not first or first.upper() != first,
                    asks_for_object,
                    relation.object_is_year,
                    "object" if asks_for_object else "subject",
                )
            )
    return tuple(asks)


@lru_cache(maxsize=256)
def _positional(template: str) -> str:
    """The template with numbered fields ({0} subject, {1} object, {2} subject kind, {3} object kind):
    formatting by position costs less than by keyword, once a question."""
    parts = []
    for literal, field, spec, conversion in Formatter().parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is not None:
            index = ("subject", "object", "subject_kind", "object_kind").index(field)
            parts.append(f"{{{index}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
    return "".join(parts)


def _list_names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _year_distractors(year: int, rng: QuestionRandom, true_years: set[str]) -> list[str]:
    nearby = [y for y in range(year - YEAR_SPREAD, year + YEAR_SPREAD + 1) if y != year and str(y) not in true_years]
    return [str(y) for y in rng.sample(nearby, min(len(nearby), OPTIONS_PER_QUESTION - 1))]
