"""Which packs a server can play: the built-in ones plus the ones its moderators uploaded.

Uploaded packs live in the store as the YAML the moderator sent, so they survive restarts and are
validated by exactly the same code as built-in packs. An upload may also be trivia in another format
(a Red-DiscordBot list, Open Trivia DB JSON): it is recognised by its content, imported, and stored as
the pack it became. All pack work (import, parsing, validation, question generation, the fact index)
happens off the event loop: in a worker process (``bot.packwork``), the index in a thread. A
per-server Catalog is cached and rebuilt only when that server's packs change, which the store's
pack revision tells with one cheap read: another process (another shard's, a restart's overlap) that
uploads, replaces or removes a pack is seen at the next use, so what is played is what is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Re-exported: the import step runs in the pack worker now, where these live.
from bot.packwork import IMPORTED_FORMATS, PackText, PackWorker, ServerLimits, job_for, pack_text_from_upload  # noqa: F401
from bot.storage.base import Store
from bot.trivia.catalog import Catalog
from bot.trivia.model import Pack
from bot.trivia.packs import PackError, PackIssue, decode_pack_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Compiled:
    """A server's catalog and the pack revision of the stored packs it was built from."""

    revision: int
    catalog: Catalog


@dataclass(frozen=True)
class UploadResult:
    pack: Pack
    replaced: bool
    questions: int
    imported_from: str | None = None  # e.g. "a Red-DiscordBot trivia list"; None for a pack as sent


