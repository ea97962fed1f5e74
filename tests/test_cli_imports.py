"""The CLI loads only what its command needs: importing it pulls in no Discord, database or YAML code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("discord", "aiohttp", "aiosqlite", "trafilatura", "yaml", "rapidfuzz", "bot.trivia.generate")


def _modules_after(code: str, cwd: Path | None = None) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=cwd)
    output = run.stdout
    return set(json.loads(output.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_module():
    loaded = _modules_after("import bot.cli; bot.cli.build_parser()")
    assert not loaded & set(HEAVY)


def test_loading_settings_does_not_load_the_pack_format():
    loaded = _modules_after("from bot.config import load_settings; load_settings({}, env_file=None)")
    assert "bot.trivia.packs" not in loaded and "yaml" not in loaded


def test_a_fact_look_up_with_a_warm_cache_loads_no_yaml(tmp_path: Path):
    # The first run fills the pack cache (in the private data folder every test gets), the second reads it.
    look_up = "from bot.cli import main; assert main(['fact', 'akira']) == 0"
    assert "yaml" in _modules_after(look_up, cwd=tmp_path)  # tmp_path: no .env, so no python-dotenv either
    loaded = _modules_after(look_up, cwd=tmp_path)
    assert not loaded & {"yaml", "bot.trivia.packs", "rapidfuzz", "logging", "dotenv"}


def test_a_fact_look_up_with_a_warm_cache_loads_no_pack_model_nor_dataclasses(tmp_path: Path):
    # A known name is answered from the cached table of plain data, checked by file sizes and times.
    look_up = "from bot.cli import main; assert main(['fact', 'akira']) == 0"
    _modules_after(look_up, cwd=tmp_path)
    loaded = _modules_after(look_up, cwd=tmp_path)
    unwanted = {"bot.trivia.model", "bot.trivia.facts", "bot.trivia.relations", "pickle", "dataclasses", "hashlib"}
    assert not loaded & unwanted


def test_parsing_the_command_line_loads_no_compression_module(tmp_path: Path):
    # argparse's stock help formatter imports shutil, and with it zlib, bz2 and lzma, for every argument added.
    look_up = "from bot.cli import main; assert main(['fact', 'akira']) == 0"
    _modules_after(look_up, cwd=tmp_path)
    loaded = _modules_after(look_up, cwd=tmp_path)
    assert not loaded & {"shutil", "bz2", "lzma"}


@pytest.mark.parametrize(
    "command",
    [["packs", "list"], ["packs", "show", "kanye-stronger-akira"]],
)
def test_listing_and_showing_packs_with_a_warm_cache_loads_no_yaml_nor_generation(tmp_path: Path, command):
    run = f"from bot.cli import main; assert main({command!r}) == 0"
    assert "bot.trivia.generate" in _modules_after(run, cwd=tmp_path)
    loaded = _modules_after(run, cwd=tmp_path)
    assert not loaded & {"yaml", "bot.trivia.packs", "bot.trivia.generate", "rapidfuzz"}
