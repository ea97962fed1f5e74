"""Compiled packs cached on disk, keyed by a hash of their text and of the code that compiles them.

Used by the pack worker (a server's uploads, its question sets) and by the CLI (the pack folders and
their questions, so that `packs list`, `packs show` and `play` start without the YAML loader or
question generation, and `fact`'s answers as plain data). The files are pickles (or, for plain data,
marshal files) under the data folder, as trusted as the database beside it (pickle runs code on
load): only the bot writes there. A module of its own, light to import: it needs no dataclass, and
what it loads back needs only ``bot.trivia.model``.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.packfiles import pack_files

if TYPE_CHECKING:
    from bot.trivia.catalog import Catalog
    from bot.trivia.model import Pack, Question

CACHE_FILES_KEPT = 2_000  # oldest files go first; a server's set is rebuilt from the store when missing


def _code_version() -> str:
    """The code that turns pack text into packs, questions and fact sheets, as each source file's name,
    size and modification time: a change invalidates the cache. Judged the way Python judges its own
    bytecode cache, so a start reads no source file and needs no hash."""
    here = os.path.dirname(os.path.realpath(__file__))
    # This module and its neighbours too: the shape of what is stored (LoadedFolders, sheets) is part of it.
    # os.scandir rather than Path.glob: every command pays this at import, and glob's pattern matching
    # cost a warm `fact` about 3 ms of its 80.
    stamps = []
    for folder in (here, os.path.join(here, "trivia")):
        with os.scandir(folder) as entries:
            sources = sorted(entry.path for entry in entries if entry.name.endswith(".py"))
        for source in sources:
            status = os.stat(source)
            stamps.append((source, status.st_size, status.st_mtime_ns))
    return repr(stamps)


def _stamp(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return str(path), status.st_size, status.st_mtime_ns


CODE_VERSION = _code_version()


def digest(*parts: str | bytes) -> str:
    """A cache key: the code version and every part, each length-prefixed so parts cannot run together."""
    import hashlib  # not on a warm `fact`, which needs no key of this kind (OpenSSL takes ~4 ms to load)

    hashed = hashlib.sha256(CODE_VERSION.encode())
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)
    return hashed.hexdigest()


class PackCache:
    """Values by key, one file each. ``plain=True`` stores plain data (dicts, lists, tuples, strings,
    numbers) with ``marshal``, which is built into the interpreter and loads several times faster
    than pickle; anything else needs pickle (the default)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def load(self, key: str, *, plain: bool = False) -> Any:
        path = self.folder / f"{key}.{_suffix(plain)}"
        try:
            with path.open("rb") as file:
                if plain:
                    value = marshal.load(file)
                else:
                    import pickle  # not on the plain path: `fact` starts without it

                    value = pickle.load(file)
            os.utime(path)  # recently used files are the ones kept
            return value
        except FileNotFoundError:
            return None
        except Exception as error:  # a truncated or foreign file: rebuild it rather than fail
            _warn("pack cache: ignoring unreadable %s (%s)", path.name, type(error).__name__)
            return None

    def store(self, key: str, value: object, *, plain: bool = False) -> None:
        import pickle
        import tempfile  # only when writing: a warm start never pays for it

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written whole then renamed, so a crash never leaves half a file under the real name.
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as file:
                if plain:
                    marshal.dump(value, file)
                else:
                    pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(file.name, self.folder / f"{key}.{_suffix(plain)}")
            self._trim()
        except OSError as error:  # a full or read-only disk costs speed, never the work itself
            _warn("pack cache: cannot write in %s (%s)", self.folder, error.strerror or error)
        except ValueError as error:  # marshal refused a value that is not plain data: a bug, but only speed
            Path(file.name).unlink(missing_ok=True)
            _warn("pack cache: cannot store %s (%s)", key, error)

    def _trim(self) -> None:
        files = [*self.folder.glob("*.pickle"), *self.folder.glob("*.marshal")]
        if len(files) <= CACHE_FILES_KEPT:
            return
        files.sort(key=lambda path: path.stat().st_mtime)
        for path in files[: len(files) - CACHE_FILES_KEPT]:
            path.unlink(missing_ok=True)


class LoadedFolders(NamedTuple):
    """The packs of some folders, and each problem that kept a pack out, as the line to print."""

    packs: tuple[Pack, ...]
    problems: tuple[str, ...]
    # Files read besides the pack files (articles named by source.file), with their hashes, so an
    # edited article is noticed though the key covers the pack files only.
    articles: tuple[tuple[str, str], ...] = ()


class CompiledFolders(NamedTuple):
    """The packs of some folders with every pack's questions (generated as a Catalog of them would)."""

    packs: tuple[Pack, ...]
    problems: tuple[str, ...]
    questions: Mapping[str, tuple[Question, ...]]


def load_folders(
    folders: Sequence[Path], cache_dir: Path | None, limits: PackLimits = DEFAULT_PACK_LIMITS
) -> LoadedFolders:
    """Every pack in these folders (see ``load_packs``); from the cache when no file has changed."""
    return _load_folders(_FolderKey.of(folders, limits), cache_dir, limits)


