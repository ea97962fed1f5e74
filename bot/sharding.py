"""Which shard a server belongs to, and which shards one process runs. Pure: no Discord, no I/O.

Discord routes a server's events to shard ``(guild_id >> 22) % shard_count``; every process that
needs to know whether a server is its own (games to close after a crash, daily posts, uploaded packs)
asks this module, so the rule lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# Discord's upper bound is far lower; this only keeps a typo ("0-100000000") from allocating a huge tuple.
MAX_SHARDS = 65_536


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends this server's events to (its creation time's bits, modulo the count)."""
    if shard_count < 1:
        raise ValueError(f"a shard count is at least 1, not {shard_count}")
    return (guild_id >> 22) % shard_count


class ShardIdsError(ValueError):
    """A SHARD_IDS text that is not a list of ids and ranges; the message says which part and why."""


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``"0,1"``, ``"0-3"`` or ``"0-3,8"`` to sorted, distinct ids; spaces around parts are ignored."""
    ids: set[int] = set()
    parts = text.split(",")
    for number, raw in enumerate(parts, start=1):
        part = raw.strip()
        where = f"part {number} of {len(parts)}"
        if not part:
            raise ShardIdsError(f"{where} is empty")
        low_text, dash, high_text = part.partition("-")
        low_text, high_text = low_text.strip(), high_text.strip()
        if not low_text.isdigit() or (dash and not high_text.isdigit()):
            raise ShardIdsError(f"{where} is neither a shard id (such as 3) nor a range (such as 0-3)")
        low = int(low_text)
        high = int(high_text) if dash else low
        if high < low:
            raise ShardIdsError(f"{where} is a range that ends ({high}) before it starts ({low})")
        if high >= MAX_SHARDS:
            raise ShardIdsError(f"{where} names shard {high}; shard ids are below {MAX_SHARDS}")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


@dataclass(frozen=True)
class ShardScope:
    """The shards one process runs.

    ``shard_count`` None means one process runs every shard, however many Discord recommends; it
    then owns every server. Otherwise it runs ``shard_ids`` out of ``shard_count``.
    """

    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.shard_count is None:
            if self.shard_ids is not None:
                raise ValueError("shard ids need a shard count")
            return
        if self.shard_count < 1:
            raise ValueError(f"a shard count is at least 1, not {self.shard_count}")
        if self.shard_ids is not None:
            if not self.shard_ids:
                raise ValueError("a process runs at least one shard")
            outside = [shard for shard in self.shard_ids if not 0 <= shard < self.shard_count]
            if outside:
                raise ValueError(f"shard ids {outside} are not below the shard count {self.shard_count}")

    @property
    def runs_every_shard(self) -> bool:
        return self.shard_count is None or self.shard_ids is None or len(self.shard_ids) == self.shard_count

    @property
    def ids(self) -> tuple[int, ...] | None:
        """The shard ids this process runs; None when it runs all of them (the count may not be known yet)."""
        if self.shard_count is None:
            return None
        return self.shard_ids if self.shard_ids is not None else tuple(range(self.shard_count))

    def owns(self, guild_id: int) -> bool:
        """Whether this process receives the server's events (and so owns its games and posts)."""
        if self.runs_every_shard:
            return True
        assert self.shard_count is not None and self.shard_ids is not None
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    def describe(self) -> str:
        if self.shard_count is None:
            return "every shard Discord recommends"
        ids = self.ids or ()
        return f"shard{'s' if len(ids) != 1 else ''} {', '.join(map(str, ids))} of {self.shard_count}"


# One process running every shard Discord recommends: the default, and what tests and the console use.
EVERY_SHARD = ShardScope()
