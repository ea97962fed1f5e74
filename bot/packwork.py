"""Pack work off the event loop: parse, validate and generate in a worker process, cached on disk.

Parsing a large pack and generating its questions takes CPU time that would stall every server's
interactions if it ran on the event loop (a thread would too: it holds the GIL). So the work runs in
a process pool; the loop only awaits it, with a time limit. Where a pool cannot start (no
``fork``/``spawn`` allowed, no /dev/shm), the same work runs in a thread instead, which keeps the bot
working, only less smoothly.

Compiled packs are cached as pickle files under the data folder, keyed by a hash of the pack's text
and of the code that compiles it, so a restart or a second upload of the same text skips the YAML
and validation work. The folder is as trusted as the database beside it (pickle runs code on load):
only the bot writes there. Question sets are cached the same way, keyed by every pack text of the
server plus the names lent by the built-in packs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from bot.authoring.imports import detect_format, import_trivia, pack_id_from_file
from bot.packcache import PackCache, digest
from bot.trivia.generate import DistractorName, distractor_names, generate_catalog
from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.model import Pack, Question
from bot.trivia.packs import PackError, PackIssue, parse_pack

log = logging.getLogger(__name__)

# What an upload in another format is called in replies.
IMPORTED_FORMATS = {"red": "a Red-DiscordBot trivia list", "opentdb": "Open Trivia DB JSON"}


@dataclass(frozen=True)
class PackText:
    """A pack as stored: its YAML text, the name it is reported under, and its id once known."""

    file_name: str
    text: str
    pack_id: str | None = None


@dataclass(frozen=True)
class ServerLimits:
    """Bounds on what one server may hold; the settings MAX_PACKS_PER_SERVER and MAX_FACTS_PER_PACK, and
    the size caps its packs are validated with (MAX_PACK_BYTES, ...)."""

    packs_per_server: int = 25
    facts_per_pack: int = 2_000
    pack: PackLimits = DEFAULT_PACK_LIMITS


@dataclass(frozen=True)
class CompileJob:
    """Everything the worker needs, as plain values: it shares no memory with the bot."""

    stored: tuple[PackText, ...]
    lent: tuple[DistractorName, ...]  # the built-in packs' entity names, offered as wrong options
    builtin_ids: frozenset[str]
    limits: ServerLimits
    cache_dir: str | None
    upload: PackText | None = None  # a new pack: parsed first, replaces a stored pack with its id
    generate: bool = True


@dataclass(frozen=True)
class CompiledPacks:
    packs: tuple[Pack, ...]
    questions: dict[str, tuple[Question, ...]]
    # Stored packs that no longer validate (a stricter validator since): skipped, not fatal.
    skipped: tuple[tuple[str, str], ...] = ()
    upload: Pack | None = None
    upload_error: PackError | None = None
    upload_text: str = ""  # the pack YAML to store: as sent, or what an import became
    imported_from: str | None = None  # e.g. "a Red-DiscordBot trivia list"; None for a pack as sent


def pack_text_from_upload(text: str, file_name: str) -> tuple[str, str | None]:
    """The upload as pack YAML, and the format it was imported from (None when it is a pack already).

    The format comes from the content, since a Red list and a pack are both .yaml; an imported pack's
    id comes from the file name (a trivia list has no id of its own).
    """
    source_format = detect_format(text)
    if source_format == "pack":
        return text, None
    pack_id = pack_id_from_file(file_name)
    result = import_trivia(text, file_name, source_format=source_format, pack_id=pack_id, out_name=file_name)
    return result.yaml_text, IMPORTED_FORMATS[source_format]


def compile_packs(job: CompileJob) -> CompiledPacks:
    """Parse, validate and generate a server's packs. Runs in the worker; pure apart from the cache."""
    cache = PackCache(Path(job.cache_dir)) if job.cache_dir else None
    upload: Pack | None = None
    upload_source: PackText | None = None
    imported_from: str | None = None
    stored = list(job.stored)
    if job.upload is not None:
        try:
            text, imported_from = pack_text_from_upload(job.upload.text, job.upload.file_name)
            upload_source = PackText(job.upload.file_name, text)
            upload = _parse(upload_source, cache, job, imported=imported_from is not None)
        except PackError as error:
            return CompiledPacks((), {}, upload_error=error)
        stored = [text for text in stored if text.pack_id != upload.id]
        if not job.generate:
            return CompiledPacks((upload,), {}, upload=upload, upload_text=text, imported_from=imported_from)
    packs: list[Pack] = []
    sources: list[PackText] = []
    skipped: list[tuple[str, str]] = []
    for text in stored:
        try:
            packs.append(_parse(text, cache, job))
            sources.append(text)
        except PackError as error:
            skipped.append((text.pack_id or text.file_name, str(error)))
    if upload is not None and upload_source is not None:
        packs.append(upload)
        sources.append(upload_source)
    key = digest("questions", *(text.text for text in sources), *(repr(name) for name in job.lent))
    questions = cache.load(key) if cache else None
    if questions is None:
        generated = generate_catalog(packs, [*distractor_names(packs), *job.lent])
        questions = {pack_id: tuple(found) for pack_id, found in generated.items()}
        if cache:
            cache.store(key, questions)
    return CompiledPacks(
        tuple(packs),
        questions,
        tuple(skipped),
        upload,
        upload_text=upload_source.text if upload_source else "",
        imported_from=imported_from,
    )


