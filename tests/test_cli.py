"""The `packs` and `fact` commands, run in-process through `bot.cli.main` (plus one real subprocess)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.trivia.packs import BUILTIN_PACKS_DIR
from tests.packs_for_tests import TINY_PACK, TINY_SOURCE, uploaded_pack_yaml

SEED = BUILTIN_PACKS_DIR / "kanye-stronger-akira.yaml"
SEED_ID = "kanye-stronger-akira"
ISSUE_LINE = re.compile(r"^(\S+):(\d+): (\S+): (.+)$")

SOURCE = TINY_SOURCE
GOOD = TINY_PACK

# The bad file kinds from the issue: (text, line, field)
BAD_FILES = {
    "malformed YAML": ("id: tiny\ntitle: [Tiny\nsource: x\n", 3, "(file)"),
    "empty file": ("", 1, "(file)"),
    "wrong top-level type": ("- id: tiny\n- title: Tiny\n", 1, "(file)"),
    "unknown relation": (GOOD.replace("relation: by", "relation: directed"), 15, "facts[0].relation"),
    "quote not in source": (GOOD.replace("classic 1988", "classic 1989"), 17, "facts[0].quote"),
    "unknown entity": (GOOD.replace("object: otomo", "object: hayao-miyazaki"), 16, "facts[0].object"),
}


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .env from the working directory, and the built-in packs unless a test says otherwise."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "DISCORD_TOKEN",
        "DEV_GUILD_ID",
        "LOG_LEVEL",
        "MESSAGE_CONTENT_INTENT",
        "DATABASE_PATH",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PACKS_DIR", str(BUILTIN_PACKS_DIR))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_pack(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "article.txt").write_text(SOURCE, encoding="utf-8")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def issue_lines(out: str) -> list[re.Match[str]]:
    lines = out.splitlines()
    matches = [ISSUE_LINE.match(line) for line in lines]
    assert all(matches), f"not FILE:LINE: field: message: {lines}"
    return [match for match in matches if match]


# ---------------------------------------------------------------- packs check


def test_packs_check_passes_the_bundled_packs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "packs", "check", str(BUILTIN_PACKS_DIR))
    assert code == 0, out + err
    assert f"ok: {SEED}: {SEED_ID}" in out
    assert err == ""


def test_packs_check_passes_a_relative_folder(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.chdir(BUILTIN_PACKS_DIR.parent)
    code, out, _ = run(capsys, "packs", "check", "questions")
    assert code == 0
    assert f"ok: questions/{SEED.name}: {SEED_ID}" in out


@pytest.mark.parametrize(("text", "line", "field"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_packs_check_reports_a_bad_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, line: int, field: str
) -> None:
    path = write_pack(tmp_path / "packs", "bad.yaml", text)
    code, out, err = run(capsys, "packs", "check", str(path))
    assert code == 1
    (issue,) = issue_lines(out)
    assert issue.group(1) == str(path)
    assert (int(issue.group(2)), issue.group(3)) == (line, field), issue.group(0)
    assert "1 problem found" in err
    assert "Traceback" not in out + err


def test_packs_check_on_a_folder_lists_only_the_bad_packs_issues(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "packs"
    write_pack(folder, "a-good.yaml", GOOD)
    bad = write_pack(
        folder,
        "b-bad.yaml",
        GOOD.replace("id: tiny", "id: tiny-bad").replace("relation: by", "relation: nope").replace("1988", "1989"),
    )
    code, out, err = run(capsys, "packs", "check", str(folder))
    assert code == 1
    issues = issue_lines(out)
    assert [(issue.group(1), int(issue.group(2)), issue.group(3)) for issue in issues] == [
        (str(bad), 15, "facts[0].relation"),
        (str(bad), 17, "facts[0].quote"),
    ]
    assert "a-good.yaml" not in out
    assert "2 problems found" in err


def test_packs_check_a_missing_path_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-pack.yaml"
    code, out, _ = run(capsys, "packs", "check", str(missing))
    assert code == 1
    (issue,) = issue_lines(out)
    assert issue.group(1) == str(missing)
    assert "no such file" in issue.group(4)


def test_packs_check_an_empty_folder_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "packs", "check", str(tmp_path / "empty"))
    assert code == 1
    assert "no pack files found" in err


def test_packs_check_a_non_utf8_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"id: tiny\ntitle: caf\xe9\n")
    code, out, _ = run(capsys, "packs", "check", str(path))
    assert code == 1
    (issue,) = issue_lines(out)
    assert (int(issue.group(2)), issue.group(3)) == (2, "(file)")


def test_a_bad_pack_gives_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    path = write_pack(tmp_path / "packs", "bad.yaml", BAD_FILES["unknown relation"][0])
    environment = {key: value for key, value in os.environ.items() if key != "DEV_GUILD_ID"}
    environment["PACKS_DIR"] = str(BUILTIN_PACKS_DIR)
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "packs", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    (issue,) = issue_lines(completed.stdout)
    assert (int(issue.group(2)), issue.group(3)) == (15, "facts[0].relation")


# ---------------------------------------------------------------- packs list / show


def test_packs_list_shows_the_seed_pack_with_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "packs", "list")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith(f"{SEED_ID}: "))
    counts = re.search(r"\((\d+) entities, (\d+) facts, (\d+) questions, (\d+) with choices\)$", line)
    assert counts, line
    entities, facts, questions, with_choices = map(int, counts.groups())
    assert entities >= 15 and facts >= 18 and questions >= 40 and 0 < with_choices <= questions


def test_packs_list_skips_and_warns_about_a_broken_pack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "packs"
    write_pack(folder, "good.yaml", GOOD)
    write_pack(folder, "bad.yaml", GOOD.replace("id: tiny", "id: other").replace("kind: film", "kind: anime"))
    monkeypatch.setenv("PACKS_DIR", str(folder))
    code, out, err = run(capsys, "packs", "list")
    assert code == 0
    assert "tiny: Tiny (2 entities, 1 facts," in out
    assert "other" not in out
    assert "bad.yaml:9: entities[0].kind" in err


def test_packs_dir_adds_folders_to_the_built_in_packs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pack(tmp_path / "one", "tiny.yaml", GOOD)
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "amen.yaml").write_text(uploaded_pack_yaml(), encoding="utf-8")
    monkeypatch.setenv("PACKS_DIR", os.pathsep.join([str(tmp_path / "one"), "", str(tmp_path / "two")]))
    code, out, err = run(capsys, "packs", "list")
    assert code == 0, err
    listed = [line.split(":")[0] for line in out.splitlines()]
    assert listed == ["amen-break", SEED_ID, "tiny"]
    assert err == ""


def test_fact_and_play_see_the_packs_packs_dir_adds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "amen.yaml").write_text(uploaded_pack_yaml(), encoding="utf-8")
    monkeypatch.setenv("PACKS_DIR", str(tmp_path / "mine"))
    code, out, _ = run(capsys, "fact", "the", "winstons")
    assert code == 0 and out.startswith("The Winstons (musician)")
    code, out, err = play_piped(capsys, monkeypatch, tmp_path, "--pack", "amen-break")
    assert code == 0, err
    assert out.startswith("Crate Digger: The Amen break.")


def test_a_pack_id_defined_twice_is_reported_once_with_both_places(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_pack(tmp_path / "one", "tiny.yaml", GOOD)
    second = write_pack(tmp_path / "two", "tiny-again.yaml", GOOD)
    monkeypatch.setenv("PACKS_DIR", os.pathsep.join([str(tmp_path / "one"), str(tmp_path / "two")]))
    code, out, err = run(capsys, "packs", "list")
    assert code == 0
    assert out.count("tiny: Tiny") == 1
    (warning,) = err.splitlines()
    assert str(first) in warning and str(second) in warning and "'tiny'" in warning


def test_packs_dir_that_does_not_exist_names_the_setting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACKS_DIR", str(tmp_path / "nothing-here"))
    code, out, err = run(capsys, "packs", "list")
    assert code == 2 and out == ""
    assert err.startswith("crate-digger: PACKS_DIR lists folders of packs") and "does not exist" in err


def test_no_packs_found_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without its packs used to print "no packs" and exit 0, so nothing noticed."""
    monkeypatch.setattr("bot.config.BUILTIN_PACKS_DIR", tmp_path / "empty-install")
    monkeypatch.delenv("PACKS_DIR")
    for command in (["packs", "list"], ["play"]):
        code, out, err = run(capsys, *command)
        assert code == 1 and out == ""
        (line,) = err.splitlines()
        assert line == f"crate-digger: no packs found in {tmp_path / 'empty-install'}"


