"""What only the PostgreSQL store promises: migrating once under many starters, sharing one database
between processes, and never showing its password. Runs against the session's real test server."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from bot.sharding import EVERY_SHARD
from bot.storage.base import PlayerResult, Scope, ScoredAnswer
from bot.storage.errors import GameAlreadyRunning, StoreError
from bot.storage.postgres import _SCHEMA_MIGRATIONS_SQL, MIGRATIONS_PACKAGE, PostgresStore
from bot.storage.sqlite import load_migrations
from tests.postgres_server import PostgresServer

GUILD = 1001
BIGGEST_SNOWFLAKE = 2**63 - 1


def answer(user_id: int, correct: bool = True, points: int = 10, question: str = "q1") -> ScoredAnswer:
    return ScoredAnswer(
        user_id=user_id,
        display_name=f"player{user_id}",
        question_id=question,
        correct=correct,
        points=points,
        answered_at=1_000.0,
    )


@pytest.fixture
async def empty_database(postgres_server: PostgresServer) -> str:
    return await postgres_server.create_database()


async def _applied_migrations(url: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT number, name FROM schema_migrations ORDER BY number")
    finally:
        await conn.close()
    return [(row["number"], row["name"]) for row in rows]


async def test_many_stores_starting_at_once_migrate_exactly_once(empty_database: str) -> None:
    # Each store has its own pool, so to the server these are eight separate clients, as eight bot
    # processes would be. Without the advisory lock the losers fail on "relation already exists".
    stores = [PostgresStore(empty_database, max_size=2) for _ in range(8)]
    try:
        await asyncio.gather(*(store.open() for store in stores))
        expected = [(migration.number, migration.name) for migration in load_migrations(MIGRATIONS_PACKAGE)]
        assert await _applied_migrations(empty_database) == expected

        # And they all work on the one schema.
        game = await stores[0].start_game(GUILD, 5, "pack", "classic", 1.0)
        await stores[1].record_answers(game, GUILD, [answer(1)])
        stats = await stores[7].player_stats(GUILD, 1)
        assert stats is not None and stats.points == 10
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_reopening_applies_nothing_again(empty_database: str, caplog: pytest.LogCaptureFixture) -> None:
    async with PostgresStore(empty_database):
        pass
    with caplog.at_level(logging.INFO, logger="bot.storage.postgres"):
        async with PostgresStore(empty_database):
            pass
    assert not [record for record in caplog.records if "applied migration" in record.getMessage()]
    assert len(await _applied_migrations(empty_database)) == len(load_migrations(MIGRATIONS_PACKAGE))


async def test_a_schema_newer_than_this_code_is_refused(empty_database: str) -> None:
    async with PostgresStore(empty_database):
        pass
    conn = await asyncpg.connect(empty_database)
    try:
        await conn.execute("INSERT INTO schema_migrations (number, name) VALUES (9999, '9999_future.sql')")
    finally:
        await conn.close()
    store = PostgresStore(empty_database)
    with pytest.raises(StoreError, match="newer than this Crate Digger knows"):
        await store.open()
    with pytest.raises(StoreError, match="not open"):
        await store.leaderboard(GUILD)


async def test_a_failed_migration_leaves_the_database_as_it_was(empty_database: str) -> None:
    conn = await asyncpg.connect(empty_database)
    try:
        # A table in the way of migration 1: its CREATE TABLE fails, and nothing of it may remain.
        await conn.execute("CREATE TABLE guild_packs (stranger INTEGER)")
    finally:
        await conn.close()
    with pytest.raises(StoreError, match="0001_initial.sql|guild_packs"):
        await PostgresStore(empty_database).open()
    conn = await asyncpg.connect(empty_database)
    try:
        tables = {
            row["tablename"] for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    finally:
        await conn.close()
    assert "games" not in tables and "players" not in tables


async def test_channels_with_several_unfinished_games_keep_the_newest_and_close_the_rest(empty_database: str) -> None:
    """The PostgreSQL side of the SQLite test of the same name: the one-game-per-channel migration
    closes a channel's older unfinished games as a restart would, counting a game each."""
    before = [m for m in load_migrations(MIGRATIONS_PACKAGE) if m.name < "0007_one_game_per_channel.sql"]
    conn = await asyncpg.connect(empty_database)
    try:
        await conn.execute(_SCHEMA_MIGRATIONS_SQL)
        for migration in before:
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (number, name) VALUES ($1, $2)", migration.number, migration.name
            )
        await conn.executemany(
            "INSERT INTO games (guild_id, channel_id, pack_id, mode, started_at) VALUES ($1, $2, 'p', 'c', $3)",
            [(GUILD, 5, 100.0), (GUILD, 5, 200.0), (GUILD, 5, 300.0), (GUILD, 6, 150.0)],
        )
        await conn.executemany(
            "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at)"
            " VALUES ($1, $2, $3, 'q1', TRUE, 10, 100.0)",
            [(1, GUILD, 7), (1, GUILD, 8), (2, GUILD, 7), (3, GUILD, 7)],
        )
        await conn.executemany(
            "INSERT INTO players (guild_id, user_id, display_name, points, correct, answered)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(GUILD, 7, "ann", 30, 3, 3), (GUILD, 8, "bob", 10, 1, 1)],
        )
    finally:
        await conn.close()

    async with PostgresStore(empty_database) as store:
        with pytest.raises(GameAlreadyRunning):
            await store.start_game(GUILD, 5, "p", "c", 400.0)
        ann, bob = await store.player_stats(GUILD, 7), await store.player_stats(GUILD, 8)
        assert ann is not None and bob is not None and (ann.games, bob.games) == (2, 1)
    conn = await asyncpg.connect(empty_database)
    try:
        rows = await conn.fetch("SELECT id, finished_at, interrupted FROM games ORDER BY id")
    finally:
        await conn.close()
    assert [tuple(row) for row in rows] == [(1, 200.0, True), (2, 300.0, True), (3, None, False), (4, None, False)]


