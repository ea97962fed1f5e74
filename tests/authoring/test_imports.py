"""Imports of Red-DiscordBot trivia lists and Open Trivia DB JSON: every question kept, answers as written."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bot.authoring.imports import (
    OPENTDB_ATTRIBUTION,
    detect_format,
    import_opentdb,
    import_red,
    pack_id_from_file,
    slugify,
)
from bot.trivia.catalog import Catalog
from bot.trivia.model import Pack
from bot.trivia.packs import PackError, parse_pack

FIXTURES = Path(__file__).parent / "fixtures"
RED = FIXTURES / "red-sampler.yaml"
OPENTDB = FIXTURES / "opentdb-music.json"


def red_pack(text: str | None = None) -> Pack:
    result = import_red(text if text is not None else RED.read_text(encoding="utf-8"), "red.yaml", pack_id="red")
    return parse_pack(result.yaml_text, "red.yaml")


def opentdb_pack(text: str | None = None) -> Pack:
    source = text if text is not None else OPENTDB.read_text(encoding="utf-8")
    return parse_pack(import_opentdb(source, "trivia.json", pack_id="otdb").yaml_text, "otdb.yaml")


def answers_by_prompt(pack: Pack) -> dict[str, tuple[str, ...]]:
    return {question.prompt: question.answers for question in pack.questions}


# ---------------------------------------------------------------- Red-DiscordBot lists


def test_red_answers_come_back_as_the_author_wrote_them() -> None:
    answers = answers_by_prompt(red_pack())
    assert answers['Is "Harder, Better, Faster, Stronger" by Daft Punk?'] == ("yes", "Yes")
    assert answers["Did Kanye West release Stronger in 2007? Answer true or false."] == ("True",)
    assert answers["Is the Akira film older than the Stronger video?"] == ("on",)
    assert answers["What fraction of a bar is a half note in 4/4 time?"] == ("0.5", "1/2")
    assert answers["How many milliseconds is one second, written in scientific notation?"] == ("1e3", "1000")
    assert answers['How many turntables does the classic "two turntables and a microphone" set-up have?'] == (
        "2",
        "two",
    )
    assert answers["Which hexadecimal number is 31?"] == ("0x1F",)


def test_red_keeps_unicode_quoting_lone_answers_and_long_questions() -> None:
    pack = red_pack()
    answers = answers_by_prompt(pack)
    assert answers["Which Icelandic singer released Homogenic?"] == ("Björk", "Bjork")
    assert answers["Which 1988 anime film by Katsuhiro Otomo is called アキラ in Japanese?"] == ("Akira", "アキラ")
    assert answers["Quoted question: which city is Neo-Tokyo in Akira modelled on?"] == ("Tokyo", "東京")
    assert answers["Single answer without a list, which Daft Punk album came out in 2001?"] == ("Discovery",)
    long_prompt = next(question.prompt for question in pack.questions if question.prompt.startswith("In 2007"))
    # Longer than prompts could be before imports (300): the question embed shows up to 1000.
    assert len(long_prompt) > 300 and long_prompt.endswith("Which single is it?")
    assert "\n" not in long_prompt


def test_red_keeps_every_question_and_merges_a_duplicate() -> None:
    text = RED.read_text(encoding="utf-8")
    # Every top-level key that is not AUTHOR/DESCRIPTION/CONFIG is a question; one is written twice.
    keys = [line for line in text.splitlines() if line and not line.startswith(("#", " ", "-", ":"))]
    assert len(keys) - 3 == 15
    result = import_red(text, "red.yaml", pack_id="red")
    assert result.questions == 14 and result.merged_duplicates == 1
    answers = answers_by_prompt(parse_pack(result.yaml_text, "red.yaml"))
    assert answers["Which band had a hit with \"He Ain't Heavy, He's My Brother\" in both 1969 and 1988?"] == (
        "The Hollies",
        "Hollies",
    )
    assert "1 duplicate(s) merged" in result.summary("red.yaml", "out.yaml")


def test_red_metadata_becomes_the_packs_source_and_config_is_named() -> None:
    result = import_red(RED.read_text(encoding="utf-8"), "red-sampler.yaml", pack_id="red")
    pack = parse_pack(result.yaml_text, "red.yaml")
    assert pack.description and pack.description.startswith("Samples, breaks and odd answers")
    assert pack.source.publisher == "Crate Digger tests (digger#0001)"
    assert pack.source.attribution == "Trivia list by Crate Digger tests (digger#0001)"
    assert pack.source.text == "" and not pack.facts and not pack.entities
    (note,) = result.notes
    assert "CONFIG not carried over (max_score, timeout, reveal_answer)" in note


def test_red_long_description_is_shortened_and_said_so() -> None:
    result = import_red(f"DESCRIPTION: {'word ' * 100}\nQ?:\n- a\n", "list.yaml", pack_id="list")
    pack = parse_pack(result.yaml_text, "list.yaml")
    assert pack.description and len(pack.description) == 300 and pack.description.endswith("…")
    assert result.notes == ("description shortened to 300 characters",)


def test_red_import_is_stable() -> None:
    text = RED.read_text(encoding="utf-8")
    first, second = (import_red(text, "red.yaml", pack_id="red") for _ in range(2))
    assert first == second
    ids = [question.id for question in parse_pack(first.yaml_text, "red.yaml").questions]
    assert len(set(ids)) == len(ids)


def test_an_imported_pack_plays() -> None:
    pack = red_pack()
    questions = Catalog([pack]).questions(pack.id)
    assert len(questions) == 14 and all(question.answers for question in questions)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("Q1?:\n- a\nQ2?:\n  nested: mapping\n", 4, "Q2?[0]", "an answer must be text"),
        ("Q1?:\n- a\nQ2?:\n", 3, "Q2?", "no answers"),
        ("Q1?:\n- a\nQ2?: []\n", 3, "Q2?", "no answers"),
        ("- just\n- a list\n", 1, "(file)", "mapping of questions to answers"),
        ("Q1?: &a\n- x\nQ2?: *a\n", 3, "(file)", "aliases"),
        ("Q1?: !!python/object:os.system\n- x\n", 1, "(file)", "tags"),
        ("Q1?:\n- [unclosed\n", 3, "(file)", "invalid YAML"),
        ("AUTHOR:\n  - not text\nQ?:\n- a\n", 2, "AUTHOR", "must be text"),
    ],
)
def test_red_problems_name_line_and_field(text: str, line: int, field: str, message: str) -> None:
    with pytest.raises(PackError) as raised:
        import_red(text, "list.yaml", pack_id="list")
    issue = raised.value.issues[0]
    assert (issue.file, issue.line, issue.field) == ("list.yaml", line, field), issue
    assert message in issue.message


def test_red_over_the_node_limit_is_refused() -> None:
    text = "".join(f"Question {index}?:\n- a\n- b\n- c\n- d\n" for index in range(11_000))
    with pytest.raises(PackError) as raised:
        import_red(text, "huge.yaml", pack_id="huge")
    assert raised.value.issues[0].field == "(file)"


# ---------------------------------------------------------------- Open Trivia Database


def test_opentdb_decodes_entities_and_keeps_the_choices() -> None:
    pack = opentdb_pack()
    by_prompt = {question.prompt: question for question in pack.questions}
    sampled = by_prompt['Which French duo\'s song "Harder, Better, Faster, Stronger" did Kanye West sample?']
    assert sampled.answers == ("Daft Punk",)
    assert sorted(sampled.choices) == ["Air", "Cassius", "Daft Punk", "Justice"]
    akira = by_prompt['In which year was the film "AKIRA" (アキラ) released?']
    assert akira.answers == ("1988",) and len(akira.choices) == 4
    long = next(question for question in pack.questions if question.prompt.startswith("Which of these albums"))
    assert "808s & Heartbreak" in long.choices and "Discovery & its vocoder hook?" in long.prompt
    assert not any("&quot;" in q.prompt or "&#039;" in q.prompt or "&amp;" in q.prompt for q in pack.questions)


def test_opentdb_true_false_questions_become_two_choices() -> None:
    by_prompt = {question.prompt: question for question in opentdb_pack().questions}
    amen = by_prompt['The "Amen break" comes from a song by The Winstons.']
    assert (amen.answers, amen.choices) == (("True",), ("True", "False"))
    bjork = by_prompt["Björk's album «Homogenic» was released in 1987."]
    assert (bjork.answers, bjork.choices) == (("False",), ("True", "False"))


def test_opentdb_keeps_every_question() -> None:
    results = json.loads(OPENTDB.read_text(encoding="utf-8"))["results"]
    result = import_opentdb(OPENTDB.read_text(encoding="utf-8"), "trivia.json", pack_id="otdb")
    # 8 results: one is an exact repeat (merged); two share a prompt but not their options (both kept).
    assert (len(results), result.questions, result.merged_duplicates) == (8, 7, 1)
    pack = parse_pack(result.yaml_text, "otdb.yaml")
    directed = [question for question in pack.questions if question.prompt == "Who directed this film?"]
    assert {question.answers for question in directed} == {("Katsuhiro Otomo",), ("Hype Williams",)}


def test_opentdb_shuffles_the_right_answer_out_of_first_place_the_same_way_each_time() -> None:
    text = OPENTDB.read_text(encoding="utf-8")
    first = opentdb_pack(text)
    assert opentdb_pack(text).questions == first.questions
    multiple = [question for question in first.questions if len(question.choices) == 4]
    assert any(question.choices[0] != question.answers[0] for question in multiple)


def test_opentdb_attribution_is_kept_and_shown_with_its_questions() -> None:
    pack = opentdb_pack()
    assert pack.source.license == "CC BY-SA 4.0"
    assert pack.source.attribution == OPENTDB_ATTRIBUTION
    assert OPENTDB_ATTRIBUTION == "Questions from the Open Trivia Database (opentdb.com), licensed CC BY-SA 4.0"
    questions = Catalog([pack]).questions(pack.id)
    assert questions and all(question.attribution == OPENTDB_ATTRIBUTION for question in questions)
    assert pack.description and "Entertainment: Japanese Anime & Manga (2)" in pack.description


def test_opentdb_base64_encoding_is_decoded() -> None:
    import base64

    def encoded(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    result = {
        "type": encoded("boolean"),
        "difficulty": encoded("easy"),
        "category": encoded("Music"),
        "question": encoded("Daft Punk are French & robots?"),
        "correct_answer": encoded("True"),
        "incorrect_answers": [encoded("False")],
    }
    pack = opentdb_pack(json.dumps({"response_code": 0, "results": [result]}))
    (question,) = pack.questions
    assert (question.prompt, question.answers) == ("Daft Punk are French & robots?", ("True",))


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ('{"response_code": 0,\n "results": [\n  {"type": "multiple"\n', 4, "(file)", "invalid JSON"),
        ('{"response_code": 1, "results": []}', 1, "response_code", "no results"),
        ('{"questions": []}', 1, "results", "list of results"),
        (
            '{"results": [\n {"type": "boolean", "question": "Q?", "correct_answer": "True",'
            ' "incorrect_answers": ["False"]},\n {"type": "multiple", "question": "R?",'
            ' "incorrect_answers": ["a"]}\n]}',
            3,
            "results[1].correct_answer",
            "missing",
        ),
        (
            '{"results": [{"type": "essay", "question": "Q?", "correct_answer": "a", "incorrect_answers": []}]}',
            1,
            "results[0].type",
            "multiple or boolean",
        ),
        (
            '{"results": [{"type": "boolean", "question": "Q?", "correct_answer": "Maybe", '
            '"incorrect_answers": ["True"]}]}',
            1,
            "results[0].correct_answer",
            "True or False",
        ),
        ('{"results": []}', 1, "(file)", "no questions"),
    ],
)
def test_opentdb_problems_name_line_and_field(text: str, line: int, field: str, message: str) -> None:
    with pytest.raises(PackError) as raised:
        import_opentdb(text, "trivia.json", pack_id="otdb")
    issue = raised.value.issues[0]
    assert (issue.file, issue.line, issue.field) == ("trivia.json", line, field), issue
    assert message in issue.message


# ---------------------------------------------------------------- detection and ids


def test_detect_format() -> None:
    assert detect_format(RED.read_text(encoding="utf-8")) == "red"
    assert detect_format(OPENTDB.read_text(encoding="utf-8")) == "opentdb"
    assert detect_format("Q?:\n- a\n") == "red"
    assert detect_format("AUTHOR: me\nQ?: [yes, 0.5]\n") == "red"
    pack = (Path(__file__).parents[2] / "questions" / "kanye-stronger-akira.yaml").read_text(encoding="utf-8")
    assert detect_format(pack) == "pack"
    assert detect_format("id: mine\ntitle: Mine\n") == "pack"
    assert detect_format("{not json") == "pack"
    assert detect_format("[unclosed") == "pack"
    assert detect_format("a: &x [1]\nb: *x\n") == "pack"  # refused shapes are left for the validator to explain


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Music Trivia (2).yaml", "music-trivia-2"),
        ("Café.json", "cafe"),
        ("日本.yaml", "imported"),
        ("a" * 90, "a" * 64),
    ],
)
def test_pack_ids_from_file_names(name: str, expected: str) -> None:
    assert pack_id_from_file(name) == expected


def test_slugify_never_returns_an_invalid_id() -> None:
    assert slugify("--") == "imported" and slugify("A-" * 40).endswith("a")


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"results": ' + "[" * 100_000,
        '{"results": [1' + "0" * 5000 + "]}",
        '{"results": [{"type": "bXVsdGlwbGXgpJE=", "question": "\u0991", "correct_answer": "x"}]}',
        '{"results": [{"type": "mültiple"}]}',
        "\x00",
        "",
    ],
    ids=["deep-list", "deep-results", "huge-int", "bad-base64", "non-ascii-type", "nul", "empty"],
)
def test_hostile_input_only_ever_raises_pack_error(text: str) -> None:
    detect_format(text)
    for importer in (import_red, import_opentdb):
        with pytest.raises(PackError) as raised:
            importer(text, "hostile.json", pack_id="hostile")
        assert all(issue.line >= 1 and issue.field and issue.message for issue in raised.value.issues)


def test_mutated_fixtures_only_ever_raise_pack_error() -> None:
    rng = random.Random(20251125)
    tokens = [":", "- ", "\n", '"', "'", "{", "}", "[", "]", "&a", "*a", "!!str ", "~", "\t", "? ", "|", "\\u0000", ","]
    sources = [RED.read_text(encoding="utf-8"), OPENTDB.read_text(encoding="utf-8")]
    for round_number in range(300):
        chars = list(sources[round_number % 2])
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(chars) + 1)
            if rng.random() < 0.4:
                del chars[position : position + rng.randint(1, 20)]
            else:
                chars[position:position] = rng.choice([*tokens, chr(rng.randrange(0x20, 0x3000))])
        text = "".join(chars)
        detect_format(text)
        for importer in (import_red, import_opentdb):
            try:
                importer(text, "mutated", pack_id="mutated")
            except PackError:
                pass


def test_three_questions_with_the_same_words_and_different_options_are_all_kept() -> None:
    def result(answer: str, wrong: str) -> dict:
        return {"type": "multiple", "question": "Who made it?", "correct_answer": answer, "incorrect_answers": [wrong]}

    # On one line: the results' own lines cannot tell them apart.
    text = json.dumps({"results": [result("A", "B"), result("C", "D"), result("E", "F")]})
    pack = opentdb_pack(text)
    assert sorted(question.answers[0] for question in pack.questions) == ["A", "C", "E"]
