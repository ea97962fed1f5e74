"""Score databases for the storage benchmarks: the store's schema, then games, answers and players
inserted raw (filling is not what those benchmarks measure), all checkpointed into the main file.

``answers`` answers in ``servers`` servers of ``players`` players each, 20 answers a game over three packs,
an answer every 2 s from ``START``, and one season ended half way.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

from bot.storage.sqlite import SqliteStore

ANSWERS_PER_GAME = 20
PACKS = ("samples-101", "film-scores", "covers")
START = 1_700_000_000.0
SECONDS_PER_ANSWER = 2.0  # 500,000 answers span about 11 days


def fill_scores(path: Path, answers: int, rng: random.Random, *, servers: int, players: int) -> None:
    """Create the store's schema in ``path`` (a new file, or one whose page size was set) and fill it."""
    asyncio.run(_schema(path))
    games = max(1, answers // ANSWERS_PER_GAME)
    season_ends = START + answers * SECONDS_PER_ANSWER / 2
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO games (id, guild_id, channel_id, pack_id, mode, started_at, finished_at)"
            " VALUES (?, ?, 55, ?, 'classic', ?, ?)",
            [
                (
                    game,
                    1 + game % servers,
                    PACKS[game % len(PACKS)],
                    START + (game - 1) * ANSWERS_PER_GAME * SECONDS_PER_ANSWER,
                    START + game * ANSWERS_PER_GAME * SECONDS_PER_ANSWER,
                )
                for game in range(1, games + 1)
            ],
        )
        rows = []
        for index in range(answers):
            game = 1 + index // ANSWERS_PER_GAME
            correct = rng.random() < 0.6
            answered_at = START + index * SECONDS_PER_ANSWER
            rows.append(
                (
                    game,
                    1 + game % servers,
                    rng.randrange(players),
                    f"q{index % 400}",
                    correct,
                    10 if correct else 0,
                    answered_at,
                    1 if answered_at < season_ends else 2,
                )
            )
        conn.executemany(
            "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at, season)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT INTO players (guild_id, user_id, display_name, points, correct, answered, games)"
            " SELECT guild_id, user_id, 'player' || user_id, SUM(points), SUM(correct), COUNT(*),"
            " COUNT(DISTINCT game_id) FROM answers GROUP BY guild_id, user_id"
        )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _schema(path: Path) -> None:
    async with SqliteStore(path):
        pass