class PackLibrary:
    def __init__(
        self,
        store: Store,
        builtin: Catalog,
        clock: Callable[[], float] = time.time,
        *,
        worker: PackWorker | None = None,
        limits: ServerLimits | None = None,
        cache_dir: Path | None = None,
    ):
        self._store = store
        self._builtin = builtin
        self._clock = clock
        # Without a worker of its own (tests, the CLI) the work runs in a thread.
        self._worker = worker or PackWorker(processes=0)
        self._limits = limits or ServerLimits()
        self._cache_dir = cache_dir
        self._catalogs: dict[int, _Compiled] = {}
        self._building: dict[int, asyncio.Lock] = {}
        self._warming: set[asyncio.Task[None]] = set()

    @property
    def builtin(self) -> Catalog:
        return self._builtin

    @property
    def limits(self) -> ServerLimits:
        return self._limits

    def close(self) -> None:
        self._worker.close()

    async def catalog_for(self, guild_id: int | None) -> Catalog:
        if guild_id is None:
            return self._builtin
        cached = self._catalogs.get(guild_id)
        if cached is not None and cached.revision == await self._store.pack_revision(guild_id):
            return cached.catalog
        # One build per server at a time: interactions arriving meanwhile wait for it, not redo it.
        async with self._building.setdefault(guild_id, asyncio.Lock()):
            # Read before the packs: a change landing in between then only costs one more build.
            revision = await self._store.pack_revision(guild_id)
            cached = self._catalogs.get(guild_id)
            if cached is not None and cached.revision == revision:
                return cached.catalog
            stored = await self._stored_texts(guild_id)
            if not stored:
                # Most servers upload nothing: they play the built-in catalog, with no worker round trip.
                self._catalogs[guild_id] = _Compiled(revision, self._builtin)
                return self._builtin
            compiled = await self._worker.run(self._job(stored))
            for pack_id, problem in compiled.skipped:
                # Stored packs were valid when uploaded; a stricter validator since then must not
                # take the whole server's packs down, only the one that no longer passes.
                log.warning("guild %s: stored pack %s no longer validates: %s", guild_id, pack_id, problem)
            return await self._install(guild_id, revision, compiled.packs, compiled.questions)

    def catalog_now(self, guild_id: int | None) -> Catalog:
        """The server's catalog if it is built (as of its last use: a change another process made
        since shows at the next ``catalog_for``); else the built-in one, while the server's is built
        in the background. For autocomplete, which must answer within Discord's 3 seconds."""
        if guild_id is None:
            return self._builtin
        cached = self._catalogs.get(guild_id)
        if cached is not None:
            return cached.catalog
        lock = self._building.get(guild_id)
        if lock is None or not lock.locked():
            task = asyncio.get_running_loop().create_task(self._warm(guild_id))
            self._warming.add(task)
            task.add_done_callback(self._warming.discard)
        return self._builtin

    async def _warm(self, guild_id: int) -> None:
        try:
            await self.catalog_for(guild_id)
        except Exception as error:  # the next real interaction builds it again and reports the problem
            log.warning("guild %s: building its packs in the background failed: %s", guild_id, error)

    async def _install(self, guild_id: int, revision: int | None, packs, questions) -> Catalog:
        """Build the catalog and keep it for ``revision`` of the server's packs (None: not kept)."""
        catalog = Catalog(packs, base=self._builtin, questions=questions)
        # The fact index is built now, in a thread, so no interaction ever builds it on the loop.
        await asyncio.to_thread(lambda: catalog.index)
        if revision is not None:
            self._catalogs[guild_id] = _Compiled(revision, catalog)
        return catalog

    async def _stored_texts(self, guild_id: int) -> list[PackText]:
        return [
            PackText(f"{stored.pack_id}.yaml", stored.yaml_text, stored.pack_id)
            for stored in await self._store.list_packs(guild_id)
        ]

    def _job(self, stored: list[PackText], upload: PackText | None = None, generate: bool = True):
        return job_for(stored, self._builtin.packs(), self._limits, self._cache_dir, upload, generate)

    async def validate_upload(self, raw: bytes, file_name: str) -> Pack:
        """Check an uploaded file without saving it; raises PackError with every problem."""
        upload = PackText(file_name, decode_pack_bytes(raw, file_name, self._limits.pack))
        compiled = await self._worker.run(self._job([], upload, generate=False))
        if compiled.upload_error is not None:
            raise compiled.upload_error
        assert compiled.upload is not None
        return compiled.upload

    async def add(self, guild_id: int, raw: bytes, file_name: str, uploaded_by: int) -> UploadResult:
        """Validate first, then replace atomically: a bad upload leaves the old version in place."""
        upload = PackText(file_name, decode_pack_bytes(raw, file_name, self._limits.pack))
        async with self._building.setdefault(guild_id, asyncio.Lock()):
            before = await self._store.pack_revision(guild_id)
            stored = await self._stored_texts(guild_id)
            compiled = await self._worker.run(self._job(stored, upload))
            if compiled.upload_error is not None:
                raise compiled.upload_error
            pack = compiled.upload
            assert pack is not None
            stored_ids = {text.pack_id for text in stored}
            replaced = pack.id in stored_ids
            if not replaced and len(stored_ids) >= self._limits.packs_per_server:
                raise PackError(
                    [
                        PackIssue(
                            file_name,
                            1,
                            "id",
                            f"this server already has {len(stored_ids)} packs, the most it may hold "
                            "(setting MAX_PACKS_PER_SERVER); remove one with /pack remove, or replace one "
                            "by uploading a pack with its id",
                        )
                    ]
                )
            # What is stored is the pack an import became, so it loads again after a restart like any pack.
            await self._store.save_pack(guild_id, pack.id, compiled.upload_text, uploaded_by, self._clock())
            self._catalogs.pop(guild_id, None)
            # Kept only if this save was the one change since ``stored`` was read; if another
            # process changed the packs meanwhile, the next use builds from the store instead.
            after = await self._store.pack_revision(guild_id)
            catalog = await self._install(
                guild_id, after if after == before + 1 else None, compiled.packs, compiled.questions
            )
        return UploadResult(pack, replaced, len(catalog.questions(pack.id)), compiled.imported_from)

    async def remove(self, guild_id: int, pack_id: str) -> bool:
        removed = await self._store.remove_pack(guild_id, pack_id)
        self._catalogs.pop(guild_id, None)
        return removed

    async def uploaded_ids(self, guild_id: int) -> set[str]:
        return {stored.pack_id for stored in await self._store.list_packs(guild_id)}
