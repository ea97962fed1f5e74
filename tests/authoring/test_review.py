from pathlib import Path

import pytest

from bot.authoring.draft import draft_pack
from bot.authoring.review import DraftReview, ReviewError
from bot.authoring.text import article_from_file
from bot.trivia.packs import PackError, parse_pack

REVIEW = Path(__file__).parent / "articles" / "review.txt"


@pytest.fixture
def review() -> DraftReview:
    return DraftReview(draft_pack(article_from_file(REVIEW.read_bytes(), REVIEW.name)))


def test_pages_of_five_with_everything_kept_at_first(review):
    assert (review.fact_count, review.page_count, review.kept_count) == (10, 2, 10)
    assert [shown.number for shown in review.page_facts()] == [1, 2, 3, 4, 5]
    review.previous_page()
    assert review.page == 0  # no page before the first
    review.next_page()
    review.next_page()
    assert review.page == 1 and [shown.number for shown in review.page_facts()] == [6, 7, 8, 9, 10]


def test_keeping_on_a_page_drops_the_rest_of_that_page_only(review):
    review.keep_on_page({1, 3})
    assert [shown.kept for shown in review.page_facts()] == [True, False, True, False, False]
    review.next_page()
    review.keep_on_page(set())
    assert review.kept_count == 2
    review.previous_page()
    review.keep_on_page({1, 2, 3, 4, 5})
    assert review.kept_count == 5
    with pytest.raises(ReviewError, match="current page"):
        review.keep_on_page({7})  # on page 2


def test_result_keeps_the_chosen_facts_and_passes_the_check(review):
    review.keep_on_page({1, 3, 5})
    result = review.result()
    assert len(result.facts) == 8
    pack = parse_pack(review.yaml(), "reviewed.yaml")
    assert len(pack.facts) == 8


def test_correcting_an_entity_keeps_its_old_name_as_an_alias(review):
    review.next_page()
    video = next(entity for entity in review.page_entities() if entity.kind == "video")
    review.correct_entity(video.id, '  the "Crazy"   video ', "video")
    corrected = review.entity(video.id)
    assert corrected.name == 'the "Crazy" video' and video.name in corrected.aliases
    pack = parse_pack(review.yaml(), "reviewed.yaml")  # quotes still name the entity through the alias
    assert any(entity.name == 'the "Crazy" video' for entity in pack.entities)
    with pytest.raises(ReviewError, match="unknown kind 'clip'"):
        review.correct_entity(video.id, "x", "clip")
    with pytest.raises(ReviewError, match="no entity"):
        review.entity("nope")


def test_a_kind_that_no_longer_fits_is_caught_when_saving(review):
    review.next_page()
    crazy = next(entity for entity in review.page_entities() if entity.name == "Crazy")
    review.correct_entity(crazy.id, "Crazy", "city")
    with pytest.raises(PackError, match="city"):
        parse_pack(review.yaml(), "reviewed.yaml")


def test_renaming_the_pack_and_keeping_nothing(review):
    review.rename_pack("my-pack", "  My   pack ")
    assert (review.result().pack_id, review.result().title) == ("my-pack", "My pack")
    with pytest.raises(ReviewError, match="not an id"):
        review.rename_pack("My Pack", "x")
    review.keep_on_page(set())
    review.next_page()
    review.keep_on_page(set())
    with pytest.raises(ReviewError, match="at least one fact"):
        review.result()
