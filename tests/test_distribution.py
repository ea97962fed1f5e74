"""The distribution itself: a wheel built from this tree carries the built-in packs.

`pip install .`, a wheel and a container image used to ship no packs at all (`packs list` said "no packs"
and exited 0). This builds a wheel offline, installs it into a folder of its own and runs the installed
`crate-digger packs list` from a folder that is not the repository.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEED_ID = "kanye-stronger-akira"
# What setup.py and pyproject.toml read to build the distribution.
BUILD_INPUTS = ("bot", "questions", "pyproject.toml", "setup.py", "README.md")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed


@pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None,
    reason="setuptools (the build backend, in the test extra) is not installed, so no wheel can be built offline",
)
def test_an_installed_wheel_ships_the_built_in_packs(tmp_path: Path) -> None:
    # Build from a copy: building in place would leave build/ and egg-info behind in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(origin, source / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels), str(source)])
    (wheel,) = wheels.glob("crate_digger-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    assert {f"bot/questions/{SEED_ID}.yaml", f"bot/questions/{SEED_ID}.txt"} <= shipped

    installed = tmp_path / "installed"
    run([*pip, "install", "--no-deps", "--no-index", "-q", "--target", str(installed), str(wheel)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {key: value for key, value in os.environ.items() if key not in ("PACKS_DIR", "DEV_GUILD_ID")}
    # The installed copy comes first on the path; the test venv supplies the dependencies.
    environment["PYTHONPATH"] = str(installed)
    where = run(
        [sys.executable, "-c", "import bot.trivia.packs as packs; print(packs.BUILTIN_PACKS_DIR)"],
        cwd=elsewhere,
        env=environment,
    )
    assert Path(where.stdout.strip()) == installed / "bot" / "questions"

    listed = run([str(installed / "bin" / "crate-digger"), "packs", "list"], cwd=elsewhere, env=environment)
    assert listed.stdout.startswith(f"{SEED_ID}: ")
    assert listed.stderr == ""


def test_the_container_installs_the_same_inputs_the_same_way() -> None:
    """No Docker here to build the image, so this holds the Dockerfile to what the wheel test proves."""
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    copied = {
        part.rstrip("/").removeprefix("./")
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for part in line.split()[1:-1]
    }
    assert copied == set(BUILD_INPUTS)
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs == ["RUN pip install --no-cache-dir . && rm -rf /src"]  # not editable; sources gone
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert not any(name in ignored for name in BUILD_INPUTS)
