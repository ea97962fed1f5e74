"""The pack folders cached on disk: reused while nothing changed, rebuilt when a pack or its article did."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from bot import packcache
from bot.packcache import LoadedFolders, compile_folders, load_derived, load_folders
from bot.trivia import packs as pack_format
from bot.trivia.catalog import Catalog
from bot.trivia.limits import DEFAULT_PACK_LIMITS
from tests.packs_for_tests import TINY_PACK, TINY_SOURCE


def count_calls(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> list[int]:
    """Wrap ``module.name`` so each call appends to the returned list (the cache's misses, counted)."""
    calls: list[int] = []
    real = getattr(module, name)

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def _count_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_calls(monkeypatch, pack_format, "load_packs")


def _tiny_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "packs"
    folder.mkdir(exist_ok=True)
    (folder / "tiny.yaml").write_text(TINY_PACK, encoding="utf-8")
    (folder / "article.txt").write_text(TINY_SOURCE, encoding="utf-8")
    return folder


def test_an_unchanged_folder_loads_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    loads = _count_loads(monkeypatch)
    first = load_folders([folder], cache)
    second = load_folders([folder], cache)
    assert [pack.id for pack in first.packs] == ["tiny"] and first.problems == ()
    assert second == first
    assert len(loads) == 1


def test_an_edited_pack_is_loaded_again(tmp_path: Path):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    load_folders([folder], cache)
    (folder / "tiny.yaml").write_text(TINY_PACK.replace("title: Tiny", "title: Tinier"), encoding="utf-8")
    assert load_folders([folder], cache).packs[0].title == "Tinier"


def test_an_edited_article_is_checked_again(tmp_path: Path):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    assert len(load_folders([folder], cache).packs) == 1
    (folder / "article.txt").write_text(TINY_SOURCE.replace("classic 1988", "classic 1989"), encoding="utf-8")
    reloaded = load_folders([folder], cache)
    assert reloaded.packs == () and "facts[0].quote" in reloaded.problems[0]


def test_a_folder_with_problems_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    (folder / "broken.yaml").write_text("id: [broken\n", encoding="utf-8")
    loads = _count_loads(monkeypatch)
    assert load_folders([folder], cache).problems
    assert load_folders([folder], cache).problems
    assert len(loads) == 2


def test_a_new_code_version_is_a_new_key(monkeypatch: pytest.MonkeyPatch):
    key = packcache.digest("folders", b"same")
    monkeypatch.setattr(packcache, "CODE_VERSION", "another")
    assert packcache.digest("folders", b"same") != key


def count_generations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from bot.trivia import generate

    return count_calls(monkeypatch, generate, "generate_catalog")


def test_unchanged_packs_keep_their_questions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    generations = count_generations(monkeypatch)
    first = compile_folders([folder], cache)
    second = compile_folders([folder], cache)
    assert second == first and len(generations) == 1
    (folder / "tiny.yaml").write_text(TINY_PACK.replace("title: Tiny", "title: Tinier"), encoding="utf-8")
    assert compile_folders([folder], cache).packs[0].title == "Tinier"
    assert len(generations) == 2
    catalog = Catalog(first.packs)  # generates the questions itself
    assert {pack.id: catalog.questions(pack.id) for pack in first.packs} == first.questions


def test_questions_of_a_folder_with_problems_are_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    (folder / "broken.yaml").write_text("id: [broken\n", encoding="utf-8")
    generations = count_generations(monkeypatch)
    assert compile_folders([folder], cache).problems
    assert compile_folders([folder], cache).problems
    assert len(generations) == 2


def test_derived_plain_data_is_made_once_and_again_after_an_edit(tmp_path: Path):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    made: list[int] = []

    def titles(loaded: LoadedFolders) -> list[str]:
        made.append(1)
        return [pack.title for pack in loaded.packs]

    assert load_derived([folder], cache, DEFAULT_PACK_LIMITS, "titles", titles) == ["Tiny"]
    assert load_derived([folder], cache, DEFAULT_PACK_LIMITS, "titles", titles) == ["Tiny"]
    assert len(made) == 1 and list(cache.glob("*.marshal"))
    (folder / "article.txt").write_text(TINY_SOURCE.replace("classic 1988", "classic 1989"), encoding="utf-8")
    assert load_derived([folder], cache, DEFAULT_PACK_LIMITS, "titles", titles) == []
    assert len(made) == 2


def test_an_unreadable_plain_file_is_made_again(tmp_path: Path):
    folder, cache = _tiny_folder(tmp_path), tmp_path / "cache"
    assert load_derived([folder], cache, DEFAULT_PACK_LIMITS, "ids", lambda loaded: [p.id for p in loaded.packs])
    for path in cache.glob("*.marshal"):
        path.write_bytes(b"\x00not marshal")
    assert load_derived([folder], cache, DEFAULT_PACK_LIMITS, "ids", lambda loaded: ["again"]) == ["again"]
