import asyncio
from pathlib import Path

import pytest

from bench.synthetic import build_packs, pack_yaml
from bot import packwork
from bot.authoring.imports import OPENTDB_ATTRIBUTION
from bot.library import PackLibrary
from bot.packwork import PackText, PackWorker, PackWorkTimeout, ServerLimits, job_for
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR, MAX_ENTITIES, MAX_FACTS, PackError, parse_pack
from tests.packs_for_tests import uploaded_pack_yaml

GUILD = 111
OTHER_GUILD = 222


@pytest.fixture
async def library(tmp_path):
    store = SqliteStore(tmp_path / "scores.sqlite3")
    await store.open()
    builtin, _ = Catalog.from_folder(BUILTIN_PACKS_DIR)
    yield PackLibrary(store, builtin, clock=lambda: 1_700_000_000.0)
    await store.close()


async def test_an_upload_is_playable_in_its_server_only(library):
    result = await library.add(GUILD, uploaded_pack_yaml().encode(), "amen.yaml", uploaded_by=7)
    assert (result.pack.id, result.replaced) == ("amen-break", False)
    assert result.questions >= 3
    mine = await library.catalog_for(GUILD)
    theirs = await library.catalog_for(OTHER_GUILD)
    assert mine.pack("amen-break") is not None
    assert mine.pack("kanye-stronger-akira") is not None  # built-ins stay available
    assert theirs.pack("amen-break") is None
    assert mine.index.find("the winstons") is not None
    assert theirs.index.find("the winstons") is None


async def test_a_bad_replacement_leaves_the_old_pack(library):
    await library.add(GUILD, uploaded_pack_yaml(title="First").encode(), "amen.yaml", uploaded_by=7)
    broken = uploaded_pack_yaml(title="Second").replace("relation: samples", "relation: sampless")
    with pytest.raises(PackError) as raised:
        await library.add(GUILD, broken.encode(), "amen.yaml", uploaded_by=7)
    assert "sampless" in str(raised.value)
    assert (await library.catalog_for(GUILD)).pack("amen-break").title == "First"


async def test_a_good_replacement_replaces(library):
    await library.add(GUILD, uploaded_pack_yaml(title="First").encode(), "amen.yaml", uploaded_by=7)
    result = await library.add(GUILD, uploaded_pack_yaml(title="Second").encode(), "amen.yaml", uploaded_by=7)
    assert result.replaced
    assert (await library.catalog_for(GUILD)).pack("amen-break").title == "Second"


async def test_uploads_cannot_take_a_builtin_id_or_read_files(library):
    with pytest.raises(PackError, match="built-in"):
        await library.validate_upload(uploaded_pack_yaml(pack_id="kanye-stronger-akira").encode(), "x.yaml")
    sneaky = uploaded_pack_yaml().replace('  text: "', '  file: /etc/passwd\n  x: "')
    with pytest.raises(PackError):
        await library.validate_upload(sneaky.encode(), "x.yaml")


async def test_remove(library):
    await library.add(GUILD, uploaded_pack_yaml().encode(), "amen.yaml", uploaded_by=7)
    assert await library.remove(GUILD, "amen-break")
    assert not await library.remove(GUILD, "amen-break")
    assert (await library.catalog_for(GUILD)).pack("amen-break") is None


def _renamed(pack_id: str) -> bytes:
    return uploaded_pack_yaml(pack_id=pack_id).encode()


async def _library(tmp_path, **options) -> tuple[SqliteStore, PackLibrary]:
    store = SqliteStore(tmp_path / "scores.sqlite3")
    await store.open()
    builtin, _ = Catalog.from_folder(BUILTIN_PACKS_DIR)
    return store, PackLibrary(store, builtin, clock=lambda: 1_700_000_000.0, **options)


@pytest.mark.reliability
async def test_a_server_holds_at_most_its_limit_of_packs_but_may_replace_one(tmp_path):
    store, library = await _library(tmp_path, limits=ServerLimits(packs_per_server=2))
    await library.add(GUILD, _renamed("one"), "one.yaml", uploaded_by=7)
    await library.add(GUILD, _renamed("two"), "two.yaml", uploaded_by=7)
    with pytest.raises(PackError, match="already has 2 packs.*MAX_PACKS_PER_SERVER"):
        await library.add(GUILD, _renamed("three"), "three.yaml", uploaded_by=7)
    assert await library.uploaded_ids(GUILD) == {"one", "two"}
    assert (await library.add(GUILD, _renamed("two"), "two.yaml", uploaded_by=7)).replaced
    await library.add(OTHER_GUILD, _renamed("three"), "three.yaml", uploaded_by=7)  # the bound is per server
    await store.close()


