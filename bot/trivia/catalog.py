"""Packs loaded once, with their questions and the fact index built from them.

Building is the slow part (YAML, quote checks, generation), so front ends build a Catalog at start-up
and then only read it. A server's uploaded packs make a second, small Catalog layered over the
built-in one, so one server's packs never leak into another's.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.brief import brief
from bot.trivia.giveaways import without_giveaways
from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.model import Pack, Question

if TYPE_CHECKING:
    from bot.trivia.facts import FactIndex
    from bot.trivia.packs import LoadResult

# Generation, the pack format (the YAML loader) and the fact index are imported where they are needed:
# a Catalog made from cached packs and questions (the CLI's `packs list`, `play`) needs none of them.


@dataclass(frozen=True)
class PackSummary:
    id: str
    title: str
    entities: int
    facts: int
    questions: int
    choice_questions: int


class Catalog:
    def __init__(
        self,
        packs: Iterable[Pack],
        base: Catalog | None = None,
        questions: Mapping[str, Sequence[Question]] | None = None,
    ):
        """``questions`` are the packs' questions when generated elsewhere (a worker); else generated here."""
        self._base = base
        self._packs = {pack.id: pack for pack in packs}
        if questions is None:
            from bot.trivia.generate import distractor_names, generate_catalog

            distractor_sources = [*self._packs.values(), *(base.packs() if base else ())]
            questions = generate_catalog(list(self._packs.values()), distractor_names(distractor_sources))
        self._questions = {pack_id: tuple(questions[pack_id]) for pack_id in self._packs}

    @classmethod
    def from_folder(cls, folder: Path) -> tuple[Catalog, LoadResult]:
        return cls.from_folders([folder])

    @classmethod
    def from_folders(
        cls, folders: Iterable[Path], limits: PackLimits = DEFAULT_PACK_LIMITS
    ) -> tuple[Catalog, LoadResult]:
        """Every pack in these folders (or pack files); a pack id defined twice is reported, not loaded twice."""
        from bot.trivia.packs import load_packs

        result = load_packs((folder for folder in folders if folder.exists()), limits)
        return cls(result.packs), result

    def packs(self) -> list[Pack]:
        own = sorted(self._packs.values(), key=lambda pack: pack.id)
        inherited = [pack for pack in (self._base.packs() if self._base else ()) if pack.id not in self._packs]
        return [*inherited, *own]

    def pack(self, pack_id: str) -> Pack | None:
        if pack_id in self._packs:
            return self._packs[pack_id]
        return self._base.pack(pack_id) if self._base else None

    def questions(self, pack_id: str) -> Sequence[Question]:
        if pack_id in self._questions:
            return self._questions[pack_id]
        return self._base.questions(pack_id) if self._base else ()

    def summary(self, pack_id: str) -> PackSummary | None:
        pack = self.pack(pack_id)
        if pack is None:
            return None
        questions = self.questions(pack_id)
        return PackSummary(
            id=pack.id,
            title=pack.title,
            entities=len(pack.entities),
            facts=len(pack.facts),
            questions=len(questions),
            choice_questions=sum(1 for question in questions if question.choices),
        )

    @cached_property
    def index(self) -> FactIndex:
        from bot.trivia.facts import FactIndex  # not needed to list or play packs

        return FactIndex(self.packs())


class UnknownPack(Exception):
    """A ``--pack`` value that is neither a known pack id nor a pack file; the message lists the ids."""


def resolve_pack(catalog: Catalog, ref: str, limits: PackLimits = DEFAULT_PACK_LIMITS) -> tuple[Pack, Catalog]:
    """The pack a user named (see ``find_pack``) and the catalog to play or look it up in.

    A file's pack is layered over ``catalog``, so it draws distractors from the other packs and its
    facts join theirs. Raises PackError for a bad file, UnknownPack when nothing matches.
    """
    pack, from_file = find_pack(catalog.packs(), ref, limits)
    return (pack, Catalog([pack], base=catalog)) if from_file else (pack, catalog)


def find_pack(packs: Sequence[Pack], ref: str, limits: PackLimits = DEFAULT_PACK_LIMITS) -> tuple[Pack, bool]:
    """The pack a user named, by id among ``packs`` or by file, and whether it came from a file.

    A ``.yaml``/``.yml`` path is always a file; otherwise a known id wins over a file of that name, and
    ``my-pack`` also finds ``my-pack.yaml`` in the working folder, because that is what its author just
    wrote. Raises PackError for a bad file, UnknownPack when nothing matches.
    """
    path: Path | None = Path(ref)  # the shell has expanded any ~ already
    if path.suffix not in (".yaml", ".yml"):
        known = next((pack for pack in packs if pack.id == ref), None)
        if known is not None:
            return known, False
        candidates = [path, *(path.with_name(path.name + suffix) for suffix in (".yaml", ".yml") if path.name)]
        path = next((candidate for candidate in candidates if _is_file(candidate)), None)
    if path is None:
        known_ids = ", ".join(pack.id for pack in packs) or "none"
        raise UnknownPack(f"no pack {brief(ref)}: not a known pack id ({known_ids}) nor a pack file")
    from bot.trivia.packs import load_pack_file

    return load_pack_file(path, limits), True


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system is no file, just an unknown pack id
        return False


def pick_questions(
    questions: Sequence[Question],
    count: int,
    rng: random.Random,
    *,
    need_choices: bool,
    asked: Collection[str] = frozenset(),
) -> list[Question]:
    """A shuffled round of up to ``count`` questions with no giveaways (see ``giveaways``), one
    question per fact first: asking a fact both ways gives the second away. The round is shorter
    than ``count`` only when the pack cannot fill it without one question naming another's answer.

    Questions whose ids are in ``asked`` (the history, ``Store.asked_questions``) come only after
    every other one: a question is not asked again until the whole pack has been. A round that has
    to repeat one starts the history over (``starts_over``)."""
    pool = [question for question in questions if question.choices or not need_choices]
    rng.shuffle(pool)
    fresh = [question for question in pool if question.id not in asked]
    again = [question for question in pool if question.id in asked]
    return without_giveaways([*_one_per_fact_first(fresh), *_one_per_fact_first(again)], count)


def starts_over(round_questions: Iterable[Question], asked: Collection[str]) -> bool:
    """True if the round repeats a question from the history: the pack was used up."""
    return any(question.id in asked for question in round_questions)


def _one_per_fact_first(questions: Sequence[Question]) -> list[Question]:
    first_asks: list[Question] = []
    second_asks: list[Question] = []
    used_facts: set[str] = set()
    for question in questions:
        if question.fact_id is not None and question.fact_id in used_facts:
            second_asks.append(question)
        else:
            first_asks.append(question)
            if question.fact_id:
                used_facts.add(question.fact_id)
    return first_asks + second_asks