def compile_folders(
    folders: Sequence[Path], cache_dir: Path | None, limits: PackLimits = DEFAULT_PACK_LIMITS
) -> CompiledFolders:
    """The packs of ``load_folders`` and their questions, both from the cache when no file has changed."""
    key = _FolderKey.of(folders, limits)
    loaded = _load_folders(key, cache_dir, limits)
    cache = PackCache(cache_dir) if cache_dir is not None and key.usable(loaded) else None
    questions_key = digest("questions", key.digest or "")
    questions = cache.load(questions_key) if cache is not None else None
    if not isinstance(questions, dict):
        from bot.trivia.generate import distractor_names, generate_catalog  # only on a miss

        generated = generate_catalog(loaded.packs, distractor_names(loaded.packs))
        questions = {pack_id: tuple(found) for pack_id, found in generated.items()}
        if cache is not None:
            cache.store(questions_key, questions)
    return CompiledFolders(loaded.packs, loaded.problems, questions)


def cached_catalog(
    folders: Sequence[Path], cache_dir: Path | None, limits: PackLimits = DEFAULT_PACK_LIMITS
) -> tuple[Catalog, tuple[str, ...]]:
    """A catalog of these folders' packs, from the cache when no file has changed, and the packs' problems."""
    from bot.trivia.catalog import Catalog

    compiled = compile_folders(folders, cache_dir, limits)
    return Catalog(compiled.packs, questions=compiled.questions), compiled.problems


def load_derived(
    folders: Sequence[Path],
    cache_dir: Path | None,
    limits: PackLimits,
    name: str,
    derive: Callable[[LoadedFolders], Any],
) -> Any:
    """Plain data ``derive`` makes from the folders' packs, cached (marshal) under ``name``.

    A warm call checks the size and modification time of every pack file, article and source file
    (as Python checks its bytecode cache) and reads one marshal file: it reads no pack, hashes
    nothing and imports no pack model. Only what derives from the packs alone belongs here; the
    value must be plain data. A set of packs with problems is derived every time, never kept."""
    import zlib

    existing = [folder for folder in folders if folder.exists()]
    identity = repr((name, [str(folder) for folder in existing], tuple(limits), marshal.version, CODE_VERSION))
    try:
        files = [_stamp(path) for path in pack_files(existing)]
    except OSError:  # a file vanished or is unreadable: loading the packs reports it properly
        files = None
    cache = PackCache(cache_dir) if cache_dir is not None and files is not None else None
    # The file is named by a checksum of the identity, which it holds whole: a clash only costs a rebuild.
    key = f"{name}-{zlib.crc32(identity.encode()):08x}"
    cached = cache.load(key, plain=True) if cache is not None else None
    if (
        isinstance(cached, dict)
        and cached.get("identity") == identity
        and cached.get("files") == files
        and _stamps_unchanged(cached.get("articles", ()))
    ):
        return cached["value"]
    loaded = load_folders(folders, cache_dir, limits)
    value = derive(loaded)
    if cache is not None and not loaded.problems:
        try:
            articles = [_stamp(Path(path)) for path, _ in loaded.articles]
        except OSError:
            return value
        entry = {"identity": identity, "files": files, "articles": articles, "value": value}
        cache.store(key, entry, plain=True)
    return value


def _stamps_unchanged(stamps: Iterable[tuple[str, int, int]]) -> bool:
    try:
        return all(_stamp(Path(path)) == (path, size, mtime) for path, size, mtime in stamps)
    except OSError:
        return False


class _FolderKey(NamedTuple):
    """The folders that exist, and a hash of every pack file in them (None when one cannot be read)."""

    existing: list[Path]
    digest: str | None

    @classmethod
    def of(cls, folders: Sequence[Path], limits: PackLimits) -> _FolderKey:
        existing = [folder for folder in folders if folder.exists()]
        files = list(pack_files(existing))
        try:
            return cls(
                existing, digest("folders", repr(limits), *(str(folder) for folder in existing), *_contents(files))
            )
        except OSError:  # a file vanished or is unreadable: load_packs reports it properly
            return cls(existing, None)

    def usable(self, loaded: LoadedFolders) -> bool:
        """Whether what was made of these folders may be kept: a result with problems is not, since the
        fix may be a file the key does not cover (a missing article)."""
        return self.digest is not None and not loaded.problems


def _load_folders(key: _FolderKey, cache_dir: Path | None, limits: PackLimits) -> LoadedFolders:
    cache = PackCache(cache_dir) if cache_dir is not None and key.digest is not None else None
    cached = cache.load(key.digest) if cache is not None and key.digest is not None else None
    if isinstance(cached, LoadedFolders) and _unchanged(cached.articles):
        return cached
    from bot.trivia.packs import load_packs  # the YAML loader and validator, only on a miss

    result = load_packs(key.existing, limits)
    articles = tuple(
        (str(path), _file_hash(path))
        for path in (_article_path(pack) for pack in result.packs)
        if path is not None and path.is_file()
    )
    loaded = LoadedFolders(result.packs, tuple(str(issue) for issue in result.issues), articles)
    if cache is not None and key.digest is not None and key.usable(loaded):
        cache.store(key.digest, loaded)
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
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unchanged(articles: Iterable[tuple[str, str]]) -> bool:
    try:
        return all(_file_hash(Path(path)) == known for path, known in articles)
    except OSError:
        return False


def _suffix(plain: bool) -> str:
    return "marshal" if plain else "pickle"


def _warn(message: str, *args: object) -> None:
    # The logger is fetched only when there is something to say: `logging` costs a CLI start ~10 ms.
    import logging

    logging.getLogger(__name__).warning(message, *args)