async def test_two_processes_starting_a_game_in_one_channel_at_once_start_one(
    postgres_server: PostgresServer,
) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as first, PostgresStore(url) as second:
        outcomes = await asyncio.gather(
            *(store.start_game(GUILD, 5, "pack", "classic", 1.0) for store in (first, second, first, second)),
            return_exceptions=True,
        )
    started = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, GameAlreadyRunning)]
    assert (len(started), len(refused)) == (1, 3), outcomes


async def test_two_processes_share_scores_at_once(postgres_server: PostgresServer) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as first, PostgresStore(url) as second:
        game = await first.start_game(GUILD, 5, "pack", "classic", 1.0)
        await first.record_answers(game, GUILD, [answer(1, points=7)])
        # Committed before record_answers returned, so the other process sees it at once.
        stats = await second.player_stats(GUILD, 1)
        assert stats is not None and stats.points == 7
        await second.save_pack(GUILD, "beats", "id: beats\n", uploaded_by=1, uploaded_at=2.0)
        assert [pack.pack_id for pack in await first.list_packs(GUILD)] == ["beats"]


async def test_scores_survive_a_restart(postgres_server: PostgresServer) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as store:
        game = await store.start_game(GUILD, 5, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(1, points=4)])
        await store.finish_game(game, GUILD, 2.0, [PlayerResult(1, "player1", 4, 1, True)], stopped=False)
    async with PostgresStore(url) as store:
        (row,) = await store.leaderboard(GUILD)
    assert (row.user_id, row.points, row.games, row.wins) == (1, 4, 1, 1)


async def test_finishing_from_two_processes_at_once_counts_once(postgres_server: PostgresServer) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as first, PostgresStore(url) as second:
        game = await first.start_game(GUILD, 5, "pack", "classic", 1.0)
        results = [PlayerResult(1, "player1", 0, 0, True)]
        await asyncio.gather(
            first.finish_game(game, GUILD, 2.0, results, stopped=False),
            second.finish_game(game, GUILD, 2.0, results, stopped=True),
        )
        stats = await first.player_stats(GUILD, 1)
    assert stats is not None and (stats.games, stats.wins) == (1, 1)


