"""Where pack files are: the built-in folder, and the files a folder holds.

A module of its own so that settings and the pack cache find them without loading the pack format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.util import find_spec
from pathlib import Path


def _builtin_packs_dir() -> Path:
    # Installed (wheel, container) or editable, questions/ is the package data of ``bot.questions``
    # (see setup.py); a bare checkout on PYTHONPATH, never installed, still finds it beside bot/.
    # find_spec locates the package without importing importlib.resources (a few ms at every start).
    spec = find_spec("bot.questions")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "questions"


BUILTIN_PACKS_DIR = _builtin_packs_dir()


def pack_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders into the pack files inside them, sorted so output is stable."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            yield path