@pytest.mark.reliability
async def test_a_pack_with_more_facts_than_allowed_is_refused_and_nothing_is_saved(tmp_path):
    store, library = await _library(tmp_path, limits=ServerLimits(facts_per_pack=2))
    with pytest.raises(PackError, match="has 3 facts; this bot allows 2 per pack"):
        await library.add(GUILD, _renamed("amen-break"), "amen.yaml", uploaded_by=7)
    with pytest.raises(PackError, match="MAX_FACTS_PER_PACK"):
        await library.validate_upload(_renamed("amen-break"), "amen.yaml")
    assert await library.uploaded_ids(GUILD) == set()
    await store.close()


@pytest.mark.reliability
async def test_uploads_are_checked_with_the_server_s_size_caps(tmp_path):
    from bot.trivia.limits import PackLimits

    store, library = await _library(tmp_path, limits=ServerLimits(pack=PackLimits(entities=1)))
    with pytest.raises(PackError, match="entities"):
        await library.add(GUILD, _renamed("amen-break"), "amen.yaml", uploaded_by=7)
    small = ServerLimits(pack=PackLimits(file_bytes=64))
    (tmp_path / "tiny").mkdir()
    tiny_store, tiny_library = await _library(tmp_path / "tiny", limits=small)
    with pytest.raises(PackError, match="larger than 0 KiB"):
        await tiny_library.validate_upload(_renamed("amen-break"), "amen.yaml")
    assert await library.uploaded_ids(GUILD) == set()
    await store.close()
    await tiny_store.close()


async def test_compiled_packs_are_cached_across_restarts(tmp_path, monkeypatch):
    calls = []
    real_parse = packwork.parse_pack
    monkeypatch.setattr(packwork, "parse_pack", lambda *args, **kwargs: calls.append(args[1]) or real_parse(*args))
    store, library = await _library(tmp_path, cache_dir=tmp_path / "cache")
    await library.add(GUILD, _renamed("one"), "one.yaml", uploaded_by=7)
    await library.add(GUILD, _renamed("two"), "two.yaml", uploaded_by=7)
    assert calls == ["one.yaml", "two.yaml"]  # the stored "one" came from the cache the second time
    before = (await library.catalog_for(GUILD)).questions("one")
    await store.close()

    calls.clear()
    store, restarted = await _library(tmp_path, cache_dir=tmp_path / "cache")
    catalog = await restarted.catalog_for(GUILD)
    assert calls == []
    assert catalog.questions("one") == before and catalog.pack("two") is not None
    await store.close()


@pytest.mark.reliability
async def test_an_unreadable_cache_file_is_rebuilt_not_fatal(tmp_path):
    store, library = await _library(tmp_path, cache_dir=tmp_path / "cache")
    await library.add(GUILD, _renamed("one"), "one.yaml", uploaded_by=7)
    for cached in (tmp_path / "cache").glob("*.pickle"):
        cached.write_bytes(b"not a pickle")
    await store.close()
    store, restarted = await _library(tmp_path, cache_dir=tmp_path / "cache")
    assert (await restarted.catalog_for(GUILD)).pack("one") is not None
    await store.close()


async def test_a_server_without_uploads_plays_the_builtin_catalog_without_the_worker(library):
    assert await library.catalog_for(GUILD) is library.builtin


@pytest.mark.reliability
async def test_the_process_pool_compiles_and_a_slow_job_times_out_with_a_clear_message(tmp_path):
    builtin, _ = Catalog.from_folder(BUILTIN_PACKS_DIR)
    worker = PackWorker(processes=1, timeout=30)
    try:
        job = job_for([], builtin.packs(), ServerLimits(), None, PackText("amen.yaml", uploaded_pack_yaml()))
        compiled = await worker.run(job)
        assert compiled.upload is not None and compiled.upload.id == "amen-break"
        assert len(compiled.questions["amen-break"]) >= 3
        # The largest pack allowed takes far longer than a millisecond to compile, so the time limit
        # is what ends the wait; the tiny pack alone can finish inside it on a quiet machine.
        (largest,) = build_packs(MAX_ENTITIES, MAX_FACTS, per_pack=MAX_ENTITIES, with_source=True, seed=7)
        slow_job = job_for([], builtin.packs(), ServerLimits(), None, PackText("big.yaml", pack_yaml(largest)))
        worker.timeout = 0.001
        with pytest.raises(PackWorkTimeout, match="longer than 0.001 seconds"):
            await worker.run(slow_job)
        worker.timeout = 30
        assert (await worker.run(job)).upload is not None  # a fresh pool serves the next job
    finally:
        worker.close()


# ---------------------------------------------------------------- uploads in other formats

FIXTURES = Path(__file__).parent / "authoring" / "fixtures"


async def test_a_red_trivia_list_upload_is_imported_and_stored_as_a_pack(library, tmp_path):
    raw = (FIXTURES / "red-sampler.yaml").read_bytes()
    result = await library.add(GUILD, raw, "Red Sampler.yaml", uploaded_by=7)
    assert (result.pack.id, result.imported_from) == ("red-sampler", "a Red-DiscordBot trivia list")
    assert result.questions == 14
    # What is stored is the pack it became, so it loads again after a restart like any pack.
    (stored,) = await library._store.list_packs(GUILD)
    assert parse_pack(stored.yaml_text, "red-sampler.yaml").questions == result.pack.questions
    restarted = PackLibrary(library._store, library.builtin)
    questions = (await restarted.catalog_for(GUILD)).questions("red-sampler")
    assert ("yes", "Yes") in {question.answers for question in questions}