async def test_two_processes_closing_interrupted_games_at_once_count_each_once(
    postgres_server: PostgresServer,
) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as first, PostgresStore(url) as second:
        for channel in range(5):
            game = await first.start_game(GUILD, channel, "pack", "classic", 1.0)
            await first.record_answers(game, GUILD, [answer(1, question=f"q{channel}")])
        closed = await asyncio.gather(
            first.close_interrupted_games(finished_at=3.0, started_before=2.0, scope=EVERY_SHARD),
            second.close_interrupted_games(finished_at=3.0, started_before=2.0, scope=EVERY_SHARD),
        )
        stats = await first.player_stats(GUILD, 1)
    assert sum(closed) == 5
    assert stats is not None and stats.games == 5


async def _slow_down_player_writes(url: str) -> None:
    """A trigger that makes every write to a player row take 20 ms, so that two transactions writing
    the same players surely overlap: taking their row locks in different orders then deadlocks."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$;"
            " CREATE TRIGGER slow_down BEFORE INSERT OR UPDATE ON players"
            " FOR EACH ROW EXECUTE FUNCTION slow_down()"
        )
    finally:
        await conn.close()


PLAYERS = list(range(1, 7))


async def test_batches_naming_the_same_players_in_opposite_orders_never_deadlock(
    empty_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Two channels of one server closing questions at once, the same players answering in opposite
    # orders. A deadlock would be retried (and the totals still right), so the log says whether one happened.
    async with PostgresStore(empty_database) as store:
        await _slow_down_player_writes(empty_database)
        first = await store.start_game(GUILD, 5, "pack", "classic", 1.0)
        second = await store.start_game(GUILD, 6, "pack", "classic", 1.0)
        with caplog.at_level(logging.INFO, logger="bot.storage.postgres"):
            for round_ in range(2):
                await asyncio.gather(
                    store.record_answers(first, GUILD, [answer(user, question=f"a{round_}") for user in PLAYERS]),
                    store.record_answers(
                        second, GUILD, [answer(user, question=f"b{round_}") for user in reversed(PLAYERS)]
                    ),
                )
        board = await store.leaderboard(GUILD, limit=20)
    assert {(row.user_id, row.points) for row in board} == {(user, 40) for user in PLAYERS}
    assert not [record for record in caplog.records if "retrying" in record.getMessage()]


async def test_misses_in_one_batch_and_answers_in_another_never_deadlock(
    empty_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    # One game's misses are the other game's answerers and the other way round: ending streaks
    # and adding answers are separate statements, so they must still take their locks in one order.
    low, high = PLAYERS[:3], PLAYERS[3:]
    async with PostgresStore(empty_database) as store:
        first = await store.start_game(GUILD, 5, "pack", "classic", 1.0)
        second = await store.start_game(GUILD, 6, "pack", "classic", 1.0)
        await store.record_answers(first, GUILD, [answer(user, question="q0") for user in PLAYERS])
        await _slow_down_player_writes(empty_database)
        with caplog.at_level(logging.INFO, logger="bot.storage.postgres"):
            await asyncio.gather(
                store.record_answers(first, GUILD, [answer(user, question="q1") for user in high], missed=low),
                store.record_answers(second, GUILD, [answer(user, question="q1") for user in low], missed=high),
            )
        stats = [await store.player_stats(GUILD, user) for user in PLAYERS]
    assert all(player is not None and player.answered == 2 for player in stats)
    assert not [record for record in caplog.records if "retrying" in record.getMessage()]


async def test_a_season_ended_while_answers_are_being_recorded_archives_every_answer_of_it(
    empty_database: str,
) -> None:
    # Another process ends the season while a slow batch of answers is half written: the archive
    # must either include the batch (it waits for it) or the batch must land in the next season.
    async with PostgresStore(empty_database) as recorder, PostgresStore(empty_database) as moderator:
        game = await recorder.start_game(GUILD, 5, "pack", "classic", 1.0)
        await recorder.record_answers(game, GUILD, [answer(user, question="q0") for user in PLAYERS])
        await _slow_down_player_writes(empty_database)
        batch = asyncio.create_task(
            recorder.record_answers(game, GUILD, [answer(user, question="q1") for user in PLAYERS])
        )
        await asyncio.sleep(0.05)  # the batch is now inside its transaction, writing players
        ended = await moderator.end_season(GUILD, 1, ended_at=5.0)
        await batch
        archived = {row.user_id: row.points for row in await moderator.standings(GUILD, Scope(season=1), limit=50)}
        next_season = await moderator.standings(GUILD, Scope(season=2), limit=50)
    assert ended is not None and ended.players == len(PLAYERS)
    conn = await asyncpg.connect(empty_database)
    try:
        rows = await conn.fetch("SELECT user_id, SUM(points) AS points FROM answers WHERE season = 1 GROUP BY user_id")
    finally:
        await conn.close()
    assert archived == {row["user_id"]: row["points"] for row in rows}
    assert archived == {user: 20 for user in PLAYERS} and next_season == []


async def test_answers_waiting_for_a_season_to_end_count_in_the_next_one(empty_database: str) -> None:
    # The answers wait on the season lock while another process ends the season: the season they are
    # stamped with must be read after the wait (a snapshot taken before it would still say season 1).
    async with PostgresStore(empty_database) as recorder, PostgresStore(empty_database) as moderator:
        game = await recorder.start_game(GUILD, 5, "pack", "classic", 1.0)
        await recorder.record_answers(game, GUILD, [answer(1, question="q0")])
        conn = await asyncpg.connect(empty_database)
        try:
            await conn.execute(
                "CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$;"
                " CREATE TRIGGER slow_down BEFORE INSERT ON seasons FOR EACH ROW EXECUTE FUNCTION slow_down()"
            )
            ending = asyncio.create_task(moderator.end_season(GUILD, 1, ended_at=5.0))
            await asyncio.sleep(0.1)  # the season's end now holds the lock, sleeping in the trigger
            await recorder.record_answers(game, GUILD, [answer(2, question="q1")], missed=[1])
            assert await ending is not None
            seasons = await conn.fetch("SELECT user_id, season FROM answers ORDER BY user_id")
        finally:
            await conn.close()
    assert [(row["user_id"], row["season"]) for row in seasons] == [(1, 1), (2, 2)]


async def test_snowflakes_up_to_64_bits_round_trip(postgres_server: PostgresServer) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as store:
        game = await store.start_game(BIGGEST_SNOWFLAKE, BIGGEST_SNOWFLAKE, "pack", "classic", 1.0)
        await store.record_answers(game, BIGGEST_SNOWFLAKE, [answer(BIGGEST_SNOWFLAKE)])
        await store.save_pack(BIGGEST_SNOWFLAKE, "p", "x\n", uploaded_by=BIGGEST_SNOWFLAKE, uploaded_at=1.5)
        (row,) = await store.leaderboard(BIGGEST_SNOWFLAKE)
        pack = await store.get_pack(BIGGEST_SNOWFLAKE, "p")
    assert row.user_id == BIGGEST_SNOWFLAKE
    assert pack is not None and pack.uploaded_by == BIGGEST_SNOWFLAKE


async def test_a_wrong_password_is_a_store_error_that_never_shows_the_password(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url().replace(postgres_server.password, "not-the-password-xyz")
    store = PostgresStore(url)
    with pytest.raises(StoreError) as raised:
        await store.open()
    message = str(raised.value)
    assert "not-the-password-xyz" not in message and "not-the-password-xyz" not in repr(store)
    assert "crate:***@127.0.0.1" in message
    assert "password authentication failed" in message


async def test_an_unreachable_server_is_a_store_error() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    store = PostgresStore("postgresql://crate:hunter2@127.0.0.1:1/crate")
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL at postgresql://crate:\\*\\*\\*@127.0.0.1:1"):
        await store.open()


def test_repr_hides_the_password() -> None:
    store = PostgresStore("postgresql://crate:hunter2@db.example:5432/crate?sslmode=require")
    assert repr(store) == "PostgresStore('postgresql://crate:***@db.example:5432/crate?sslmode=require')"


# -- group commit ---------------------------------------------------------------------------------


def _count_groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every group commit the store runs from now on (each run counted, retries included)."""
    from bot.storage import postgres as postgres_module

    groups: list[int] = []
    record = postgres_module._commit_group

    async def counting(batches: list, conn: asyncpg.Connection) -> list:
        groups.append(len(batches))
        return await record(batches, conn)

    monkeypatch.setattr(postgres_module, "_commit_group", counting)
    return groups


