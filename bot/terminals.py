"""Which `crate-digger play` process a terminal game belongs to, and whether that process still runs.

Terminal games are stored in the terminal's own "server" (guild 0), each in a channel of its own: the
channel id packs the machine and the process that play it. Two terminals on one database then never
share a channel (where one running game per channel would refuse the second), and a terminal that
starts can tell a game a crashed terminal left open (its process is gone) from one another terminal
is playing right now (its process runs). Only processes of this machine can be checked; a game of
another machine's terminal is left alone, since it may well be running.
"""

from __future__ import annotations

import os
import socket
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.storage.base import UnfinishedGame

MACHINE_BITS = 31  # with 32 bits of process id: a channel id that stays a positive signed 64-bit integer
PID_BITS = 32
# How much later than its game a process may seem to have started and still be the game's own: the
# kernel's start time is rebuilt from the boot time, which moves with the wall clock. A process that
# got a dead terminal's id back within this window is taken for it, and its game is left open (not
# closed wrongly): the safe side to err on.
CLOCK_TOLERANCE_S = 60.0
# (process id, Unix time) -> whether that process runs here and started no later than that time.
ProcessCheck = Callable[[int, float], bool]


@dataclass(frozen=True)
class Terminal:
    """One `crate-digger play` process: a hash of its machine and its process id.

    ``machine`` is never 0: channel 0 is where terminals kept their games before each had its own.
    """

    machine: int
    pid: int

    def __post_init__(self) -> None:
        if not 0 < self.machine < 1 << MACHINE_BITS:
            raise ValueError(f"a machine hash is between 1 and 2**{MACHINE_BITS} - 1, not {self.machine}")
        if not 0 < self.pid < 1 << PID_BITS:
            raise ValueError(f"a process id is between 1 and 2**{PID_BITS} - 1, not {self.pid}")

    @property
    def channel_id(self) -> int:
        return self.machine << PID_BITS | self.pid

    @classmethod
    def of_channel(cls, channel_id: int) -> Terminal | None:
        """The terminal whose games go to ``channel_id``; None for a channel no terminal of today plays in."""
        try:
            return cls(channel_id >> PID_BITS, channel_id & ((1 << PID_BITS) - 1))
        except ValueError:
            return None


def this_terminal() -> Terminal:
    return Terminal(machine_hash(), os.getpid())


def machine_hash() -> int:
    """Where process ids mean the same, as 31 bits: the host name, the systemd machine id where there
    is one (hosts that share a name), and on Linux the process id namespace (containers sharing the
    host's name and network each number their processes afresh)."""
    identity = socket.gethostname()
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            identity += "/" + Path(path).read_text(encoding="ascii").strip()
            break
        except (OSError, UnicodeDecodeError):
            continue
    try:
        identity += "/" + os.readlink("/proc/self/ns/pid")
    except OSError:
        pass
    return zlib.crc32(identity.encode()) & ((1 << MACHINE_BITS) - 1) or 1


def left_over(games: Iterable[UnfinishedGame], me: Terminal, runs: ProcessCheck) -> list[UnfinishedGame]:
    """The unfinished terminal games no terminal is playing any more: to close as interrupted.

    Those of channel 0 (a terminal from before channels per terminal), of this very process (it plays
    one game, and has not started it yet), and of a process of this machine that is gone or started
    after the game did (so it only got the dead terminal's process id back). Another machine's are kept.
    """
    leftovers = []
    for game in games:
        owner = Terminal.of_channel(game.channel_id)
        if owner is None:
            leftovers.append(game)
        elif owner.machine == me.machine and (owner.pid == me.pid or not runs(owner.pid, game.started_at)):
            leftovers.append(game)
    return leftovers


def process_runs_since(pid: int, since: float) -> bool:
    """Whether process ``pid`` runs on this machine and started no later than ``since`` (Unix time).

    Where a process's start time cannot be read (not Linux, or another user's process hidden in
    /proc), only whether it exists; where not even that (Windows, where signal 0 is Ctrl-C), it is
    taken to run: a leftover left open is harmless, a running game closed is not.
    """
    started = _linux_start_time(pid)
    if started is not None:
        return started <= since + CLOCK_TOLERANCE_S
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _linux_start_time(pid: int) -> float | None:
    """When the process started (Unix time); +inf when it has ended (a zombie); None where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        boot_line = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
        # The command name (field 2) is in parentheses and may hold anything, spaces and ")" included.
        fields: Sequence[str] = stat[stat.rindex(")") + 2 :].split()
        state, ticks_after_boot = fields[0], int(fields[19])  # fields 3 and 22 of proc(5)
        boot_time = int(boot_line.split()[1])
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    if state in ("Z", "X"):  # exited, waiting for its parent to collect it
        return float("inf")
    return boot_time + ticks_after_boot / os.sysconf("SC_CLK_TCK")
