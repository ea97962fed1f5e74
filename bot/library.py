"""Which packs a server can play: the built-in ones plus the ones its moderators uploaded.

Uploaded packs live in the store as the YAML the moderator sent, so they survive restarts and are
validated by exactly the same code as built-in packs. An upload may also be trivia in another format
(a Red-DiscordBot list, Open Trivia DB JSON): it is recognised by its content, imported, and stored as
the pack it became. A per-server Catalog is cached and rebuilt only
when that server's packs change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.authoring.imports import detect_format, import_trivia, pack_id_from_file
from bot.storage.base import Store
from bot.trivia.catalog import Catalog
from bot.trivia.model import Pack
from bot.trivia.packs import PackError, PackIssue, decode_pack_bytes, parse_pack

log = logging.getLogger(__name__)


# What an upload in another format is called in replies.
IMPORTED_FORMATS = {"red": "a Red-DiscordBot trivia list", "opentdb": "Open Trivia DB JSON"}


@dataclass(frozen=True)
class UploadResult:
    pack: Pack
    replaced: bool
    questions: int
    imported_from: str | None = None  # e.g. "a Red-DiscordBot trivia list"; None for a pack as sent


@dataclass(frozen=True)
class _Upload:
    text: str  # the pack YAML that is stored
    pack: Pack
    imported_from: str | None


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
        return self._parse_upload(raw, file_name).pack

    def _parse_upload(self, raw: bytes, file_name: str) -> _Upload:
        text, imported_from = pack_text_from_upload(decode_pack_bytes(raw, file_name), file_name)
        pack = parse_pack(text, file_name, base_dir=None)
        if self._builtin.pack(pack.id) is not None:
            rename = "rename the file" if imported_from else "give your pack another id"
            raise PackError([PackIssue(file_name, 1, "id", f"{pack.id!r} is a built-in pack; {rename}")])
        return _Upload(text, pack, imported_from)

    async def add(self, guild_id: int, raw: bytes, file_name: str, uploaded_by: int) -> UploadResult:
        """Validate first, then replace atomically: a bad upload leaves the old version in place."""
        upload = self._parse_upload(raw, file_name)
        pack = upload.pack
        replaced = await self._store.get_pack(guild_id, pack.id) is not None
        await self._store.save_pack(guild_id, pack.id, upload.text, uploaded_by, self._clock())
        self._catalogs.pop(guild_id, None)
        catalog = await self.catalog_for(guild_id)
        return UploadResult(pack, replaced, len(catalog.questions(pack.id)), upload.imported_from)

    async def remove(self, guild_id: int, pack_id: str) -> bool:
        removed = await self._store.remove_pack(guild_id, pack_id)
        self._catalogs.pop(guild_id, None)
        return removed

    async def uploaded_ids(self, guild_id: int) -> set[str]:
        return {stored.pack_id for stored in await self._store.list_packs(guild_id)}