def show_json(capsys: pytest.CaptureFixture[str], ref: str) -> dict:
    code, out, err = run(capsys, "packs", "show", ref, "--json")
    assert code == 0, err
    return json.loads(out)


def test_packs_show_json_is_the_whole_pack(capsys: pytest.CaptureFixture[str]) -> None:
    document = show_json(capsys, SEED_ID)
    assert document["id"] == SEED_ID
    assert document["title"]
    entity_ids = {entity["id"] for entity in document["entities"]}
    assert {"akira", "stronger", "kanye-west"} <= entity_ids
    assert len(document["facts"]) >= 18
    for fact in document["facts"]:
        assert {"subject", "relation", "object", "quote"} <= set(fact)
        assert fact["subject"] in entity_ids and fact["quote"]
    questions = document["questions"]
    for question in questions:
        assert {"id", "prompt", "answers", "choices", "fact"} <= set(question)
        assert question["answers"]
        assert not question["choices"] or question["answers"][0] in question["choices"]
    assert len({question["id"] for question in questions}) == len(questions) >= 40
    assert len({question["prompt"] for question in questions}) >= 40
    asked = {question["fact"] for question in questions}
    assert {fact["id"] for fact in document["facts"]} <= asked


def test_packs_show_is_stable_between_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert show_json(capsys, SEED_ID) == show_json(capsys, SEED_ID)


