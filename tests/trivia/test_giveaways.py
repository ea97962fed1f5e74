"""No question is given away: not by its own prompt, the round's opening line or an earlier prompt."""

from __future__ import annotations

import random

import pytest

from bot.trivia.catalog import Catalog, pick_questions, starts_over
from bot.trivia.giveaways import (
    NEUTRAL_TITLE,
    giveaways,
    names_answer,
    opening_title,
    reveals_itself,
    without_giveaways,
)
from bot.trivia.model import Question
from bot.trivia.packs import BUILTIN_PACKS_DIR

SEED_PACK = "kanye-stronger-akira"


def ask(prompt: str, *answers: str, fact: str | None = None) -> Question:
    return Question(id=prompt, prompt=prompt, answers=answers, choices=(answers[0], "Other"), fact_id=fact)


KANYE = ask('Who is the song "Stronger" by?', "Kanye West", "Kanye", "West", "Ye")
STRONGER = ask("Which song samples Daft Punk?", "Stronger")
SELF_REVEALING = ask('The "Stronger" music video is the video for which song?', "Stronger")


@pytest.fixture(scope="module")
def seed_catalog() -> Catalog:
    return Catalog.from_folder(BUILTIN_PACKS_DIR)[0]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Kanye West's all-time favourites", True),  # a possessive still names him
        ("KANYE WEST’S video", True),
        ("Which film did Ye like?", True),  # an alias names him too
        ("In which year did it come out?", False),  # "Ye" only as a whole word
        ("Which song did Kanyes sample?", False),
        ("Who directed it?", False),
    ],
)
def test_names_are_matched_as_whole_words_in_normal_form(text: str, named: bool) -> None:
    assert names_answer(text, KANYE) is named


def test_a_prompt_that_contains_its_answer_reveals_itself() -> None:
    assert reveals_itself(SELF_REVEALING)
    assert reveals_itself(ask('Which song samples "Harder, Better, Faster, Stronger"?', "Stronger"))
    # Naming a song whose title contains a word of the answer is not naming the answer.
    assert not reveals_itself(ask('Which song does "Stronger" sample?', "Harder, Better, Faster, Stronger"))


def test_giveaways_finds_the_opening_line_and_earlier_prompts() -> None:
    assert giveaways("A quiz", [STRONGER, KANYE]) == []
    (by_prompt,) = giveaways("A quiz", [KANYE, STRONGER])
    assert (by_prompt.number, by_prompt.shown) == (2, KANYE.prompt)
    (by_opening,) = giveaways('Kanye West\'s "Graduation"', [KANYE])
    assert by_opening.number == 1 and "question 1 ('Kanye West')" in str(by_opening)
    (by_itself,) = giveaways("A quiz", [SELF_REVEALING])
    assert by_itself.shown == SELF_REVEALING.prompt


def test_without_giveaways_orders_drops_and_stops_at_count() -> None:
    # KANYE's prompt names STRONGER's answer, so STRONGER goes first however they come.
    assert without_giveaways([KANYE, STRONGER], 5) == [STRONGER, KANYE]
    assert without_giveaways([SELF_REVEALING, KANYE], 5) == [KANYE]
    # Two questions that name each other's answers cannot share a round.
    daft = ask('Which musician does "Stronger" sample?', "Daft Punk")
    assert without_giveaways([daft, STRONGER], 5) == [daft]
    assert without_giveaways([STRONGER, KANYE], 1) == [STRONGER]


def test_opening_title_is_the_title_only_when_it_names_no_answer() -> None:
    assert opening_title("Kanye West's Graduation", [STRONGER]) == "Kanye West's Graduation"
    assert opening_title("Kanye West's Graduation", [STRONGER, KANYE]) == NEUTRAL_TITLE
    assert not any(names_answer(NEUTRAL_TITLE, question) for question in (KANYE, STRONGER, SELF_REVEALING))


@pytest.mark.parametrize("need_choices", [True, False])
@pytest.mark.parametrize("count", [5, 12])
def test_seeded_rounds_of_the_seed_pack_never_give_an_answer_away(
    seed_catalog: Catalog, need_choices: bool, count: int
) -> None:
    pack = seed_catalog.pack(SEED_PACK)
    assert pack is not None
    questions = seed_catalog.questions(SEED_PACK)
    assert any(reveals_itself(question) for question in questions)  # the pack does hold some to avoid
    for seed in range(150):
        picked = pick_questions(questions, count, random.Random(seed), need_choices=need_choices)
        assert len(picked) == count, f"seed {seed}: only {len(picked)} questions"
        assert len({question.id for question in picked}) == count
        found = giveaways(opening_title(pack.title, picked), picked)
        assert found == [], f"seed {seed}: {found[0]}"


def test_the_seed_pack_title_is_replaced_when_a_round_asks_what_it_names(seed_catalog: Catalog) -> None:
    pack = seed_catalog.pack(SEED_PACK)
    assert pack is not None
    named = [question for question in seed_catalog.questions(SEED_PACK) if names_answer(pack.title, question)]
    assert named and opening_title(pack.title, named[:1]) == NEUTRAL_TITLE


# -- no repeats: a question comes back only once the pack is used up -------------------------------


def test_asked_questions_wait_until_the_rest_of_the_pack_has_been_asked(seed_catalog: Catalog) -> None:
    questions = [question for question in seed_catalog.questions(SEED_PACK) if question.choices]
    rng = random.Random(3)
    asked: set[str] = set()
    cycles = 0
    for _ in range(40):
        picked = pick_questions(questions, 5, rng, need_choices=True, asked=frozenset(asked))
        assert picked and not giveaways("", picked)
        if starts_over(picked, asked):
            # Only a round that fresh questions could not fill repeats one, and the fresh ones come first.
            assert len([q for q in picked if q.id not in asked]) < 5
            asked = set()
            cycles += 1
        assert not asked & {question.id for question in picked}, "a question came back before the pack was used up"
        asked |= {question.id for question in picked}
    assert cycles >= 3


def test_the_terminal_does_not_repeat_a_question_in_the_next_round(tmp_path) -> None:
    import asyncio
    import io

    from bot.console import local_player, play_round
    from bot.storage.sqlite import SqliteStore
    from bot.trivia.game import AnswerMode, RoundSettings

    catalog = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]

    async def one_round() -> str:
        out = io.StringIO()
        async with SqliteStore(tmp_path / "scores.sqlite3") as store:
            await play_round(
                catalog,
                store,
                pack_id=SEED_PACK,
                settings=RoundSettings(questions=5, seconds=30, mode=AnswerMode.CHOICES, pause_seconds=0),
                player=local_player("tester"),
                stdin=io.StringIO("A\n" * 5),
                stdout=out,
                seed=1,  # the same seed: without the history both rounds would be the same
            )
        return out.getvalue()

    prompts = {question.prompt for question in catalog.questions(SEED_PACK)}
    first, second = asyncio.run(one_round()), asyncio.run(one_round())
    asked_first = {line for line in first.splitlines() if line in prompts}
    asked_second = {line for line in second.splitlines() if line in prompts}
    assert len(asked_first) == len(asked_second) == 5
    assert not asked_first & asked_second
