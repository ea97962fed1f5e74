"""Whatever the validator accepts generates and plays: random packs go through the real YAML path.

Packs are written as YAML text (JSON-quoted scalars), parsed by ``parse_pack``, generated from and
played to the end by a Game on a fake clock, answering every question so the game never idles out.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.trivia.answers import normalise
from bot.trivia.game import AnswerMode, Game, GameOver, Player, QuestionAsked, RoundSettings
from bot.trivia.generate import OPTIONS_PER_QUESTION, generate_questions
from bot.trivia.packs import PackError, parse_pack
from bot.trivia.relations import KINDS, RELATIONS

# Few letters so that names often collide after normalisation ("A-b" / "ab"), the hard case for options.
NAME = st.text(alphabet="abAé -&'1", min_size=1, max_size=10).filter(lambda name: normalise(name).strip() != "")
KIND = st.sampled_from(sorted(KINDS))
# Year facts are drawn more often: several for one subject once broke generation.
RELATION = st.one_of(
    st.sampled_from(sorted(RELATIONS)), st.sampled_from([n for n, r in RELATIONS.items() if r.object_is_year])
)


def _allowed_kinds(relation_name: str, end: str) -> set[str] | None:
    """The kinds a relation's end takes, where the relation table says (the validator enforces it)."""
    kinds = getattr(RELATIONS[relation_name], f"{end}_kinds", None)
    return set(kinds) if kinds else None


@st.composite
def pack_yaml(draw: st.DrawFn) -> str:
    count = draw(st.integers(min_value=2, max_value=6))
    entities = [
        {
            "id": f"e{number}",
            "name": draw(NAME),
            "kind": draw(KIND),
            "aliases": draw(st.lists(NAME, max_size=2)),
        }
        for number in range(count)
    ]
    facts = []
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        relation = draw(RELATION)
        subject = draw(st.sampled_from(entities))
        if RELATIONS[relation].object_is_year:
            obj_id = str(draw(st.integers(min_value=1950, max_value=2020)))
            obj_name = obj_id
        else:
            obj = draw(st.sampled_from(entities))
            obj_id, obj_name = obj["id"], obj["name"]
        subject_kinds = _allowed_kinds(relation, "subject")
        object_kinds = _allowed_kinds(relation, "object")
        if subject_kinds is not None and subject["kind"] not in subject_kinds:
            continue
        if object_kinds is not None and not obj_id.isdigit() and obj["kind"] not in object_kinds:
            continue
        if obj_id == subject["id"]:
            continue
        quote = f"{subject['name']} then {RELATIONS[relation].label} then {obj_name} says the article"
        facts.append({"subject": subject["id"], "relation": relation, "object": obj_id, "quote": quote})
    unique = {(fact["subject"], fact["relation"], fact["object"]): fact for fact in facts}
    facts = list(unique.values())
    distractors = draw(st.dictionaries(KIND, st.lists(NAME, max_size=4), max_size=3))
    article = ". ".join(fact["quote"] for fact in facts) or "Nothing."
    document = {
        "id": "random",
        "title": "Random pack",
        "source": {"title": "An article", "text": article},
        "entities": entities,
        "facts": facts,
        "questions": [{"id": "written", "prompt": "Written?", "answers": ["yes"], "choices": ["yes", "no"]}],
        "distractors": distractors,
    }
    # JSON is YAML, and json.dumps quotes every scalar, so the names arrive exactly as drawn.
    return "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in document.items()) + "\n"


def _play_to_the_end(questions, mode: AnswerMode, rng: random.Random) -> GameOver:
    now = [0.0]
    game = Game(questions, RoundSettings(questions=min(50, len(questions)), mode=mode), clock=lambda: now[0], rng=rng)
    player = Player(1, "ann")
    game.join(player)
    events = game.start()
    for _ in range(10 * len(questions) + 10):
        for event in events:
            if isinstance(event, GameOver):
                return event
        asked = [event for event in events if isinstance(event, QuestionAsked)]
        if asked:
            question = asked[-1]
            guess = rng.choice(question.choices) if question.choices else question.question.answer
            events = game.answer(player, guess)
        now[0] += 40.0
        events = [*events, *game.tick()]
    raise AssertionError("the game never ended")


@pytest.mark.reliability
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=pack_yaml(), mode=st.sampled_from(list(AnswerMode)), seed=st.integers(0, 2**16))
def test_any_valid_pack_generates_and_plays_to_the_end(text: str, mode: AnswerMode, seed: int) -> None:
    try:
        pack = parse_pack(text, "random.yaml")
    except PackError:
        return  # refused with a pack error is a fine outcome; what is accepted must play
    questions = generate_questions(pack)
    assert len({question.id for question in questions}) == len(questions)
    for question in questions:
        assert question.prompt and question.answers
        if question.choices:
            assert question.answer in question.choices
            assert 2 <= len(question.choices) <= max(OPTIONS_PER_QUESTION, 5)
            assert len({normalise(choice) for choice in question.choices}) == len(question.choices)
    over = _play_to_the_end(questions, mode, random.Random(seed))
    assert over.questions_asked == min(50, len(questions))
