"""How large a pack may be: the caps the validator enforces, as one value with the defaults in one place.

A module of its own (no YAML, no rapidfuzz) so that settings, the JSON Schema generator and the docs
read the defaults without loading the pack format.
"""

from typing import NamedTuple


# A NamedTuple, not a frozen dataclass, so that loading settings (every command) needs no `dataclasses`.
# No `from __future__ import annotations` here: NamedTuple compiles every string annotation (~0.1 ms each).
class PackLimits(NamedTuple):
    """Caps on one pack. The defaults are what the built-in packs are checked with; a server's
    settings (MAX_PACK_BYTES, ...) may change them for the packs it loads or is sent."""

    file_bytes: int = 512 * 1024  # the pack file (YAML) itself
    source_chars: int = 200_000  # the article text the quotes come from
    nodes: int = 50_000  # YAML values (scalars, lists, mappings): bounds the work before any field is read
    entities: int = 500
    facts: int = 2_000
    questions: int = 2_000  # as many as facts: an imported trivia list keeps every question


DEFAULT_PACK_LIMITS = PackLimits()
