"""What forgetting a player and resetting a server touch: one list, read by both stores.

The statements are the same in SQLite and PostgreSQL but for placeholders: written here with ``?`` in
order, and ``numbered`` turns them into PostgreSQL's ``$1, $2, ...``. A migration that adds a table
holding a player's data adds it here, and the contract tests (``test_contract.py``) check both stores.
"""

from __future__ import annotations

import itertools
import re

# A player's own rows, in the order they are deleted. ``user_id`` in each is the player the row is about.
PLAYER_TABLES = ("answers", "players", "season_standings", "daily_answers", "daily_streaks", "question_reports")
# The servers a player has data in. Every answer adds to its player's row in the same transaction, so
# these tables name every server the answers are in; the answers themselves are indexed by server
# first, and a scan of them all would hold the write lock for long on a big database.
GUILDS_OF_PLAYER_SQL = (
    " UNION ".join(f"SELECT guild_id FROM {table} WHERE user_id = ?" for table in PLAYER_TABLES if table != "answers")
    + " ORDER BY guild_id"
)
ARCHIVED_SEASONS_SQL = "SELECT DISTINCT season FROM season_standings WHERE guild_id = ? AND user_id = ?"


def delete_player_sql(table: str) -> str:
    """Delete one player's rows of ``table`` in one server (parameters: guild id, user id)."""
    return f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?"


# Where a moderator's id is kept on records that belong to the server; forgetting them clears the id only.
MODERATOR_COLUMNS = (
    ("guild_packs", "uploaded_by"),
    ("disabled_questions", "disabled_by"),
    ("question_reports", "resolved_by"),
)

# After a player leaves an archived board, the others are ranked again as the board ranked them
# (points, then right answers; ties share a rank). Only points and right answers are read, which the
# update does not change.
RERANK_SEASON_SQL = """
    UPDATE season_standings SET rank = 1 + (
        SELECT COUNT(*) FROM season_standings AS other
        WHERE other.guild_id = season_standings.guild_id AND other.season = season_standings.season
          AND (other.points > season_standings.points
               OR (other.points = season_standings.points AND other.correct > season_standings.correct))
    )
    WHERE guild_id = ? AND season = ?
"""
RECOUNT_SEASON_SQL = """
    UPDATE seasons SET players = (SELECT COUNT(*) FROM season_standings WHERE guild_id = ? AND season = ?)
    WHERE guild_id = ? AND number = ?
"""

# What a server's reset deletes, children before parents. The games of a round still running stay,
# so it can go on recording; the seasons go, so season 1 starts again.
RESET_STATEMENTS = (
    ("answers", "DELETE FROM answers WHERE guild_id = ?"),
    ("games", "DELETE FROM games WHERE guild_id = ? AND finished_at IS NOT NULL"),
    ("players", "DELETE FROM players WHERE guild_id = ?"),
    ("season_standings", "DELETE FROM season_standings WHERE guild_id = ?"),
    ("seasons", "DELETE FROM seasons WHERE guild_id = ?"),
    ("daily_answers", "DELETE FROM daily_answers WHERE guild_id = ?"),
    ("daily_streaks", "DELETE FROM daily_streaks WHERE guild_id = ?"),
)


def numbered(sql: str) -> str:
    """The statement with its ``?`` placeholders numbered ``$1, $2, ...``, as PostgreSQL takes them."""
    counter = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)
