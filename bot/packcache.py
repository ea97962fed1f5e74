"""Compiled packs cached on disk, keyed by a hash of their text and of the code that compiles them.

Used by the pack worker (a server's uploads, its question sets) and by the CLI (the pack folders, so
that `crate-digger fact` starts without the YAML loader). The files are pickles under the data folder,
as trusted as the database beside it (pickle runs code on load): only the bot writes there. A module
of its own, light to import: what it loads back needs only ``bot.trivia.model``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.model import Pack
from bot.trivia.packfiles import pack_files

CACHE_FILES_KEPT = 2_000  # oldest files go first; a server's set is rebuilt from the store when missing


def _code_version() -> str:
    """A hash of the code that turns pack text into packs and questions: a change invalidates the cache."""
    digest = hashlib.sha256()
    trivia = Path(__file__).resolve().parent / "trivia"
    for source in sorted(trivia.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()


def digest(*parts: str | bytes) -> str:
    """A cache key: the code version and every part, each length-prefixed so parts cannot run together."""
    hashed = hashlib.sha256(CODE_VERSION.encode())
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)
    return hashed.hexdigest()


class PackCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def load(self, key: str):
        path = self.folder / f"{key}.pickle"
        try:
            with path.open("rb") as file:
                value = pickle.load(file)
            os.utime(path)  # recently used files are the ones kept
            return value
        except FileNotFoundError:
            return None
        except Exception as error:  # a truncated or foreign file: rebuild it rather than fail
            _warn("pack cache: ignoring unreadable %s (%s)", path.name, type(error).__name__)
            return None

    def store(self, key: str, value: object) -> None:
        import tempfile  # only when writing: a warm start never pays for it

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written whole then renamed, so a crash never leaves half a file under the real name.
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(file.name, self.folder / f"{key}.pickle")
            self._trim()
        except OSError as error:  # a full or read-only disk costs speed, never the work itself
            _warn("pack cache: cannot write in %s (%s)", self.folder, error.strerror or error)

    def _trim(self) -> None:
        files = list(self.folder.glob("*.pickle"))
        if len(files) <= CACHE_FILES_KEPT:
            return
        files.sort(key=lambda path: path.stat().st_mtime)
        for path in files[: len(files) - CACHE_FILES_KEPT]:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class LoadedFolders:
    """The packs of some folders, and each problem that kept a pack out, as the line to print."""

    packs: tuple[Pack, ...]
    problems: tuple[str, ...]
    # Files read besides the pack files (articles named by source.file), with their hashes, so an
    # edited article is noticed though the key covers the pack files only.
    articles: tuple[tuple[str, str], ...] = ()


def load_folders(
    folders: Sequence[Path], cache_dir: Path | None, limits: PackLimits = DEFAULT_PACK_LIMITS
) -> LoadedFolders:
    """Every pack in these folders (see ``load_packs``); from the cache when no file has changed."""
    existing = [folder for folder in folders if folder.exists()]
    files = list(pack_files(existing))
    try:
        key = digest("folders", repr(limits), *(str(folder) for folder in existing), *_contents(files))
    except OSError:  # a file vanished or is unreadable: load_packs reports it properly
        key = None
    cache = PackCache(cache_dir) if cache_dir is not None and key is not None else None
    cached = cache.load(key) if cache is not None and key is not None else None
    if isinstance(cached, LoadedFolders) and _unchanged(cached.articles):
        return cached
    from bot.trivia.packs import load_packs  # the YAML loader and validator, only on a miss

    result = load_packs(existing, limits)
    articles = tuple(
        (str(path), _file_hash(path))
        for path in (_article_path(pack) for pack in result.packs)
        if path is not None and path.is_file()
    )
    loaded = LoadedFolders(result.packs, tuple(str(issue) for issue in result.issues), articles)
    # A result with problems is not kept: the fix may be a file the key does not cover (a missing article).
    if cache is not None and key is not None and not result.issues:
        cache.store(key, loaded)
    return loaded


def _contents(files: Iterable[Path]) -> Iterable[str | bytes]:
    for path in files:
        yield str(path)
        yield path.read_bytes()


def _article_path(pack: Pack) -> Path | None:
    if not pack.path or not pack.source.file:
        return None
    return Path(pack.path).parent / pack.source.file


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unchanged(articles: Iterable[tuple[str, str]]) -> bool:
    try:
        return all(_file_hash(Path(path)) == known for path, known in articles)
    except OSError:
        return False


def _warn(message: str, *args: object) -> None:
    # The logger is fetched only when there is something to say: `logging` costs a CLI start ~10 ms.
    import logging

    logging.getLogger(__name__).warning(message, *args)