def test_packs_show_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(BUILTIN_PACKS_DIR / "kanye-stronger-akira.txt", folder)
    copy = folder / "my-copy.yaml"
    copy.write_text(SEED.read_text(encoding="utf-8").replace(f"id: {SEED_ID}", "id: my-copy", 1), encoding="utf-8")
    document = show_json(capsys, str(copy))
    assert document["id"] == "my-copy"
    assert all(question["id"].startswith("my-copy/") for question in document["questions"])
    assert len(document["questions"]) >= 40


def test_packs_show_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "packs", "show", SEED_ID)
    assert code == 0
    assert out.splitlines()[0].endswith(f"[{SEED_ID}]")
    assert "answer: Akira" in out


def test_packs_show_a_bad_file_or_unknown_id_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = write_pack(tmp_path / "packs", "bad.yaml", BAD_FILES["unknown entity"][0])
    code, out, err = run(capsys, "packs", "show", str(bad), "--json")
    assert code == 1 and out == ""
    assert f"{bad}:16: facts[0].object:" in err
    code, out, err = run(capsys, "packs", "show", "no-such-pack")
    assert code == 1 and out == ""
    assert SEED_ID in err


# ---------------------------------------------------------------- fact


def test_fact_akira(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "akira")
    assert code == 0
    assert out.startswith("Akira (film, 1988)")
    assert 'inspired: the "Stronger" music video' in out
    assert "by: Katsuhiro Otomo" in out
    assert "has the character: Tetsuo Shima" in out
    assert "(via IndieWire)" in out and "(via SOHH.com)" in out
    assert '"The video for Stronger is largely based on Akira"' in out


def test_fact_daft_punk_reaches_stronger_through_their_song(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "daft punk")
    assert code == 0
    assert out.startswith("Daft Punk")
    assert "through Harder, Better, Faster, Stronger, sampled by: Stronger" in out


def test_fact_joins_several_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "daft", "punk")
    assert code == 0 and out.startswith("Daft Punk")


@pytest.mark.parametrize("typed", ["akria", "AKÍRA", "Akira", "  akira  "])
def test_fact_forgives_typos_case_and_accents(capsys: pytest.CaptureFixture[str], typed: str) -> None:
    code, out, _ = run(capsys, "fact", typed)
    assert code == 0
    assert out.startswith("Akira (film, 1988)")


def test_fact_unknown_name_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "nonsense-zzz")
    assert code == 1
    # either nothing is suggested, or only real names are
    found = re.fullmatch(r"Nothing known as 'nonsense-zzz'\.(?: Did you mean: (.+)\?)?\n", out)
    assert found, out
    suggested = set(found.group(1).split(", ")) if found.group(1) else set()
    assert suggested <= {entity["name"] for entity in show_json(capsys, SEED_ID)["entities"]}


def test_fact_near_miss_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "steely")
    assert code == 1
    assert "Did you mean: Steely Dan" in out


def test_fact_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "--json", "akira")
    assert code == 0
    document = json.loads(out)
    assert document["entity"]["id"] == "akira"
    assert document["entity"]["year"] == 1988
    relations = {(relation["relation"], relation["other"]) for relation in document["relations"]}
    assert ("by", "Katsuhiro Otomo") in relations
    assert all(relation["quote"] and relation["source"] for relation in document["relations"])
    assert document["packs"] == [SEED_ID]


