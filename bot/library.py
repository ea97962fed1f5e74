"""Which packs a server can play: the built-in ones plus the ones its moderators uploaded.

Uploaded packs live in the store as the YAML the moderator sent, so they survive restarts and are
validated by exactly the same code as built-in packs. A per-server Catalog is cached and rebuilt only
when that server's packs change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.base import Store
from bot.trivia.catalog import Catalog
from bot.trivia.model import Pack
from bot.trivia.packs import PackError, PackIssue, decode_pack_bytes, parse_pack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadResult:
    pack: Pack
    replaced: bool
    questions: int


class PackLibrary:
    def __init__(self, store: Store, builtin: Catalog, clock: Callable[[], float] = time.time):
        self._store = store
        self._builtin = builtin
        self._clock = clock
        self._catalogs: dict[int, Catalog] = {}

    @property
    def builtin(self) -> Catalog:
        return self._builtin

    async def catalog_for(self, guild_id: int | None) -> Catalog:
        if guild_id is None:
            return self._builtin
        cached = self._catalogs.get(guild_id)
        if cached is not None:
            return cached
        packs = []
        for stored in await self._store.list_packs(guild_id):
            try:
                packs.append(parse_pack(stored.yaml_text, f"{stored.pack_id}.yaml"))
            except PackError as error:
                # Stored packs were valid when uploaded; a stricter validator since then must not
                # take the whole server's packs down, only the one that no longer passes.
                log.warning("guild %s: stored pack %s no longer validates: %s", guild_id, stored.pack_id, error)
        catalog = Catalog(packs, base=self._builtin)
        self._catalogs[guild_id] = catalog
        return catalog

    def validate_upload(self, raw: bytes, file_name: str) -> Pack:
        """Check an uploaded file without saving it; raises PackError with every problem."""
        return self._parse_upload(raw, file_name)[1]

    def _parse_upload(self, raw: bytes, file_name: str) -> tuple[str, Pack]:
        text = decode_pack_bytes(raw, file_name)
        pack = parse_pack(text, file_name, base_dir=None)
        if self._builtin.pack(pack.id) is not None:
            raise PackError(
                [PackIssue(file_name, 1, "id", f"{pack.id!r} is a built-in pack; give your pack another id")]
            )
        return text, pack

    async def add(self, guild_id: int, raw: bytes, file_name: str, uploaded_by: int) -> UploadResult:
        """Validate first, then replace atomically: a bad upload leaves the old version in place."""
        text, pack = self._parse_upload(raw, file_name)
        replaced = await self._store.get_pack(guild_id, pack.id) is not None
        await self._store.save_pack(guild_id, pack.id, text, uploaded_by, self._clock())
        self._catalogs.pop(guild_id, None)
        catalog = await self.catalog_for(guild_id)
        return UploadResult(pack, replaced, len(catalog.questions(pack.id)))

    async def remove(self, guild_id: int, pack_id: str) -> bool:
        removed = await self._store.remove_pack(guild_id, pack_id)
        self._catalogs.pop(guild_id, None)
        return removed

    async def uploaded_ids(self, guild_id: int) -> set[str]:
        return {stored.pack_id for stored in await self._store.list_packs(guild_id)}
