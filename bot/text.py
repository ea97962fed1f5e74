"""Small wording helpers shared by the terminal and Discord front ends."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 game"``, ``"2 games"``, ``"0 games"``; pass ``plural_form`` for irregular nouns."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