def test_fact_json_names_the_work_each_through_entry_goes_through(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "--json", "kanye west")
    assert code == 0
    through = {(entry["work"], entry["relation"], entry["other"]) for entry in json.loads(out)["through"]}
    assert ("Stronger", "samples", "Harder, Better, Faster, Stronger") in through
    code, text, _ = run(capsys, "fact", "kanye west")
    assert "through Stronger, samples: Harder, Better, Faster, Stronger" in text


def test_fact_json_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fact", "--json", "nonsense-zzz")
    assert code == 1
    document = json.loads(out)
    assert document["found"] is None
    assert isinstance(document["suggestions"], list)


# ---------------------------------------------------------------- packs that play anywhere


@pytest.fixture
def my_pack(tmp_path: Path) -> Path:
    """A moderator's own pack, written in the folder they work in (the working folder of these tests)."""
    path = tmp_path / "my-pack.yaml"
    path.write_text(uploaded_pack_yaml("my-pack", "My own pack"), encoding="utf-8")
    return path


def play_piped(capsys, monkeypatch, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "scores.sqlite3"))
    monkeypatch.setattr("sys.stdin", io.StringIO("A\nA\n"))
    return run(capsys, "play", "--questions", "2", "--seed", "3", "--name", "tester", *argv)


@pytest.mark.parametrize("ref", ["my-pack.yaml", "my-pack", "{tmp}/my-pack.yaml"])
def test_play_a_pack_file(capsys, monkeypatch, tmp_path: Path, my_pack: Path, ref: str) -> None:
    """`play --pack my-pack.yaml` and `play --pack my-pack` both used to say "no pack"."""
    code, out, err = play_piped(capsys, monkeypatch, tmp_path, "--pack", ref.format(tmp=tmp_path))
    assert code == 0, err
    assert out.startswith("Crate Digger: My own pack. 2 questions;")
    assert "Question 2/2" in out and "Final score:" in out


