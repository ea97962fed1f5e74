"""Value objects shared by packs, fact look-ups, question generation and the game.

Everything here is immutable and free of I/O so that every layer can pass these around safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple


@dataclass(frozen=True)
class Source:
    """Where a pack's content comes from; ``text`` is the local copy that quotes are checked against.

    ``text`` is empty for a pack with no quotes at all (hand-written questions imported from a trivia
    list have no article). ``license`` and ``attribution`` are shown with the pack's questions, e.g.
    Open Trivia DB's CC BY-SA 4.0 credit.
    """

    title: str
    text: str = ""
    file: str | None = None
    url: str | None = None
    publisher: str | None = None
    license: str | None = None
    attribution: str | None = None


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    year: int | None = None
    description: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Fact:
    """One claim from the article: ``subject`` ``relation`` ``object``, backed by ``quote``.

    ``object`` is an entity id, except for relations whose object is a year (then it is the year as text).
    ``note`` corrects or qualifies the article and is shown wherever the quote is ("The article says
    2008; the tweet is from 2018."). ``context`` marks a quote that backs the fact without naming either
    entity (the sentence before names them), so the validator does not ask for a name in it.
    """

    id: str
    subject: str
    relation: str
    object: str
    quote: str
    via: str | None = None
    line: int | None = None
    note: str | None = None
    context: bool = False


class Question(NamedTuple):
    """A question ready to ask.

    ``answers`` are every accepted spelling (the first is the one shown as "the answer"); ``choices``
    are all options in display order, including the right one, or empty for free-text-only questions.
    ``wrong`` lists the options that are not right, so answer matching can refuse a guess that is
    closer to a wrong option than to the right one.

    A named tuple rather than a frozen dataclass, unlike the other values here: a catalog holds
    hundreds of thousands of them, and a tuple is built about three times faster, takes half the
    memory (no ``__dict__``) and unpickles twice as fast from the pack cache and the pack worker.
    """

    id: str
    prompt: str
    answers: tuple[str, ...]
    choices: tuple[str, ...] = ()
    fact_id: str | None = None
    quote: str | None = None
    source_title: str | None = None
    pack_id: str | None = None
    note: str | None = None  # a correction shown next to the quote when the answer is revealed
    attribution: str | None = None  # the source's credit (e.g. a CC BY-SA notice), shown with the answer

    @property
    def answer(self) -> str:
        return self.answers[0]

    # A plain property: a named tuple has no __dict__ to cache it in, and a game reads it about twice
    # a question (its matcher is built once per question), under a microsecond each.
    @property
    def wrong(self) -> tuple[str, ...]:
        return tuple(choice for choice in self.choices if choice not in self.answers)


@dataclass(frozen=True)
class HandWrittenQuestion:
    id: str
    prompt: str
    answers: tuple[str, ...]
    choices: tuple[str, ...] = ()
    quote: str | None = None
    line: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class Pack:
    id: str
    title: str
    source: Source
    entities: tuple[Entity, ...]
    facts: tuple[Fact, ...]
    questions: tuple[HandWrittenQuestion, ...] = ()
    distractors: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    description: str | None = None
    path: str | None = None

    def entity(self, entity_id: str) -> Entity:
        return self._entities_by_id[entity_id]

    @cached_property
    def _entities_by_id(self) -> dict[str, Entity]:
        return {entity.id: entity for entity in self.entities}
