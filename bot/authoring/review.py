"""Reviewing a draft: which facts to keep, which page is shown, and corrections to entities and the pack.

Pure state, no Discord: the `/pack draft` view only turns clicks into calls here and renders the
result, so every rule of the review is tested directly. Nothing here stores anything; ``result()``
gives the draft as reviewed, which the caller validates and saves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.authoring.draft import Draft, DraftEntity, DraftFact, render_draft
from bot.trivia.packs import ID_PATTERN, MAX_NAME, MAX_TITLE
from bot.trivia.relations import KINDS

FACTS_PER_PAGE = 5  # each fact shows its quote; five keep a page readable and well inside an embed


class ReviewError(ValueError):
    """A correction that cannot be applied; the message says what to type instead."""


@dataclass(frozen=True)
class PageFact:
    number: int  # 1-based across the whole draft, as shown to the reviewer
    fact: DraftFact
    subject: DraftEntity
    object_name: str  # an entity's name, or the year
    kept: bool


class DraftReview:
    def __init__(self, draft: Draft, facts_per_page: int = FACTS_PER_PAGE):
        self._original = draft
        self._per_page = facts_per_page
        self._kept = set(range(len(draft.facts)))
        self._entities = {entity.id: entity for entity in draft.entities}
        self._pack_id = draft.pack_id
        self._title = draft.title
        self.page = 0

    # -- pages

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self._original.facts) // self._per_page))

    def next_page(self) -> None:
        self.page = min(self.page + 1, self.page_count - 1)

    def previous_page(self) -> None:
        self.page = max(self.page - 1, 0)

    def page_facts(self) -> list[PageFact]:
        start = self.page * self._per_page
        shown = []
        for index in range(start, min(start + self._per_page, len(self._original.facts))):
            fact = self._original.facts[index]
            obj = self._entities.get(fact.object)
            shown.append(
                PageFact(
                    index + 1, fact, self._entities[fact.subject], obj.name if obj else fact.object, index in self._kept
                )
            )
        return shown

    def page_entities(self) -> list[DraftEntity]:
        """The entities the page's facts name, in order, each once."""
        seen: dict[str, DraftEntity] = {}
        for shown in self.page_facts():
            for entity_id in (shown.fact.subject, shown.fact.object):
                if entity_id in self._entities:
                    seen.setdefault(entity_id, self._entities[entity_id])
        return list(seen.values())

    # -- keeping and dropping

    def keep_on_page(self, numbers: set[int]) -> None:
        """Keep exactly these facts (1-based numbers) of the current page; drop its others."""
        on_page = {shown.number - 1 for shown in self.page_facts()}
        chosen = {number - 1 for number in numbers}
        if not chosen <= on_page:
            raise ReviewError("only facts on the current page can be kept or dropped here")
        self._kept = (self._kept - on_page) | chosen

    @property
    def kept_count(self) -> int:
        return len(self._kept)

    @property
    def fact_count(self) -> int:
        return len(self._original.facts)

    # -- corrections

    def entity(self, entity_id: str) -> DraftEntity:
        try:
            return self._entities[entity_id]
        except KeyError:
            raise ReviewError(f"no entity {entity_id!r} in this draft") from None

    def correct_entity(self, entity_id: str, name: str, kind: str) -> DraftEntity:
        entity = self.entity(entity_id)
        name = " ".join(name.split())
        kind = kind.strip().lower()
        if not name or len(name) > MAX_NAME:
            raise ReviewError(f"a name is 1 to {MAX_NAME} characters")
        if kind not in KINDS:
            raise ReviewError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        aliases = entity.aliases
        if name != entity.name and entity.name not in aliases:
            aliases = (entity.name, *aliases)  # the article's wording still names it: quotes must mention it
        aliases = tuple(alias for alias in aliases if alias.casefold() != name.casefold())
        corrected = replace(entity, name=name, kind=kind, aliases=aliases)
        self._entities[entity_id] = corrected
        return corrected

    @property
    def pack_id(self) -> str:
        return self._pack_id

    @property
    def title(self) -> str:
        return self._title

    def rename_pack(self, pack_id: str, title: str) -> None:
        pack_id, title = pack_id.strip(), " ".join(title.split())
        if not ID_PATTERN.match(pack_id):
            raise ReviewError(f"{pack_id!r} is not an id: use lowercase letters, digits and hyphens")
        if not title or len(title) > MAX_TITLE:
            raise ReviewError(f"a title is 1 to {MAX_TITLE} characters")
        self._pack_id, self._title = pack_id, title

    # -- the outcome

    def result(self) -> Draft:
        """The draft as reviewed: kept facts only, corrected entities, the chosen id and title."""
        if not self._kept:
            raise ReviewError("keep at least one fact: a pack needs one")
        facts = tuple(fact for index, fact in enumerate(self._original.facts) if index in self._kept)
        entities = tuple(self._entities[entity.id] for entity in self._original.entities)
        return replace(self._original, facts=facts, entities=entities, pack_id=self._pack_id, title=self._title)

    def yaml(self) -> str:
        return render_draft(self.result())
