"""resolve_pack: the one way `play --pack`, `fact --pack` and `packs show` turn a name into a pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.trivia.catalog import Catalog, UnknownPack, resolve_pack
from bot.trivia.packs import PackError, parse_pack
from tests.packs_for_tests import uploaded_pack_yaml


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([parse_pack(uploaded_pack_yaml("amen-break"), "amen-break.yaml")])


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write(path: Path, pack_id: str) -> Path:
    path.write_text(uploaded_pack_yaml(pack_id, f"Pack {pack_id}"), encoding="utf-8")
    return path


def test_a_known_id(catalog: Catalog) -> None:
    pack, resolved = resolve_pack(catalog, "amen-break")
    assert pack.id == "amen-break" and resolved is catalog


def test_a_known_id_wins_over_a_file_of_that_name(catalog: Catalog, tmp_path: Path) -> None:
    write(tmp_path / "amen-break", "shadow")
    assert resolve_pack(catalog, "amen-break")[0].id == "amen-break"


@pytest.mark.parametrize("ref", ["mine.yaml", "mine", "./mine", "{tmp}/mine.yaml"])
def test_a_file_is_layered_over_the_catalog(catalog: Catalog, tmp_path: Path, ref: str) -> None:
    write(tmp_path / "mine.yaml", "mine")
    pack, resolved = resolve_pack(catalog, ref.format(tmp=tmp_path))
    assert pack.id == "mine"
    assert [known.id for known in resolved.packs()] == ["amen-break", "mine"]
    assert resolved.questions("mine")
    assert catalog.pack("mine") is None  # the base catalog is left as it was


def test_any_existing_file_is_a_pack_file(catalog: Catalog, tmp_path: Path) -> None:
    write(tmp_path / "pack.txt", "from-text-file")
    assert resolve_pack(catalog, "pack.txt")[0].id == "from-text-file"


def test_a_yml_file_without_its_suffix(catalog: Catalog, tmp_path: Path) -> None:
    write(tmp_path / "other.yml", "other")
    assert resolve_pack(catalog, "other")[0].id == "other"


def test_neither_an_id_nor_a_file(catalog: Catalog) -> None:
    with pytest.raises(UnknownPack) as raised:
        resolve_pack(catalog, "nope")
    assert str(raised.value) == "no pack 'nope': not a known pack id (amen-break) nor a pack file"


def test_a_missing_yaml_file_is_a_pack_error_naming_it(catalog: Catalog) -> None:
    with pytest.raises(PackError) as raised:
        resolve_pack(catalog, "missing.yaml")
    (issue,) = raised.value.issues
    assert issue.file == "missing.yaml" and "cannot read" in issue.message


def test_a_bad_file_is_a_pack_error(catalog: Catalog, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\n", encoding="utf-8")
    with pytest.raises(PackError) as raised:
        resolve_pack(catalog, "bad")
    assert all(issue.file == "bad.yaml" for issue in raised.value.issues)


def test_a_tilde_of_an_unknown_user_is_just_an_unknown_pack(catalog: Catalog) -> None:
    with pytest.raises(UnknownPack):
        resolve_pack(catalog, "~no-such-user-crate-digger/pack")