async def test_batches_arriving_together_share_one_commit_and_all_land(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = _count_groups(monkeypatch)
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as store, PostgresStore(url) as other_process:
        games = [await store.start_game(GUILD + guild, 1, "pack", "classic", 1.0) for guild in range(3)]
        await asyncio.gather(
            *(
                store.record_answers(games[user % 3], GUILD + user % 3, [answer(user, points=user)])
                for user in range(100)
            )
        )
        boards = [await other_process.leaderboard(GUILD + guild, limit=100) for guild in range(3)]
    assert sorted((row.user_id, row.points) for board in boards for row in board) == [(u, u) for u in range(100)]
    assert sum(groups) == 100
    # The first batch finds the writer idle and goes alone; the other 99 queued behind it.
    assert len(groups) <= 3, groups


async def test_each_batch_is_committed_before_its_call_returns(postgres_server: PostgresServer) -> None:
    url = await postgres_server.empty_shared_database()
    reader = await asyncpg.connect(url)  # another process's view
    try:
        async with PostgresStore(url) as store:
            game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
            unseen: list[str] = []
            lookups = asyncio.Lock()  # one asyncpg connection runs one query at a time

            async def record_then_look(question: str) -> None:
                await store.record_answers(game, GUILD, [answer(1, question=question)])
                async with lookups:
                    found = await reader.fetchval("SELECT COUNT(*) FROM answers WHERE question_id = $1", question)
                if found != 1:
                    unseen.append(question)

            await asyncio.gather(*(record_then_look(f"q{n}") for n in range(30)))
    finally:
        await reader.close()
    assert unseen == []


async def test_a_failing_batch_in_a_group_is_rolled_back_alone(postgres_server: PostgresServer) -> None:
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        bad: object = "ten"
        outcomes = await asyncio.gather(
            store.record_answers(game, GUILD, [answer(1, points=5, question="q1")]),
            store.record_answers(game, GUILD, [answer(2, points=5, question="q2")]),
            store.record_answers(game, GUILD, [answer(3, points=5), answer(2, points=bad)]),  # type: ignore[arg-type]
            store.record_answers(game + 99, GUILD, [answer(4, points=5)]),  # no such game
            store.record_answers(game, GUILD, [answer(2, points=5, question="q3")], missed=[1]),
            return_exceptions=True,
        )
        assert outcomes[:2] == [None, None] and outcomes[4] is None, outcomes
        assert isinstance(outcomes[2], StoreError) and isinstance(outcomes[3], StoreError), outcomes
        one, two = await store.player_stats(GUILD, 1), await store.player_stats(GUILD, 2)
        assert one is not None and (one.points, one.answered, one.current_streak, one.best_streak) == (5, 1, 0, 1)
        assert two is not None and (two.points, two.answered, two.current_streak) == (10, 2, 2)
        assert await store.player_stats(GUILD, 3) is None  # its batch left nothing behind
        assert await store.player_stats(GUILD, 4) is None


async def test_streaks_through_a_group_match_the_batches_one_by_one(postgres_server: PostgresServer) -> None:
    """Right and wrong answers and misses of a few players over many batches: committed as one group
    or one batch at a time, every player ends with the same totals and streaks."""
    import random

    rng = random.Random(9)
    batches = []
    for n in range(40):
        players = rng.sample(range(1, 6), 3)
        batches.append(
            (
                [answer(user, rng.random() < 0.7, rng.randrange(0, 10), question=f"q{n}") for user in players[:2]],
                [players[2]] if rng.random() < 0.5 else [],
            )
        )
    results = []
    for together in (True, False):
        url = await postgres_server.empty_shared_database()
        async with PostgresStore(url) as store:
            game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
            await store.record_answers(game, GUILD, [answer(user, question="warm-up") for user in range(1, 4)])
            if together:
                await asyncio.gather(*(store.record_answers(game, GUILD, a, m) for a, m in batches))
            else:
                for a, m in batches:
                    await store.record_answers(game, GUILD, a, m)
            results.append([await store.player_stats(GUILD, user) for user in range(1, 6)])
    assert results[0] == results[1]
    assert any(stats is not None and stats.best_streak > stats.current_streak for stats in results[0])


async def test_two_processes_grouping_the_same_players_never_deadlock(
    empty_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Two processes, each committing groups from several games of two servers in which the same
    # players answer and miss, in opposite orders; the slowed-down row writes make the groups overlap.
    guilds = (GUILD, GUILD + 1)
    async with PostgresStore(empty_database) as first, PostgresStore(empty_database) as second:
        games = {
            store: [await store.start_game(guild, channel, "pack", "classic", 1.0) for guild in guilds]
            for channel, store in enumerate((first, second))
        }
        await _slow_down_player_writes(empty_database)
        with caplog.at_level(logging.INFO, logger="bot.storage.postgres"):
            for round_ in range(3):
                calls = []
                for store, order in ((first, PLAYERS), (second, list(reversed(PLAYERS)))):
                    for game, guild in zip(games[store], guilds, strict=True):
                        calls.append(
                            store.record_answers(
                                game, guild, [answer(user, question=f"q{round_}") for user in order[:4]], order[4:]
                            )
                        )
                        calls.append(store.record_answers(game, guild, [], missed=order[:2]))
                await asyncio.gather(*calls)
        boards = [await first.leaderboard(guild, limit=20) for guild in guilds]
    for board in boards:
        assert sum(row.points for row in board) == 3 * 2 * 4 * 10
    assert not [record for record in caplog.records if "retrying" in record.getMessage()]


async def test_games_finishing_together_share_commits_and_a_missing_game_fails_alone(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = _count_groups(monkeypatch)
    url = await postgres_server.empty_shared_database()
    async with PostgresStore(url) as store:
        games = [await store.start_game(GUILD, channel, "pack", "classic", 1.0) for channel in range(30)]
        await store.record_answers(games[0], GUILD, [answer(1, points=3)])
        groups.clear()
        outcomes = await asyncio.gather(
            *(
                store.finish_game(
                    game,
                    GUILD,
                    2.0,
                    [PlayerResult(1, "one", 0, 0, n == 0), PlayerResult(n + 2, "x", 0, 0, True)],
                    False,
                )
                for n, game in enumerate(games)
            ),
            store.finish_game(games[0], GUILD, 3.0, [PlayerResult(1, "one", 0, 0, True)], True),  # twice: counted once
            store.finish_game(max(games) + 1, GUILD, 2.0, [], False),  # no such game: fails alone
            store.record_answers(games[1], GUILD, [answer(1, points=4, question="q2")]),
            return_exceptions=True,
        )
        assert outcomes[:31] == [None] * 31 and outcomes[32] is None, outcomes
        assert isinstance(outcomes[31], StoreError) and "no game" in str(outcomes[31])
        one = await store.player_stats(GUILD, 1)
        assert one is not None and (one.points, one.games, one.wins, one.answered) == (7, 30, 1, 2)
        newcomer = await store.player_stats(GUILD, 9)  # never answered: counted all the same
        assert newcomer is not None and (newcomer.games, newcomer.wins, newcomer.points) == (1, 1, 0)
        assert await store.unfinished_games(GUILD) == []
    assert sum(groups) == 33 and len(groups) <= 3, groups


async def test_two_processes_finishing_games_of_the_same_players_never_deadlock(
    empty_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with PostgresStore(empty_database) as first, PostgresStore(empty_database) as second:
        games = {
            store: [await store.start_game(GUILD, 10 * n + c, "p", "text", 1.0) for c in range(3)]
            for n, store in enumerate((first, second))
        }
        await _slow_down_player_writes(empty_database)
        with caplog.at_level(logging.INFO, logger="bot.storage.postgres"):
            await asyncio.gather(
                *(
                    store.finish_game(game, GUILD, 2.0, [PlayerResult(u, f"p{u}", 0, 0, False) for u in order], False)
                    for store, order in ((first, PLAYERS), (second, list(reversed(PLAYERS))))
                    for game in games[store]
                ),
                first.record_answers(games[first][0], GUILD, [answer(user) for user in reversed(PLAYERS)]),
                second.record_answers(games[second][0], GUILD, [answer(user) for user in PLAYERS]),
            )
        stats = [await first.player_stats(GUILD, user) for user in PLAYERS]
    assert all(player is not None and (player.games, player.answered) == (6, 2) for player in stats)
    assert not [record for record in caplog.records if "retrying" in record.getMessage()]
