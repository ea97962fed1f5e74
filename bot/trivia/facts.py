"""Fact look-ups: find an entity by any of its names and walk its relations in both directions.

The index is built once from the loaded packs and then only read, so `/fact` and its autocomplete
answer from dictionaries; fuzzy matching (rapidfuzz) runs only when an exact name misses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.trivia.answers import normalise, typo_budget
from bot.trivia.model import Entity, Fact, Pack
from bot.trivia.relations import RELATIONS

# How alike a typed name must be to a known one (rapidfuzz WRatio, 0-100) to count as that entity.
FUZZY_MATCH_CUTOFF = 88
SUGGESTION_CUTOFF = 65
AUTOCOMPLETE_LIMIT = 25


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
        for pack in packs:
            self._add_pack(pack)
        self._names = list(self._by_name)
        self._sorted_names = sorted(
            (self._entities[entity_id].name, normalise(self._entities[entity_id].name), entity_id)
            for entity_id in self._entities
        )

    def _add_pack(self, pack: Pack) -> None:
        for entity in pack.entities:
            # The same id in two packs is the same thing; the first definition is the one shown.
            self._entities.setdefault(entity.id, entity)
            self._entity_packs[entity.id].append(pack.id)
            for name in entity.names:
                self._by_name.setdefault(normalise(name), entity.id)
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

    def find(self, name: str) -> Entity | None:
        """The entity called ``name`` (or an alias), forgiving case, accents and small typos."""
        key = normalise(name)
        if not key:
            return None
        entity_id = self._by_name.get(key)
        if entity_id is None and len(key) >= 4:
            best = process.extractOne(key, self._names, scorer=fuzz.ratio, score_cutoff=FUZZY_MATCH_CUTOFF)
            budget = typo_budget(len(key.replace(" ", "")))
            if best is None and budget:
                # fuzz.ratio counts two swapped letters as two edits, so "akria" alone would miss "akira"
                best = process.extractOne(key, self._names, scorer=OSA.distance, score_cutoff=budget)
            if best is not None:
                entity_id = self._by_name[best[0]]
        return self._entities.get(entity_id) if entity_id else None

    def suggest(self, name: str, limit: int = 5) -> list[Entity]:
        """The nearest names, for "did you mean" when ``find`` comes back empty."""
        key = normalise(name)
        if not key:
            return []
        found: list[Entity] = []
        for candidate, _score, _ in process.extract(
            key, self._names, scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=SUGGESTION_CUTOFF
        ):
            entity = self._entities[self._by_name[candidate]]
            if entity not in found:
                found.append(entity)
        return found[:limit]

    def autocomplete(self, typed: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Entity]:
        """Names starting with what was typed, then names containing it, then near misses."""
        key = normalise(typed)
        if not key:
            return [self._entities[entity_id] for _, _, entity_id in self._sorted_names[:limit]]
        starts: list[str] = []
        contains: list[str] = []
        for name_key, entity_id in self._by_name.items():
            if name_key.startswith(key):
                starts.append(entity_id)
            elif key in name_key:
                contains.append(entity_id)
        ordered: list[Entity] = []
        for entity_id in (*sorted(starts, key=self._sort_key), *sorted(contains, key=self._sort_key)):
            entity = self._entities[entity_id]
            if entity not in ordered:
                ordered.append(entity)
        if len(ordered) < limit:
            for entity in self.suggest(typed, limit):
                if entity not in ordered:
                    ordered.append(entity)
        return ordered[:limit]

    def _sort_key(self, entity_id: str) -> str:
        return self._entities[entity_id].name.casefold()

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
        return [self._entities[entity_id] for _, _, entity_id in self._sorted_names]