def _parse(text: PackText, cache: PackCache | None, job: CompileJob, imported: bool = False) -> Pack:
    key = digest("pack", text.file_name, text.text)
    pack = cache.load(key) if cache else None
    if pack is None:
        pack = parse_pack(text.text, text.file_name, base_dir=None, limits=job.limits.pack)
        if cache:
            cache.store(key, pack)
    if pack.id in job.builtin_ids:
        rename = "rename the file" if imported else "give your pack another id"
        raise PackError([PackIssue(text.file_name, 1, "id", f"{pack.id!r} is a built-in pack; {rename}")])
    if len(pack.facts) > job.limits.facts_per_pack:
        raise PackError(
            [
                PackIssue(
                    text.file_name,
                    1,
                    "facts",
                    f"has {len(pack.facts)} facts; this bot allows {job.limits.facts_per_pack} per pack "
                    "(setting MAX_FACTS_PER_PACK)",
                )
            ]
        )
    return pack


class PackWorkTimeout(Exception):
    """Pack work took longer than the time limit; the message says so in words a moderator reads."""


class PackWorker:
    """Runs ``compile_packs`` in a process pool (or a thread where a pool cannot start), with a time limit."""

    def __init__(self, *, processes: int = 1, timeout: float = 60.0):
        self.processes = processes
        self.timeout = timeout
        self._pool: concurrent.futures.Executor | None = None

    def start(self) -> None:
        """Start the pool now, so the first upload does not wait for a new interpreter."""
        if self._pool is None:
            self._pool = self._new_pool()

    def _new_pool(self) -> concurrent.futures.Executor:
        if self.processes > 0:
            pool: concurrent.futures.ProcessPoolExecutor | None = None
            try:
                # spawn, not fork: the bot has threads (aiosqlite, the executor's own) a fork would copy.
                pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.processes, mp_context=multiprocessing.get_context("spawn")
                )
                pool.submit(int).result(timeout=self.timeout)  # fails here, not mid-upload, if it cannot
                return pool
            except Exception as error:  # whatever stops a pool starting (no /dev/shm, no threads left, ...)
                log.warning("pack work runs in a thread: a process pool could not start (%r)", error)
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
        return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pack-work")

    async def run(self, job: CompileJob) -> CompiledPacks:
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = await loop.run_in_executor(None, self._new_pool)
        pool = self._pool
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, compile_packs, job), self.timeout)
        except TimeoutError:
            # The worker cannot be interrupted mid-job; a fresh pool serves the next one while it ends.
            self._replace(pool)
            raise PackWorkTimeout(
                f"that took longer than {self.timeout:g} seconds, so I stopped waiting; try a smaller pack"
            ) from None
        except BrokenProcessPool:
            self._replace(pool)
            raise PackWorkTimeout("the pack worker stopped unexpectedly; please try again") from None

    def _replace(self, pool: concurrent.futures.Executor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def job_for(
    stored: Sequence[PackText],
    builtin: Sequence[Pack],
    limits: ServerLimits,
    cache_dir: Path | None,
    upload: PackText | None = None,
    generate: bool = True,
) -> CompileJob:
    return CompileJob(
        stored=tuple(stored),
        lent=tuple(distractor_names(builtin)),
        builtin_ids=frozenset(pack.id for pack in builtin),
        limits=limits,
        cache_dir=str(cache_dir) if cache_dir else None,
        upload=upload,
        generate=generate,
    )
