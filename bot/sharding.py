"""Which process serves which Discord server: Discord's own rule, and the set of shards one process runs.

Discord routes a server to shard ``(guild_id >> 22) % shard_count``; a process running some of the
shards owns exactly the servers that land on them. Anything kept per server (running games, the
daily post) is scoped with this, so two processes sharing one database never act on the same
server. Pure: no Discord, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to (Discord's documented formula)."""
    if shard_count < 1:
        raise ValueError(f"shard_count must be at least 1, got {shard_count}")
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class Shards:
    """The shards one process runs: ``ids`` out of ``count``. ``Shards.all()`` is every server."""

    ids: frozenset[int]
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a shard count must be at least 1, got {self.count}")
        if not self.ids:
            raise ValueError("a process runs at least one shard")
        outside = sorted(shard for shard in self.ids if not 0 <= shard < self.count)
        if outside:
            raise ValueError(f"shard ids {outside} are not below the shard count {self.count}")

    @classmethod
    def of(cls, ids: Iterable[int], count: int) -> Shards:
        return cls(frozenset(ids), count)

    @classmethod
    def all(cls) -> Shards:
        """One shard of one: every server (a process that runs all of Discord's recommended shards)."""
        return cls(frozenset({0}), 1)

    @property
    def is_all(self) -> bool:
        return len(self.ids) == self.count

    def owns(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids
