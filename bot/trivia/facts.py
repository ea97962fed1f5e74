"""Fact look-ups: find an entity by any of its names and walk its relations in both directions.

The index is built once per catalog and then only read. Every look-up is bounded whatever the index
holds: exact names come from a dictionary, autocomplete walks sorted names from a binary search and
stops at its limit, and fuzzy matching (rapidfuzz) only ever sees the names that share a first or
last pair of letters with what was typed, so a typo in the middle of a name is found and a miss
costs no more than a hit. rapidfuzz is imported where a fuzzy match is needed: an exact look-up (the
CLI's `fact`, most of all) starts without it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.trivia.answers import normalise, typo_budget
from bot.trivia.model import Entity, Fact, Pack
from bot.trivia.relations import RELATIONS

# How alike a typed name must be to a known one (rapidfuzz WRatio, 0-100) to count as that entity.
FUZZY_MATCH_CUTOFF = 88
SUGGESTION_CUTOFF = 65
AUTOCOMPLETE_LIMIT = 25
# Typed text shorter than this gets no fuzzy suggestions: one or two letters are like everything.
FUZZY_MIN_CHARS = 3
# A fuzzy look-up compares against at most this many names, whatever the index holds: rapidfuzz's
# plain ratio costs about 0.2 us a name, WRatio (for "did you mean") about 6 us; both also pay for
# gathering the names, so autocomplete stays well under a millisecond.
FUZZY_CANDIDATES = 1_000
AUTOCOMPLETE_CANDIDATES = 1_000
SUGGESTION_CANDIDATES = 300
# Letters a bucket is keyed by; a bucket larger than BUCKET_SPLIT also gets a longer key.
BUCKET_CHARS = (2, 3)
BUCKET_SPLIT = 1_000


@dataclass(frozen=True)
class Link:
    """One fact seen from one entity: ``label`` reads from that entity towards ``other``."""

    label: str
    other: Entity | None  # None when the other end is a year
    other_text: str
    fact: Fact
    pack_id: str
    source_title: str
    outgoing: bool


@dataclass(frozen=True)
class EntityFacts:
    entity: Entity
    links: tuple[Link, ...]
    # Facts one step further through the entity's own works, so "daft punk" reaches "Stronger"
    # through "Harder, Better, Faster, Stronger".
    through: tuple[tuple[Entity, Link], ...]
    pack_ids: tuple[str, ...]


class FactIndex:
    def __init__(self, packs: Iterable[Pack]):
        self._entities: dict[str, Entity] = {}
        self._entity_packs: dict[str, list[str]] = defaultdict(list)
        self._links: dict[str, list[Link]] = defaultdict(list)
        self._by_name: dict[str, str] = {}
        # Every (normalised name, entity id), so two entities sharing a name both show in autocomplete.
        name_keys: set[tuple[str, str]] = set()
        for pack in packs:
            self._add_pack(pack, name_keys)
        self._alphabetical = [
            entity.id for entity in sorted(self._entities.values(), key=lambda entity: (entity.name, entity.id))
        ]
        self._name_keys = sorted(name_keys)
        # The rest of a name from each later word on ("stronger" in "harder better faster stronger").
        self._word_keys = sorted(
            (key[position + 1 :], entity_id)
            for key, entity_id in self._name_keys
            for position, char in enumerate(key)
            if char == " "
        )
        self._starts = _Buckets((key, key) for key in self._by_name)
        self._ends = _Buckets((key[::-1], key) for key in self._by_name)
        self._word_starts = _Buckets((word, key) for key in self._by_name for word in key.split()[1:])

    def _add_pack(self, pack: Pack, name_keys: set[tuple[str, str]]) -> None:
        for entity in pack.entities:
            # The same id in two packs is the same thing; the first definition is the one shown.
            self._entities.setdefault(entity.id, entity)
            self._entity_packs[entity.id].append(pack.id)
            for name in entity.names:
                key = normalise(name)
                if key:
                    self._by_name.setdefault(key, entity.id)
                    name_keys.add((key, entity.id))
        for fact in pack.facts:
            relation = RELATIONS[fact.relation]
            # The merged entity, so a fact from a second pack reads with the name the index shows.
            subject = self._entities[fact.subject]
            obj = None if relation.object_is_year else self._entities[fact.object]
            object_text = obj.name if obj else fact.object
            self._links[fact.subject].append(
                Link(relation.label, obj, object_text, fact, pack.id, pack.source.title, outgoing=True)
            )
            if obj is not None:
                self._links[fact.object].append(
                    Link(
                        relation.inverse_label, subject, subject.name, fact, pack.id, pack.source.title, outgoing=False
                    )
                )

    def __len__(self) -> int:
        return len(self._entities)

    def entity(self, entity_id: str) -> Entity | None:
        return self._entities.get(entity_id)

    def exact_names(self) -> dict[str, str]:
        """Every normalised name and alias with the entity ``find`` gives for it without fuzzy matching."""
        return dict(self._by_name)

    def find(self, name: str) -> Entity | None:
        """The entity called ``name`` (or an alias), forgiving case, accents and small typos."""
        key = normalise(name)
        if not key:
            return None
        entity_id = self._by_name.get(key)
        if entity_id is None and len(key) >= 4:
            # A typo leaves the first or the last two letters of a name of four or more intact.
            from rapidfuzz import fuzz, process
            from rapidfuzz.distance import OSA

            candidates = [*self._starts.near(key), *self._ends.near(key[::-1])]
            best = process.extractOne(key, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_MATCH_CUTOFF)
            budget = typo_budget(len(key.replace(" ", "")))
            if best is None and budget:
                # fuzz.ratio counts two swapped letters as two edits, so "akria" alone would miss "akira"
                best = process.extractOne(key, candidates, scorer=OSA.distance, score_cutoff=budget)
            if best is not None:
                entity_id = self._by_name[best[0]]
        return self._entities.get(entity_id) if entity_id else None

    def suggest(self, name: str, limit: int = 5) -> list[Entity]:
        """The nearest names, for "did you mean" when ``find`` comes back empty."""
        key = normalise(name)
        if not key:
            return []
        from rapidfuzz import fuzz

        # WRatio also weighs partial and reordered words ("katsu otomo san"), so it sees fewer names.
        return self._nearest(key, fuzz.WRatio, SUGGESTION_CANDIDATES, limit)

    def _nearest(self, key: str, scorer: Callable[..., float], candidates: int, limit: int) -> list[Entity]:
        from rapidfuzz import process

        found: dict[str, Entity] = {}
        for candidate, _score, _ in process.extract(
            key, self._fuzzy_candidates(key, candidates), scorer=scorer, limit=limit * 3, score_cutoff=SUGGESTION_CUTOFF
        ):
            entity = self._entities[self._by_name[candidate]]
            found.setdefault(entity.id, entity)
        return list(found.values())[:limit]

    def _fuzzy_candidates(self, key: str, most: int) -> list[str]:
        """Names that start or end like the typed text, or have a word starting like one of its words."""
        words = key.split()
        buckets = (
            self._starts.near(key),
            self._ends.near(key[::-1]),
            *(self._starts.near(word) for word in words[1:]),
            *(self._word_starts.near(word) for word in words),
        )
        candidates: list[str] = []
        for bucket in buckets:
            candidates += bucket[: most - len(candidates)]
            if len(candidates) >= most:
                break
        return list(dict.fromkeys(candidates))

    def autocomplete(self, typed: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Entity]:
        """Names starting with what was typed, then names with a word starting with it, then near misses."""
        key = normalise(typed)
        if not key:
            return [self._entities[entity_id] for entity_id in self._alphabetical[:limit]]
        ordered: dict[str, Entity] = {}
        for keys in (self._name_keys, self._word_keys):
            for entity_id in _with_prefix(keys, key):
                ordered.setdefault(entity_id, self._entities[entity_id])
                if len(ordered) >= limit:
                    return list(ordered.values())
        if len(key) >= FUZZY_MIN_CHARS:
            from rapidfuzz import fuzz

            for entity in self._nearest(key, fuzz.ratio, AUTOCOMPLETE_CANDIDATES, limit):
                ordered.setdefault(entity.id, entity)
        return list(ordered.values())[:limit]

    def facts_about(self, entity: Entity) -> EntityFacts:
        links = tuple(self._links.get(entity.id, ()))
        through: list[tuple[Entity, Link]] = []
        works = [link.other for link in links if link.fact.relation == "by" and not link.outgoing and link.other]
        for work in works:
            for link in self._links.get(work.id, ()):
                if link.other is not None and link.other.id == entity.id:
                    continue
                if link.fact.relation in ("samples", "based_on", "influenced_by"):
                    through.append((work, link))
        return EntityFacts(entity, links, tuple(through), tuple(self._entity_packs.get(entity.id, ())))

    def entities(self) -> list[Entity]:
        return [self._entities[entity_id] for entity_id in self._alphabetical]


def _with_prefix(keys: list[tuple[str, str]], prefix: str) -> Iterator[str]:
    """Entity ids whose key starts with ``prefix``, in key order, from a sorted (key, entity id) list."""
    for position in range(bisect.bisect_left(keys, (prefix,)), len(keys)):
        key, entity_id = keys[position]
        if not key.startswith(prefix):
            return
        yield entity_id


class _Buckets:
    """Names grouped by the first letters of a text: two, and three where two are shared by many.

    The text is the name itself, its reverse (to group by last letters) or one of its later words.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._by_start: dict[str, list[str]] = defaultdict(list)
        for text, name in dict.fromkeys(pairs):
            for chars in BUCKET_CHARS:
                if len(text) >= chars:
                    self._by_start[text[:chars]].append(name)

    def near(self, text: str) -> list[str]:
        """The names whose text starts like ``text`` (at most FUZZY_CANDIDATES of them)."""
        bucket: list[str] = []
        for chars in BUCKET_CHARS:
            if len(text) < chars:
                break
            bucket = self._by_start.get(text[:chars], [])
            if len(bucket) <= BUCKET_SPLIT:
                break
        return bucket[:FUZZY_CANDIDATES]
