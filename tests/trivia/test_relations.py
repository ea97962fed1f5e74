"""The relation vocabulary: every relation declares kinds from the one table and reads as a question."""

from __future__ import annotations

import pytest

from bot.trivia.relations import KINDS, RELATIONS, YEAR, Relation


@pytest.mark.parametrize("relation", RELATIONS.values(), ids=RELATIONS.keys())
def test_every_relation_takes_known_kinds(relation: Relation) -> None:
    assert relation.subject_kinds and relation.subject_kinds <= set(KINDS)
    assert relation.object_kinds == {YEAR} or (relation.object_kinds and relation.object_kinds <= set(KINDS))


@pytest.mark.parametrize("relation", RELATIONS.values(), ids=RELATIONS.keys())
def test_every_template_formats_for_every_kind_it_takes(relation: Relation) -> None:
    for template in (relation.ask_object, relation.ask_subject):
        if template is None:
            continue
        for subject_kind in relation.subject_kinds:
            for object_kind in relation.object_kinds:
                prompt = template.format(
                    subject="S", object="O", subject_kind=KINDS[subject_kind].noun, object_kind=object_kind
                )
                assert "{" not in prompt and prompt.endswith("?"), prompt
    assert relation.ask_object or relation.ask_subject, "a relation that asks nothing makes no questions"


def test_only_released_in_has_a_year_for_its_object() -> None:
    assert [name for name, relation in RELATIONS.items() if relation.object_is_year] == ["released_in"]


def test_the_new_relations_are_in_the_vocabulary() -> None:
    for name in ("interpolates", "covers", "remix_of", "produced_by"):
        assert name in RELATIONS
    # the answer to "which song covers X?" is any of a hundred covers: not asked
    assert RELATIONS["covers"].ask_subject is None
    assert RELATIONS["remix_of"].ask_subject is None
    assert RELATIONS["produced_by"].ask_subject is None


def test_by_takes_a_work_made_by_someone() -> None:
    by = RELATIONS["by"]
    assert "musician" not in by.subject_kinds
    assert by.object_kinds == {"musician", "person"}