async def test_an_opentdb_upload_keeps_its_attribution(library):
    raw = (FIXTURES / "opentdb-music.json").read_bytes()
    result = await library.add(GUILD, raw, "opentdb-music.json", uploaded_by=7)
    assert (result.pack.id, result.imported_from) == ("opentdb-music", "Open Trivia DB JSON")
    questions = (await library.catalog_for(GUILD)).questions("opentdb-music")
    assert len(questions) == 7
    assert {question.attribution for question in questions} == {OPENTDB_ATTRIBUTION}


async def test_a_pack_upload_is_stored_as_sent(library):
    text = uploaded_pack_yaml()
    result = await library.add(GUILD, text.encode(), "whatever-name.yaml", uploaded_by=7)
    assert (result.pack.id, result.imported_from) == ("amen-break", None)
    (stored,) = await library._store.list_packs(GUILD)
    assert stored.yaml_text == text


async def test_a_bad_trivia_list_upload_names_the_upload_and_saves_nothing(library):
    with pytest.raises(PackError) as raised:
        await library.add(GUILD, b"Q1?:\n- a\nQ2?:\n  nested: mapping\n", "mine.yaml", uploaded_by=7)
    assert str(raised.value.issues[0]).startswith("mine.yaml:4: Q2?[0]: ")
    assert await library.uploaded_ids(GUILD) == set()
    with pytest.raises(PackError, match="rename the file"):
        await library.validate_upload(b"Q?:\n- a\n", "kanye-stronger-akira.yaml")


async def test_autocomplete_answers_from_the_builtin_catalog_while_a_server_catalog_builds(tmp_path):
    store, library = await _library(tmp_path)
    await library.add(GUILD, _renamed("one"), "one.yaml", uploaded_by=7)
    await store.close()
    store, restarted = await _library(tmp_path)
    assert restarted.catalog_now(GUILD) is restarted.builtin  # nothing built yet: never wait for it
    await asyncio.gather(*restarted._warming)
    assert restarted.catalog_now(GUILD).pack("one") is not None
    await store.close()


async def test_a_pack_changed_by_another_process_is_what_this_one_plays(tmp_path):
    """Two processes on one database (two shards' bots, or a restart overlapping the old process):
    each plays what is stored, not what it compiled before the other changed it."""
    builtin, _ = Catalog.from_folder(BUILTIN_PACKS_DIR)
    path = tmp_path / "shared.sqlite3"
    async with SqliteStore(path) as store_a, SqliteStore(path) as store_b:
        here = PackLibrary(store_a, builtin, clock=lambda: 1_700_000_000.0)
        there = PackLibrary(store_b, builtin, clock=lambda: 1_700_000_000.0)
        assert (await there.catalog_for(GUILD)).pack("amen-break") is None  # built and cached, empty

        await here.add(GUILD, uploaded_pack_yaml(title="First").encode(), "amen.yaml", uploaded_by=7)
        assert (await there.catalog_for(GUILD)).pack("amen-break").title == "First"
        unchanged = await there.catalog_for(GUILD)
        assert await there.catalog_for(GUILD) is unchanged  # nothing changed: nothing rebuilt

        await here.add(GUILD, uploaded_pack_yaml(title="Second").encode(), "amen.yaml", uploaded_by=7)
        assert (await there.catalog_for(GUILD)).pack("amen-break").title == "Second"
        # And the other way round: a removal there is seen here.
        assert await there.remove(GUILD, "amen-break")
        assert (await here.catalog_for(GUILD)).pack("amen-break") is None
        assert (await here.catalog_for(OTHER_GUILD)).pack("amen-break") is None


async def test_an_upload_racing_another_process_s_upload_is_not_cached_as_the_whole_story(tmp_path):
    builtin, _ = Catalog.from_folder(BUILTIN_PACKS_DIR)
    path = tmp_path / "shared.sqlite3"
    async with SqliteStore(path) as store_a, SqliteStore(path) as store_b:
        here = PackLibrary(store_a, builtin, clock=lambda: 1_700_000_000.0)
        # The other process saves its pack while this one is compiling its own upload.
        real_run = here._worker.run

        async def run_while_another_process_saves(job):
            result = await real_run(job)
            if not (await store_b.list_packs(GUILD)):
                await store_b.save_pack(GUILD, "theirs", uploaded_pack_yaml(pack_id="theirs"), 8, 1.0)
            return result

        here._worker.run = run_while_another_process_saves
        await here.add(GUILD, uploaded_pack_yaml().encode(), "amen.yaml", uploaded_by=7)
        here._worker.run = real_run
        catalog = await here.catalog_for(GUILD)
        assert catalog.pack("amen-break") is not None and catalog.pack("theirs") is not None