def test_play_an_unknown_pack_lists_the_known_ids(capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = play_piped(capsys, monkeypatch, tmp_path, "--pack", "no-such-pack")
    assert code == 1 and out == ""
    assert err == f"crate-digger: no pack 'no-such-pack': not a known pack id ({SEED_ID}) nor a pack file\n"


def test_play_a_bad_pack_file_shows_where(capsys, monkeypatch, tmp_path: Path) -> None:
    bad = write_pack(tmp_path, "bad.yaml", BAD_FILES["unknown relation"][0])
    code, out, err = play_piped(capsys, monkeypatch, tmp_path, "--pack", str(bad))
    assert code == 1 and out == ""
    assert err.startswith(f"{bad}:15: facts[0].relation: ")


def test_packs_show_a_file_in_the_working_folder_by_its_name(capsys, my_pack: Path) -> None:
    assert show_json(capsys, "my-pack")["id"] == "my-pack"


def test_fact_sees_a_pack_file(capsys, my_pack: Path) -> None:
    """`fact` could not see a user's pack; with --pack it looks in the built-in packs plus that file."""
    code, _, _ = run(capsys, "fact", "the", "winstons")
    assert code == 1
    code, out, _ = run(capsys, "fact", "--pack", str(my_pack), "the", "winstons")
    assert code == 0
    assert out.startswith("The Winstons (musician)")
    assert "made: Amen, Brother" in out
    code, out, _ = run(capsys, "fact", "--pack", str(my_pack), "akira")
    assert code == 0 and out.startswith("Akira (film, 1988)")


def test_fact_with_an_unknown_pack_fails(capsys) -> None:
    code, out, err = run(capsys, "fact", "--pack", "no-such-pack", "akira")
    assert code == 1 and out == ""
    assert "no pack 'no-such-pack'" in err


def test_fact_shows_the_note_that_corrects_the_article(capsys: pytest.CaptureFixture[str]) -> None:
    note = "The article dates this tweet to 2008; Kanye West posted it in 2018."
    code, out, _ = run(capsys, "fact", "akira")
    assert code == 0
    assert f"      note: {note}" in out
    code, out, _ = run(capsys, "fact", "--json", "akira")
    noted = [relation for relation in json.loads(out)["relations"] if relation["note"]]
    assert [(relation["relation"], relation["other"], relation["note"]) for relation in noted] == [
        ("likened to it by", "Kanye West", note)
    ]


# ---------------------------------------------------------------- packs import

FIXTURES = Path(__file__).parent / "authoring" / "fixtures"


@pytest.mark.parametrize(
    ("fixture", "source_format", "questions"),
    [("red-sampler.yaml", "red", 14), ("opentdb-music.json", "opentdb", 7)],
)
def test_packs_import_writes_a_pack_that_passes_check(
    capsys, tmp_path: Path, fixture: str, source_format: str, questions: int
) -> None:
    out = tmp_path / "My Import.yaml"
    code, stdout, err = run(capsys, "packs", "import", "--from", source_format, str(FIXTURES / fixture), "-o", str(out))
    assert code == 0, stdout + err
    (summary,) = stdout.splitlines()
    source = FIXTURES / fixture
    assert summary.startswith(f"imported {questions} questions from {source} into {out} (pack id my-import)")
    code, stdout, _ = run(capsys, "packs", "check", str(out))
    assert code == 0 and f"ok: {out}: my-import (0 entities, 0 facts, {questions} hand-written questions)" in stdout


def test_packs_import_detects_the_format_and_takes_an_id(capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    source = FIXTURES / "opentdb-music.json"
    code, stdout, _ = run(capsys, "packs", "import", str(source), "-o", str(out), "--id", "otdb")
    assert code == 0 and "(pack id otdb)" in stdout
    assert "id: otdb\n" in out.read_text(encoding="utf-8")


def test_packs_import_never_overwrites_without_force(capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    out.write_text("precious", encoding="utf-8")
    code, stdout, _ = run(capsys, "packs", "import", str(FIXTURES / "red-sampler.yaml"), "-o", str(out))
    assert code == 1
    assert stdout == f"{out}:1: (file): already exists; pass --force to overwrite it\n"
    assert out.read_text(encoding="utf-8") == "precious"
    code, _, _ = run(capsys, "packs", "import", str(FIXTURES / "red-sampler.yaml"), "-o", str(out), "--force")
    assert code == 0 and out.read_text(encoding="utf-8").startswith("id: out\n")


def test_packs_import_problems_are_file_line_field_lines(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Q1?:\n- a\nQ2?:\n  nested: mapping\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    code, stdout, err = run(capsys, "packs", "import", "--from", "red", str(bad), "-o", str(out))
    assert code == 1 and "Traceback" not in stdout + err
    (issue,) = issue_lines(stdout)
    assert (issue.group(1), issue.group(2), issue.group(3)) == (str(bad), "4", "Q2?[0]")
    assert not out.exists()
    code, stdout, _ = run(capsys, "packs", "import", str(SEED), "-o", str(out))
    assert code == 1 and "not a Red trivia list or Open Trivia DB JSON" in stdout
    code, stdout, _ = run(capsys, "packs", "import", str(tmp_path / "missing.json"), "-o", str(out))
    assert code == 1 and stdout.startswith(f"{tmp_path / 'missing.json'}:1: (file): cannot read")


def test_packs_show_and_play_show_the_attribution(capsys, monkeypatch, tmp_path: Path) -> None:
    out = tmp_path / "otdb.yaml"
    assert run(capsys, "packs", "import", str(FIXTURES / "opentdb-music.json"), "-o", str(out))[0] == 0
    code, stdout, _ = run(capsys, "packs", "show", str(out))
    assert code == 0
    assert "license: CC BY-SA 4.0" in stdout
    assert "Questions from the Open Trivia Database (opentdb.com), licensed CC BY-SA 4.0" in stdout
    document = show_json(capsys, str(out))
    assert document["source"]["license"] == "CC BY-SA 4.0"
    code, stdout, err = play_piped(capsys, monkeypatch, tmp_path, "--pack", str(out))
    assert code == 0, err
    assert stdout.count("Questions from the Open Trivia Database (opentdb.com), licensed CC BY-SA 4.0") >= 1


def test_packs_check_uses_the_configured_size_caps_but_the_built_in_packs_the_defaults(capsys, monkeypatch, tmp_path):
    copy = tmp_path / "mine"
    shutil.copytree(BUILTIN_PACKS_DIR, copy)
    monkeypatch.setenv("MAX_ENTITIES_PER_PACK", "1")
    code, out, _ = run(capsys, "packs", "check", str(copy / SEED.name))
    assert code == 1 and "entities" in out
    assert run(capsys, "packs", "check", str(SEED))[0] == 0
    monkeypatch.delenv("MAX_ENTITIES_PER_PACK")
    assert run(capsys, "packs", "check", str(copy / SEED.name))[0] == 0


@pytest.mark.parametrize("columns", [50, 100])
def test_help_fits_the_width_the_terminal_gives(columns, monkeypatch: pytest.MonkeyPatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        main(["play", "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= columns - 2  # argparse keeps a margin of 2, as with shutil's width
    assert max(map(len, lines)) > columns - 20  # and uses the width it is given
