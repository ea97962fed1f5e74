"""Quoting what someone typed back at them without letting it take over the message."""

from __future__ import annotations

# Enough to recognise what was typed; an error line stays one short line whatever was pasted.
BRIEF_CHARS = 60


def brief(value: object, limit: int = BRIEF_CHARS) -> str:
    """``repr(value)``, at most ``limit`` characters (cut with an ellipsis)."""
    if isinstance(value, str):
        value = value[:limit]  # repr() of all of it would cost more than the message is worth
    elif isinstance(value, int) and value.bit_length() > 4 * limit:
        return f"a {value.bit_length()}-bit number"  # repr() of a huge int is slow, past 4,300 digits an error
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
