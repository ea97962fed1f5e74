"""The command-line tool's start-up: whole-process time of a few commands.

Run with ``python bench/cli.py [RUNS]`` (default 20 runs a command; about 40 s). Each command runs as
a fresh process, as a user starts it, with the built-in packs only (PACKS_DIR unset, no .env) and a
private data folder (so the pack cache starts cold for the first run and is warm after it), and
with bytecode (.pyc) written as an installed tool has it. Figures:
CPU time of the child process (user + system; waiting for a shared core does not inflate it) and wall
time, median and p90, beside a bare ``python -c pass`` for the interpreter's own floor.

Prints readable lines, and last one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "python_bare": [sys.executable, "-c", "pass"],
    "import_cli": [sys.executable, "-c", "import bot.cli"],
    "fact": [sys.executable, "-m", "bot", "fact", "akira"],
    "packs_list": [sys.executable, "-m", "bot", "packs", "list"],
    "packs_show": [sys.executable, "-m", "bot", "packs", "show", "kanye-stronger-akira"],
    # One question, then end of input stops the game; the score goes to the private data folder's database.
    "play": [sys.executable, "-m", "bot", "play", "--questions", "1", "--seed", "1", "--name", "bench"],
    "help": [sys.executable, "-m", "bot", "--help"],
}


def run_once(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {error}")
    return usage.ru_utime + usage.ru_stime, wall


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data_home, tempfile.TemporaryDirectory() as cwd:
        # PYTHONDONTWRITEBYTECODE is dropped: an installed tool has its .pyc files, and compiling every
        # module again on each run would measure the compiler, not the start-up.
        unset = ("PACKS_DIR", "DATABASE_PATH", "PYTHONDONTWRITEBYTECODE")
        env = {key: value for key, value in os.environ.items() if key not in unset}
        env.update(XDG_DATA_HOME=data_home, PYTHONPATH=str(ROOT))
        for name, command in COMMANDS.items():
            run_once(command, env, cwd)  # warms the OS file cache, .pyc files and the pack cache
            samples = [run_once(command, env, cwd) for _ in range(runs)]
            cpu = [sample[0] * 1000 for sample in samples]
            wall = [sample[1] * 1000 for sample in samples]
            figures[f"{name}_cpu_ms"] = round(statistics.median(cpu), 1)
            figures[f"{name}_cpu_p90_ms"] = round(p90(cpu), 1)
            figures[f"{name}_wall_ms"] = round(statistics.median(wall), 1)
            print(
                f"{name:12} cpu median {statistics.median(cpu):6.1f} ms  p90 {p90(cpu):6.1f} ms   "
                f"wall median {statistics.median(wall):6.1f} ms  p90 {p90(wall):6.1f} ms   ({runs} runs)"
            )
    figures["runs"] = runs
    figures["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
