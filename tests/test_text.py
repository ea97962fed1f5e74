from __future__ import annotations

import pytest

from bot.text import plural


@pytest.mark.parametrize(("count", "expected"), [(0, "0 games"), (1, "1 game"), (2, "2 games"), (-1, "-1 games")])
def test_plural(count: int, expected: str) -> None:
    assert plural(count, "game") == expected


def test_irregular_plural() -> None:
    assert plural(1, "match", "matches") == "1 match"
    assert plural(3, "match", "matches") == "3 matches"
