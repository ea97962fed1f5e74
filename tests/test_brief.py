"""Error text quotes what was typed, but never all of a paste."""

from __future__ import annotations

import pytest

from bot.brief import BRIEF_CHARS, brief
from bot.cli import main
from bot.trivia.packs import BUILTIN_PACKS_DIR

pytestmark = pytest.mark.reliability


def test_short_values_are_quoted_as_typed():
    assert brief("akira") == "'akira'"
    assert brief(1988) == "1988"


@pytest.mark.parametrize(
    "value", ["x" * 100_000, "é\n" * 5_000, 10**6_000, ["a"] * 10_000], ids=["text", "lines", "huge-int", "list"]
)
def test_long_values_are_cut(value):
    shown = brief(value)
    assert len(shown) <= BRIEF_CHARS


def test_cli_error_lines_stay_short(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PACKS_DIR", str(BUILTIN_PACKS_DIR))
    pasted = "never-gonna-give-you-up-" * 2_000
    assert main(["packs", "show", pasted]) == 1
    assert main(["fact", pasted]) == 1
    captured = capsys.readouterr()
    for line in (captured.out + captured.err).splitlines():
        assert len(line) < 300, line[:100]
