"""What the game and the commands need from storage, and nothing more.

Two implementations, ``sqlite.py`` and ``postgres.py``, pass the same contract tests
(``tests/storage/test_contract.py``); a method added here needs both, with a migration for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, Protocol

from bot.sharding import EVERY_SHARD, ShardScope
from bot.trivia.daily import DailyStreak
from bot.trivia.reports import Report, ReportReason


class ScoredAnswer(NamedTuple):
    """One player's answer to one question, as the game settled it.

    A named tuple rather than a frozen dataclass: the session builds one for every answer it stores,
    and this is the cheapest immutable record to build (a frozen dataclass sets each field through
    ``object.__setattr__``). Measured with callgrind on ``bench/engine.py``'s 1,000 waiting games:
    about 8,000 fewer instructions an answer, 3% of the event loop's work.
    """

    user_id: int
    display_name: str
    question_id: str
    correct: bool
    points: int
    answered_at: float


@dataclass(frozen=True)
class PlayerResult:
    user_id: int
    display_name: str
    points: int
    correct: int
    won: bool


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    user_id: int
    display_name: str
    points: int
    correct: int
    games: int
    wins: int


@dataclass(frozen=True)
class PlayerStats:
    user_id: int
    display_name: str
    points: int
    correct: int
    answered: int
    games: int
    wins: int
    best_streak: int
    current_streak: int
    rank: int | None


@dataclass(frozen=True)
class Scope:
    """Which answers a board counts; every field left ``None`` counts every answer (all time).

    ``since``/``until`` bound the answer time (at or after, before; Unix seconds). ``season`` is a
    season number: the answers counted while it ran. ``pack_id`` keeps the answers of one pack.
    """

    since: float | None = None
    until: float | None = None
    season: int | None = None
    pack_id: str | None = None


@dataclass(frozen=True)
class Standing:
    """A player's place on a board counted from answers (a period, a pack, a season).

    ``games`` is the number of games the player answered in within the scope. Boards in a scope
    have no wins: a win belongs to a whole game, which may straddle a period's edge.
    """

    rank: int
    user_id: int
    display_name: str
    points: int
    correct: int
    answered: int
    games: int


@dataclass(frozen=True)
class Season:
    """One season of a server. The current one has ``ended_at`` None; the first has ``started_at`` None
    (it began with the server's first game). ``players`` is how many were archived with it."""

    number: int
    started_at: float | None
    ended_at: float | None
    players: int = 0


@dataclass(frozen=True)
class StoredPack:
    guild_id: int
    pack_id: str
    yaml_text: str
    uploaded_by: int
    uploaded_at: float


@dataclass(frozen=True)
class OneChannel:
    """The games of one channel: the terminal's own (guild 0), or a channel whose leftover game a
    process that owns the channel's server clears."""

    guild_id: int
    channel_id: int


@dataclass(frozen=True)
class UnfinishedGame:
    """A game with no end stored: running, or left open by a process that died."""

    game_id: int
    channel_id: int
    started_at: float


# Which unfinished games a process may close as interrupted: those of the Discord servers on its
# shards (never the terminal's guild 0, which is no shard's), or those of one channel.
GameScope = ShardScope | OneChannel


@dataclass(frozen=True)
class DailyAnswer:
    """One player's answer to a server's daily question (``choice`` is the option they picked)."""

    user_id: int
    display_name: str
    question_id: str
    choice: str
    correct: bool
    answered_at: float


@dataclass(frozen=True)
class DailyTally:
    answered: int
    right: int


@dataclass(frozen=True)
class DailyChannel:
    """Where and when (hour, UTC) a server's daily question is posted, and the last day it was."""

    guild_id: int
    channel_id: int
    hour: int
    last_posted_day: date | None


@dataclass(frozen=True)
class Erased:
    """What forgetting a player or resetting a server removed.

    ``deleted`` counts the rows deleted per table (tables with none are left out). ``anonymised``
    counts moderation records (uploaded packs, disabled questions, reports resolved) that stay with
    the server but no longer carry the forgotten player's id (it becomes 0).
    """

    deleted: dict[str, int]
    anonymised: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def start_game(self, guild_id: int, channel_id: int, pack_id: str, mode: str, started_at: float) -> int:
        """Record a new game and return its id; raise ``GameAlreadyRunning`` (storing nothing) while
        the channel has an unfinished game, whichever process started it."""
        ...

    async def record_answers(
        self, game_id: int, guild_id: int, answers: Sequence[ScoredAnswer], missed: Sequence[int] = ()
    ) -> None:
        """Add the answers and their points to the players' totals and streaks, in one transaction.

        A streak is the number of questions in a row a player answered right in this server, across
        games. ``missed`` are user ids whose streak ends before ``answers`` apply: players who were in
        the game and let the question pass, or guessed wrong in text mode (``QuestionClosed.missed``).
        """
        ...

    async def finish_game(
        self, game_id: int, guild_id: int, finished_at: float, results: Sequence[PlayerResult], stopped: bool
    ) -> None:
        """Close the game, count a game for every player in ``results`` and a win where ``won``."""
        ...

    async def close_interrupted_games(self, finished_at: float, started_before: float, scope: GameScope) -> int:
        """Close every game in ``scope`` started before ``started_before`` that never finished (its
        process died), marked interrupted; return how many. Their answers and points stay, every
        player who answered in one is counted a game, nobody a win. A game closed here is never
        counted again by a late ``finish_game``. Games outside ``scope`` (another process's shards,
        the terminal's) are left alone: they may well be running."""
        ...

    async def unfinished_games(self, guild_id: int) -> list[UnfinishedGame]:
        """The server's games with no end stored (running, or a dead process's), oldest first. The
        terminal reads its own (guild 0) to find those whose process is gone."""
        ...

    async def asked_questions(self, guild_id: int, pack_id: str) -> frozenset[str]:
        """Ids of the ``pack_id`` questions asked in this guild since its history last started over."""
        ...

    async def record_asked(
        self, guild_id: int, pack_id: str, question_ids: Sequence[str], asked_at: float, *, starts_over: bool
    ) -> None:
        """Add ``question_ids`` to the guild's history of the pack, in one transaction; with
        ``starts_over`` (the round had to repeat questions: the pack was used up) the earlier history
        is forgotten first, so a new pass through the pack begins with these."""
        ...

    async def leaderboard(self, guild_id: int, limit: int = 10) -> list[LeaderboardRow]: ...

    async def player_stats(self, guild_id: int, user_id: int) -> PlayerStats | None: ...

    async def standings(self, guild_id: int, scope: Scope, limit: int = 10) -> list[Standing]:
        """The top ``limit`` players of the answers in ``scope``, ranked by the database.

        Ranked by points, then right answers; players equal on both share a rank and the next rank
        skips (1, 2, 2, 4). An archived season with no other filter is read from its snapshot.
        """
        ...

    async def standing(self, guild_id: int, user_id: int, scope: Scope) -> Standing | None:
        """One player's place in ``scope`` (the same ranks as ``standings``); None if they have no answer there."""
        ...

    async def current_season(self, guild_id: int) -> Season:
        """The season running in this server (season 1 until a moderator first ends one)."""
        ...

    async def end_season(self, guild_id: int, number: int, ended_at: float) -> Season | None:
        """Archive season ``number``'s standings and start the next season, in one transaction.

        Only the current season can end: if ``number`` is not current any more (someone ended it
        first), nothing changes and None is returned. Answers recorded after this belong to the next
        season; all-time totals and streaks are untouched.
        """
        ...

    async def seasons(self, guild_id: int, limit: int = 25) -> list[Season]:
        """The archived seasons, newest first."""
        ...

    async def save_pack(
        self, guild_id: int, pack_id: str, yaml_text: str, uploaded_by: int, uploaded_at: float
    ) -> None:
        """Insert or replace a server's uploaded pack atomically."""
        ...

    async def remove_pack(self, guild_id: int, pack_id: str) -> bool: ...

    async def get_pack(self, guild_id: int, pack_id: str) -> StoredPack | None: ...

    async def list_packs(self, guild_id: int) -> list[StoredPack]: ...

    async def pack_revision(self, guild_id: int) -> int:
        """A number that grows with every change to the server's uploaded packs (a save, a removal),
        committed with the change; 0 before the first. One cheap read tells a process whether the
        packs it compiled are still the stored ones, whichever process changed them."""
        ...

    # -- question reports ----------------------------------------------------------------------

    async def add_report(
        self,
        *,
        guild_id: int,
        pack_id: str,
        question_id: str,
        prompt: str,
        user_id: int,
        reason: ReportReason,
        comment: str,
        reported_at: float,
    ) -> Report | None:
        """Store a player's report; ``None`` (nothing stored) when they already have an open
        report of this question in this server."""
        ...

    async def report_times(self, guild_id: int, user_id: int, since: float) -> list[float]:
        """When the player reported anything in this server at or after ``since`` (any status)."""
        ...

    async def open_reports(self, guild_id: int, pack_id: str | None = None, limit: int = 500) -> list[Report]:
        """The server's reports nobody has resolved yet (of one pack, or all), newest first."""
        ...

    async def get_report(self, guild_id: int, report_id: int) -> Report | None: ...

    async def disable_question(
        self, guild_id: int, question_id: str, pack_id: str, disabled_by: int, disabled_at: float
    ) -> int:
        """Never ask the question in this server again, and resolve its open reports as disabled
        (one transaction); return how many reports that resolved."""
        ...

    async def dismiss_reports(self, guild_id: int, question_id: str, dismissed_by: int, dismissed_at: float) -> int:
        """Resolve the question's open reports as dismissed; return how many."""
        ...

    async def disabled_questions(self, guild_id: int) -> frozenset[str]:
        """The ids of the questions this server's moderators disabled."""
        ...

    # -- the daily question (days are UTC calendar days) ------------------------------------------

    async def pin_daily_question(self, guild_id: int, day: date, question_id: str) -> str:
        """Record ``question_id`` as the server's question for ``day`` unless one is recorded already;
        return the recorded one, so every caller that day agrees even if the packs changed."""
        ...

    async def daily_question(self, guild_id: int, day: date) -> str | None: ...

    async def record_daily_answer(self, guild_id: int, day: date, answer: DailyAnswer) -> bool:
        """Store a player's one answer for ``day`` and update their daily streak (``next_streak``) in
        one transaction; False, changing nothing, if they already answered that day."""
        ...

    async def daily_answer(self, guild_id: int, day: date, user_id: int) -> DailyAnswer | None: ...

    async def daily_tally(self, guild_id: int, day: date) -> DailyTally: ...

    async def daily_streak(self, guild_id: int, user_id: int) -> DailyStreak | None:
        """The streak as stored; ``streak_on`` says what of it still counts today."""
        ...

    async def set_daily_channel(self, guild_id: int, channel_id: int, hour: int) -> None:
        """Post the daily question in ``channel_id`` at ``hour`` (UTC); keeps the last posted day, so
        moving the channel or the hour never posts a day twice."""
        ...

    async def clear_daily_channel(self, guild_id: int) -> bool: ...

    async def daily_channels(self, shards: ShardScope = EVERY_SHARD) -> list[DailyChannel]:
        """The servers that post a daily question, of the given shards only (by default, all)."""
        ...

    async def claim_daily_post(self, guild_id: int, day: date) -> bool:
        """Mark ``day`` as posted for the server; True only for the one caller that marked it (not
        already posted that day or later, and a channel still set), so a restart or a second process
        never posts it twice."""
        ...

    # -- a player's data and a server's reset ----------------------------------------------------

    async def forget_player(self, user_id: int, guild_id: int | None = None) -> Erased:
        """Delete everything stored about the player in ``guild_id`` (None: in every server), in one transaction.

        Goes: their answers, totals (points, games, wins, streaks), daily answers and daily streak, the
        reports they filed, and their rows in archived season standings (the others there are ranked
        again and the season's player count drops). Stays: the games themselves and every other
        player's totals, wins and answers; moderation records they made keep their content and lose
        their id. Playing again later starts them afresh.
        """
        ...

    async def reset_guild(self, guild_id: int) -> Erased:
        """Wipe the server's leaderboard, in one transaction: every answer and player total (points,
        games, wins, streaks), the finished games, the seasons with their archived standings (season 1
        starts again), and the daily answers and streaks.

        Stays: uploaded packs, disabled questions and reports, the daily question's channel and the
        days already posted, and the question history (no repeats). A game running meanwhile keeps its
        row and goes on: what it scores after the reset counts.
        """
        ...
