"""The one exception storage raises on purpose.

Callers (the cogs, the CLI) catch this to tell the user something went wrong with the database
without knowing which backend is behind the ``Store`` interface; driver errors are chained as
``__cause__`` so the log still shows what the backend said.
"""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked: schema too new, constraint violated, not open, etc."""


class GameAlreadyRunning(StoreError):
    """``start_game`` refused: the channel has an unfinished game (maybe another process's)."""

    def __init__(self, guild_id: int, channel_id: int, game_id: int):
        super().__init__(f"game {game_id} is already running in channel {channel_id} of server {guild_id}")
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.game_id = game_id  # the running one

    def __reduce__(self) -> tuple[type[GameAlreadyRunning], tuple[int, int, int]]:
        # Rebuilt from its fields, not from ``args`` (the message): it crosses from the database
        # writer process to the bot as a pickle.
        return type(self), (self.guild_id, self.channel_id, self.game_id)
