from pathlib import Path

import pytest

from bot.authoring.imports import OPENTDB_ATTRIBUTION
from bot.library import PackLibrary
from bot.storage.sqlite import SqliteStore
from bot.trivia.catalog import Catalog
from bot.trivia.packs import BUILTIN_PACKS_DIR, PackError, parse_pack
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
        library.validate_upload(uploaded_pack_yaml(pack_id="kanye-stronger-akira").encode(), "x.yaml")
    sneaky = uploaded_pack_yaml().replace('  text: "', '  file: /etc/passwd\n  x: "')
    with pytest.raises(PackError):
        library.validate_upload(sneaky.encode(), "x.yaml")


async def test_remove(library):
    await library.add(GUILD, uploaded_pack_yaml().encode(), "amen.yaml", uploaded_by=7)
    assert await library.remove(GUILD, "amen-break")
    assert not await library.remove(GUILD, "amen-break")
    assert (await library.catalog_for(GUILD)).pack("amen-break") is None


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
        library.validate_upload(b"Q?:\n- a\n", "kanye-stronger-akira.yaml")
