"""One server's moderator uploading its largest allowed packs must not stall any other server.

The real bot, with its pack worker process, against the Discord double: while one server uploads
three packs at the format's limits (500 entities, 2,000 facts each), another server keeps typing
into `/fact` autocomplete and asking for `/trivia leaderboard`, and every one of those interactions
must be acknowledged within Discord's 3 seconds. A probe also measures how long the event loop was
ever blocked, and prints it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.synthetic import build_packs, pack_yaml
from bot.client import CrateDigger
from bot.packwork import PackWorker, ServerLimits
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR, MAX_ENTITIES, MAX_FACTS, MAX_FILE_BYTES
from tests.discord_double import User, connected_bot

UPLOADS = 3
ACK_DEADLINE = 3.0


class LoopLag:
    """Sleeps a few milliseconds at a time and records how late each wake-up is: the loop's blocks."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.longest = max(self.longest, time.perf_counter() - start - self.interval)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.fixture(scope="module")
def largest_packs() -> list[str]:
    packs = build_packs(MAX_ENTITIES * UPLOADS, MAX_FACTS * UPLOADS, per_pack=MAX_ENTITIES, with_source=True, seed=7)
    texts = [pack_yaml(pack) for pack in packs]
    assert all(len(text.encode()) <= MAX_FILE_BYTES for text in texts)
    return texts


@pytest.mark.reliability
async def test_uploading_the_largest_packs_leaves_other_servers_answered_in_time(
    discord_double, tmp_path, largest_packs
):
    double = discord_double
    other = double.add_guild("Other Server", channels=("lobby",))
    uploader, player = User.moderator("mo"), User.member("ann")
    builtin = Catalog.from_folder(BUILTIN_PACKS_DIR)[0]
    worker = PackWorker(processes=1, timeout=60)

    def factory() -> CrateDigger:
        return CrateDigger(
            store=SqliteStore(tmp_path / "scores.sqlite3"),
            catalog=builtin,
            pack_worker=worker,
            pack_limits=ServerLimits(packs_per_server=UPLOADS),
            pack_cache_dir=tmp_path / "pack-cache",
        )

    async with connected_bot(factory, double) as bot:
        await bot.tree.sync()
        await double.wait_for_request("PUT", rf"/applications/{double.application_id}/commands")
        lobby = other.text_channels[0]
        uploads_done = asyncio.Event()
        elsewhere = []

        async def upload_all() -> None:
            for number, text in enumerate(largest_packs):
                upload = double.upload(f"big-{number}.yaml", text)
                added = await double.slash(
                    double.guild, double.channel("trivia"), uploader, "pack", subcommand="add", options={"file": upload}
                )
                await double.wait_for(lambda a=added: a.message is not None and not a.message.loading, timeout=90)
                assert "Added" in added.message.content, added.message.content
            uploads_done.set()

        async def keep_playing_elsewhere() -> None:
            typed = ["a", "ak", "kan", "stronger", "dafr punk", "zzz"]
            while not uploads_done.is_set():
                for value in typed:
                    await double.autocomplete(other, lobby, player, "fact", focused="name", value=value)
                    elsewhere.append(double.last_interaction)
                board = await double.slash(other, lobby, player, "trivia", subcommand="leaderboard")
                elsewhere.append(board)
                await asyncio.sleep(0.05)

        with LoopLag() as lag:
            started = time.perf_counter()
            await asyncio.gather(upload_all(), keep_playing_elsewhere())
            elapsed = time.perf_counter() - started

        latencies = sorted(record.latency for record in elsewhere if record.latency is not None)
        print(
            f"\n{UPLOADS} largest packs uploaded in {elapsed:.1f} s; meanwhile {len(elsewhere)} interactions in "
            f"another server, slowest ack {latencies[-1] * 1000:.0f} ms; longest event-loop block "
            f"{lag.longest * 1000:.0f} ms"
        )
        assert len(latencies) == len(elsewhere) >= 7
        assert all(not record.rejected for record in elsewhere)
        assert latencies[-1] < ACK_DEADLINE
        assert await bot.library.uploaded_ids(double.guild.id) == {f"synthetic-{n}" for n in range(UPLOADS)}
