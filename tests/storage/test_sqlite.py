"""What only the SQLite store promises: its file settings, migrations and life across restarts."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.storage import erasure
from bot.storage.base import PlayerResult, Scope, ScoredAnswer
from bot.storage.errors import GameAlreadyRunning, StoreError
from bot.storage.sqlite import NEW_DATABASE_PAGE_SIZE, SqliteStore, _ranked_answers, load_migrations, split_sql
from bot.storage.sqlite_writes import WAL_BACKSTOP_PAGES

GUILD = 1001


def answer(user_id: int, correct: bool, points: int, question: str = "q1") -> ScoredAnswer:
    return ScoredAnswer(
        user_id=user_id,
        display_name=f"player{user_id}",
        question_id=question,
        correct=correct,
        points=points,
        answered_at=1_000.0,
    )


def pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


async def test_file_database_uses_wal_and_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "crate.db"
    async with SqliteStore(path):
        pass
    assert path.exists()
    assert pragma(path, "journal_mode") == "wal"  # WAL is a property of the file, so it persists


@pytest.mark.parametrize("writer", ["thread", "process"])
async def test_a_new_database_gets_small_pages(tmp_path: Path, writer: str) -> None:
    """Each page a commit changes goes to the WAL whole: new files get 1 KiB pages, not SQLite's 4 KiB."""
    path = tmp_path / "crate.db"
    async with SqliteStore(path, writer=writer) as store:  # type: ignore[arg-type]
        game = await store.start_game(GUILD, 1, "pack", "text", 1.0)
        await store.record_answers(game, GUILD, [answer(1, True, 10)])
    assert NEW_DATABASE_PAGE_SIZE == 1024
    assert pragma(path, "page_size") == NEW_DATABASE_PAGE_SIZE
    assert pragma(path, "journal_mode") == "wal"


async def test_an_existing_database_keeps_its_page_size_and_its_data(tmp_path: Path) -> None:
    """A file made before (SQLite's default 4 KiB pages, rollback journal, older schema) is migrated and
    written to as it is: SQLite cannot change the page size of a database in WAL mode anyway."""
    path = tmp_path / "old.db"
    old = database_before(path, "0009_answers_one_board_index.sql")
    add_game_one_and_ann(old)
    old.close()
    assert pragma(path, "page_size") == 4096

    async with SqliteStore(path) as store:
        game = await store.start_game(GUILD, 2, "pack", "text", 2.0)
        await store.record_answers(game, GUILD, [answer(7, True, 5), answer(8, True, 3)])
        board = await store.leaderboard(GUILD)
    assert [(row.user_id, row.points) for row in board] == [(7, 15), (8, 3)]
    assert pragma(path, "page_size") == 4096
    assert pragma(path, "journal_mode") == "wal"
    assert pragma(path, "user_version") == len(load_migrations())


async def test_connection_settings(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "crate.db") as store:
        conn = store._connection()  # white-box: these are per-connection settings
        settings = {}
        for name in ("foreign_keys", "busy_timeout", "synchronous"):
            async with conn.execute(f"PRAGMA {name}") as cursor:
                row = await cursor.fetchone()
                assert row is not None
                settings[name] = row[0]
    assert settings["foreign_keys"] == 1
    assert settings["busy_timeout"] > 0
    assert settings["synchronous"] == 1  # NORMAL


def checkpointed_answers(path: Path) -> int | None:
    """Answers in the database file itself, not counting the WAL: what checkpoints have copied.

    None when the read caught a checkpoint half way through copying pages: an immutable read takes
    no lock, so it can see some of a B-tree's new pages and not others. Ask again.
    """
    with contextlib.closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as main_file_only:
        try:
            if main_file_only.execute("SELECT 1 FROM sqlite_master WHERE name = 'answers'").fetchone() is None:
                return 0  # even the schema is still only in the log
            return main_file_only.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if "malformed" not in str(exc):
                raise
            return None


async def test_commits_leave_checkpoints_to_a_thread_of_their_own(tmp_path: Path) -> None:
    """No commit pays for copying the WAL into the database file (SQLite's default every 1,000
    pages): the store's own thread does it in the background, and closing empties the log."""
    path = tmp_path / "crate.db"
    async with SqliteStore(path) as store:
        async with store._connection().execute("PRAGMA wal_autocheckpoint") as cursor:
            assert (await cursor.fetchone())[0] == WAL_BACKSTOP_PAGES
        game = await store.start_game(GUILD, 1, "pack", "text", 1.0)
        await store.record_answers(game, GUILD, [answer(user, True, 1) for user in range(2_000)])
        for _ in range(100):  # the checkpointer runs within CHECKPOINT_INTERVAL_S of a commit
            if checkpointed_answers(path) == 2_000:
                break
            await asyncio.sleep(0.05)
        assert checkpointed_answers(path) == 2_000
        assert store._checkpointer is not None
        checkpointer = store._checkpointer._thread
        assert checkpointer.is_alive()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert not checkpointer.is_alive()


async def test_without_the_checkpointer_commits_stay_in_the_log_until_close(tmp_path: Path) -> None:
    """The other half of the above: commits alone (below the backstop) copy nothing into the file."""
    path = tmp_path / "crate.db"
    async with SqliteStore(path) as store:
        assert store._checkpointer is not None
        await asyncio.to_thread(store._checkpointer.stop)
        game = await store.start_game(GUILD, 1, "pack", "text", 1.0)
        for user in range(50):  # fifty commits, well over 1,000 pages of log
            await store.record_answers(game, GUILD, [answer(user * 100 + n, True, 1) for n in range(100)])
        assert checkpointed_answers(path) == 0
    assert checkpointed_answers(path) == 5_000


async def test_user_version_is_the_number_of_migrations(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    async with SqliteStore(path):
        pass
    migrations = load_migrations()
    assert len(migrations) >= 1
    assert pragma(path, "user_version") == len(migrations) == migrations[-1].number


async def test_reopening_applies_nothing_twice_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    async with SqliteStore(path) as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(1, True, 10), answer(2, False, 0)])
        await store.finish_game(
            game,
            GUILD,
            2.0,
            [PlayerResult(1, "player1", 10, 1, True), PlayerResult(2, "player2", 0, 0, False)],
            stopped=False,
        )
        await store.save_pack(GUILD, "beats", "id: beats\n", uploaded_by=1, uploaded_at=3.0)

    async with SqliteStore(path) as reopened:
        board = await reopened.leaderboard(GUILD)
        assert [(row.user_id, row.points, row.games, row.wins) for row in board] == [
            (1, 10, 1, 1),
            (2, 0, 1, 0),
        ]
        pack = await reopened.get_pack(GUILD, "beats")
        assert pack is not None and pack.yaml_text == "id: beats\n"
        # Ids keep counting after a restart instead of reusing an old game's id.
        assert await reopened.start_game(GUILD, 1, "pack", "classic", 4.0) > game
    assert pragma(path, "user_version") == len(load_migrations())


async def test_memory_database_works(tmp_path: Path) -> None:
    async with SqliteStore(":memory:") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(1, True, 10)])
        assert [row.points for row in await store.leaderboard(GUILD)] == [10]
    assert list(tmp_path.iterdir()) == []


async def test_too_new_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    async with SqliteStore(path):
        pass
    known = len(load_migrations())
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {known + 5}")

    store = SqliteStore(path)
    with pytest.raises(StoreError) as raised:
        await store.open()
    assert str(raised.value) == (
        f"database schema version {known + 5} is newer than this Crate Digger knows ({known}); upgrade Crate Digger"
    )
    # A refused open must leave nothing half open behind it.
    with pytest.raises(StoreError, match="not open"):
        await store.leaderboard(GUILD)
    assert pragma(path, "user_version") == known + 5


async def test_operations_before_open_raise_store_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "crate.db")
    with pytest.raises(StoreError, match="not open"):
        await store.start_game(GUILD, 1, "pack", "classic", 1.0)


async def test_close_is_idempotent(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "crate.db")
    await store.open()
    await store.close()
    await store.close()


async def test_many_concurrent_record_answers_all_land(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "crate.db") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        calls = [
            store.record_answers(
                game,
                GUILD,
                [answer(user, (call + user) % 3 != 0, 2, question=f"q{call}") for user in range(1, 4)],
            )
            for call in range(200)
        ]
        await asyncio.gather(*calls)

        total_points = 0
        total_answered = 0
        for user in range(1, 4):
            stats = await store.player_stats(GUILD, user)
            assert stats is not None
            assert stats.answered == 200
            total_points += stats.points
            total_answered += stats.answered
        assert (total_points, total_answered) == (200 * 3 * 2, 600)

        async with store._connection().execute("SELECT COUNT(*) FROM answers") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == 600


async def test_failed_write_leaves_no_transaction_open(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "crate.db") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        bad: object = "ten"
        with pytest.raises(StoreError):
            await store.record_answers(game, GUILD, [answer(1, True, bad)])  # type: ignore[arg-type]
        assert not store._connection().in_transaction
        await store.record_answers(game, GUILD, [answer(1, True, 10)])


async def test_another_connection_never_sees_half_a_batch(tmp_path: Path) -> None:
    """A second process (a backup, a CLI) reading during a write sees before or after, not between."""
    path = tmp_path / "crate.db"
    async with SqliteStore(path) as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        seen: list[int] = []

        async def watch() -> None:
            with sqlite3.connect(path) as reader:
                for _ in range(50):
                    seen.append(reader.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
                    await asyncio.sleep(0)

        batches = [
            store.record_answers(game, GUILD, [answer(u, True, 1, question=f"q{i}") for u in range(1, 6)])
            for i in range(20)
        ]
        await asyncio.gather(watch(), *batches)
    assert all(count % 5 == 0 for count in seen)


def test_split_sql_keeps_semicolons_inside_strings_and_triggers() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x TEXT DEFAULT 'a;b');
        CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN
            UPDATE t SET x = 'c;d' WHERE rowid = new.rowid;
        END;
        -- trailing comment only
    """
    statements = split_sql(script)
    assert len(statements) == 2
    assert statements[1].rstrip().endswith("END;")
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
    conn.execute("INSERT INTO t DEFAULT VALUES")
    assert conn.execute("SELECT x FROM t").fetchone()[0] == "c;d"


def test_split_sql_rejects_an_unterminated_statement() -> None:
    with pytest.raises(StoreError, match="unterminated"):
        split_sql("CREATE TABLE t (x)")


def test_every_migration_splits_into_statements() -> None:
    for migration in load_migrations():
        assert split_sql(migration.sql), migration.name


async def test_cancelled_writes_land_whole_or_not_at_all(tmp_path: Path) -> None:
    """A command cancelled mid-write (a timed-out interaction) must not leave half a batch behind."""
    players = 5
    async with SqliteStore(tmp_path / "crate.db") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        for round_ in range(120):
            batch = [answer(user, True, 1, question=f"q{round_}") for user in range(1, players + 1)]
            task = asyncio.create_task(store.record_answers(game, GUILD, batch))
            # Cancel at a different point of the transaction each round, from before BEGIN to
            # after COMMIT.
            await asyncio.sleep((round_ % 30) * 0.00005)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        # The next write must not trip over a transaction some cancelled write left open.
        await store.record_answers(game, GUILD, [answer(1, True, 1, question="after")])
        conn = store._connection()
        async with conn.execute("SELECT user_id, COUNT(*), SUM(points) FROM answers GROUP BY user_id") as cur:
            from_answers = {row[0]: (row[1], row[2]) for row in await cur.fetchall()}
        async with conn.execute("SELECT user_id, answered, points FROM players") as cur:
            from_players = {row[0]: (row[1], row[2]) for row in await cur.fetchall()}
        async with conn.execute("SELECT COUNT(*) FROM answers WHERE question_id != 'after'") as cur:
            row = await cur.fetchone()
    assert from_players == from_answers
    assert row is not None and row[0] % players == 0


def database_before(path: Path, migration_name: str) -> sqlite3.Connection:
    """A database at ``path`` migrated up to just before ``migration_name``, as an older bot left it."""
    old = sqlite3.connect(path, isolation_level=None)
    before = [migration for migration in load_migrations() if migration.name < migration_name]
    for migration in before:
        for statement in split_sql(migration.sql):
            old.execute(statement)
    old.execute(f"PRAGMA user_version = {len(before)}")
    return old


def add_game_one_and_ann(old: sqlite3.Connection) -> None:
    """Game 1 and the player ann (id 7, 10 points from one right answer) in an older bot's database."""
    old.execute(
        "INSERT INTO games (id, guild_id, channel_id, pack_id, mode, started_at) VALUES (1, ?, 5, 'p', 'c', 1)",
        (GUILD,),
    )
    old.execute(
        "INSERT INTO players (guild_id, user_id, display_name, points, correct, answered)"
        " VALUES (?, 7, 'ann', 10, 1, 1)",
        (GUILD,),
    )


async def test_answers_from_before_seasons_belong_to_season_one(tmp_path: Path) -> None:
    """A database last opened before the seasons migration keeps its answers, now counted in season 1."""
    path = tmp_path / "old.db"
    old = database_before(path, "0006_seasons.sql")
    add_game_one_and_ann(old)
    old.execute(
        "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at)"
        " VALUES (1, ?, 7, 'q1', 1, 10, 100.0)",
        (GUILD,),
    )
    old.close()

    async with SqliteStore(path) as store:
        (row,) = await store.standings(GUILD, Scope(season=1))
        assert (row.user_id, row.display_name, row.points) == (7, "ann", 10)
        archived = await store.end_season(GUILD, 1, ended_at=200.0)
        assert archived is not None and archived.players == 1


async def test_channels_with_several_unfinished_games_keep_the_newest_and_close_the_rest(tmp_path: Path) -> None:
    """Before a channel's running game was unique, crashes could leave several open in one channel;
    the migration that makes it unique closes the older ones as a restart would, counting a game each."""
    path = tmp_path / "old.db"
    old = database_before(path, "0007_one_game_per_channel.sql")
    for game_id, channel, started_at in ((1, 5, 100.0), (2, 5, 200.0), (3, 5, 300.0), (4, 6, 150.0)):
        old.execute(
            "INSERT INTO games (id, guild_id, channel_id, pack_id, mode, started_at) VALUES (?, ?, ?, 'p', 'c', ?)",
            (game_id, GUILD, channel, started_at),
        )
    for game_id, user_id in ((1, 7), (1, 8), (2, 7), (3, 7)):
        old.execute(
            "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at)"
            " VALUES (?, ?, ?, 'q1', 1, 10, 100.0)",
            (game_id, GUILD, user_id),
        )
    old.executemany(
        "INSERT INTO players (guild_id, user_id, display_name, points, correct, answered) VALUES (?, ?, ?, ?, ?, ?)",
        [(GUILD, 7, "ann", 30, 3, 3), (GUILD, 8, "bob", 10, 1, 1)],
    )
    old.close()

    async with SqliteStore(path) as store:
        with pytest.raises(GameAlreadyRunning):
            await store.start_game(GUILD, 5, "p", "c", 400.0)
        ann, bob = await store.player_stats(GUILD, 7), await store.player_stats(GUILD, 8)
        assert ann is not None and bob is not None and (ann.games, bob.games) == (2, 1)
    with contextlib.closing(sqlite3.connect(path)) as db:
        games = db.execute("SELECT id, finished_at, interrupted FROM games ORDER BY id").fetchall()
    # Each older game ends when the channel's next game started; the newest, and the lone game of
    # another channel, still run.
    assert games == [(1, 200.0, 1), (2, 300.0, 1), (3, None, 0), (4, None, 0)]


def query_plan(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> str:
    return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


async def test_every_query_of_the_answers_reads_them_through_an_index(tmp_path: Path) -> None:
    """No board, erasure or restart scans every answer the bot ever stored; the boards read only the
    covering index (never the table), and the answers have just the two indexes these plans use,
    since every index is written again by every answer."""
    path = tmp_path / "plan.db"
    async with SqliteStore(path):
        pass
    with contextlib.closing(sqlite3.connect(path)) as conn:
        boards = [
            Scope(),
            Scope(since=0.0, until=1.0),
            Scope(since=0.0),
            Scope(season=2),
            Scope(season=2, since=0.0),
            Scope(pack_id="p"),
            Scope(pack_id="p", season=2, until=1.0),
        ]
        plans = {}
        for scope in boards:
            sql, params = _ranked_answers(GUILD, scope)
            plans[scope] = query_plan(conn, sql + "SELECT * FROM ranked", params)
            assert "SEARCH a USING COVERING INDEX answers_by_guild_time (guild_id=?" in plans[scope], plans[scope]
        assert "(guild_id=? AND answered_at>? AND answered_at<?)" in plans[Scope(since=0.0, until=1.0)]
        forget = query_plan(conn, erasure.delete_player_sql("answers"), (GUILD, 7))
        assert "SEARCH answers USING INDEX answers_by_guild_time (guild_id=?)" in forget
        reset = query_plan(conn, dict(erasure.RESET_STATEMENTS)["answers"], (GUILD,))
        assert "SEARCH answers USING INDEX answers_by_guild_time (guild_id=?)" in reset
        interrupted = query_plan(conn, "SELECT DISTINCT guild_id, user_id FROM answers WHERE game_id = ?", (1,))
        assert "SEARCH answers USING INDEX answers_by_game (game_id=?)" in interrupted
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'answers'")}
    assert indexes == {"answers", "answers_by_game", "answers_by_guild_time"}


async def test_boards_read_the_same_after_the_answers_indexes_are_replaced(tmp_path: Path) -> None:
    """The migration that folds the answers' indexes into one changes no board: each reads the same
    rows from a database filled before it as the old indexes gave."""
    path = tmp_path / "old.db"
    old = database_before(path, "0009_answers_one_board_index.sql")
    old.executemany(
        "INSERT INTO games (id, guild_id, channel_id, pack_id, mode, started_at) VALUES (?, ?, ?, ?, 'c', 1)",
        [(game, GUILD, game, f"pack{game % 2}") for game in range(1, 5)],
    )
    old.executemany(
        "INSERT INTO answers (game_id, guild_id, user_id, question_id, correct, points, answered_at, season)"
        " VALUES (?, ?, ?, 'q', ?, ?, ?, ?)",
        [(1 + n % 4, GUILD, 7 + n % 5, n % 3 > 0, (n * 7) % 11, 100.0 + n, 1 + n // 20) for n in range(60)],
    )
    old.executemany(
        "INSERT INTO players (guild_id, user_id, display_name) VALUES (?, ?, ?)",
        [(GUILD, user, f"p{user}") for user in range(7, 12)],
    )
    scopes = [Scope(), Scope(since=110.0, until=140.0), Scope(season=2), Scope(pack_id="pack1", since=120.0)]
    columns = "rank, user_id, display_name, points, correct, answered, games"
    expected = {}
    for scope in scopes:
        sql, params = _ranked_answers(GUILD, scope)
        expected[scope] = old.execute(sql + f"SELECT {columns} FROM ranked ORDER BY rank, user_id", params).fetchall()
    old.close()

    async with SqliteStore(path) as store:
        for scope in scopes:
            standings = await store.standings(GUILD, scope, limit=100)
            assert [tuple(vars(row).values()) for row in standings] == expected[scope], scope
            assert standings, scope


async def test_a_miss_leaves_a_streak_already_ended_unwritten(tmp_path: Path) -> None:
    """Most misses find the streak at 0 already (the player missed the question before too): ending
    it again must change no row, so the commit writes no page for it."""
    async with SqliteStore(tmp_path / "crate.db") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        await store.record_answers(game, GUILD, [answer(7, True, 10), answer(8, False, 0)])
        connection = store._connection()._conn  # white-box: SQLite's count of rows changed
        before = connection.total_changes
        await store.record_answers(game, GUILD, [], missed=[8])
        assert connection.total_changes == before
        await store.record_answers(game, GUILD, [], missed=[7, 8])
        assert connection.total_changes == before + 1  # only 7's streak was running
        seven, eight = await store.player_stats(GUILD, 7), await store.player_stats(GUILD, 8)
    assert seven is not None and eight is not None
    assert (seven.current_streak, seven.best_streak, eight.current_streak) == (0, 1, 0)


async def test_answers_arriving_together_share_one_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Group commit: batches that wait while a commit is under way go into the next one together."""
    from bot.storage import sqlite_writes

    transactions: list[int] = []
    apply = sqlite_writes.apply_in_one_transaction

    def counting(db: sqlite3.Connection, batches: list) -> list:
        transactions.append(len(batches))
        return apply(db, batches)

    monkeypatch.setattr(sqlite_writes, "apply_in_one_transaction", counting)
    async with SqliteStore(tmp_path / "crate.db") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        transactions.clear()
        await asyncio.gather(
            *(store.record_answers(game, GUILD, [answer(user, True, 1, question=f"q{user}")]) for user in range(100))
        )
        rows = await store._connection().execute_fetchall("SELECT COUNT(*) FROM answers")
    assert list(rows)[0][0] == 100
    assert sum(transactions) == 100
    # The first batch finds the writer idle and goes alone; the other 99 queued behind it.
    assert len(transactions) <= 3, transactions


async def test_games_starting_and_finishing_together_share_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting and finishing games join the group commit too: fifty games cost a few transactions
    (and trips to the database thread), not several each, and each still gets its own result."""
    from bot.storage import sqlite_writes

    transactions: list[int] = []
    apply = sqlite_writes.apply_in_one_transaction

    def counting(db: sqlite3.Connection, writes: list) -> list:
        transactions.append(len(writes))
        return apply(db, writes)

    monkeypatch.setattr(sqlite_writes, "apply_in_one_transaction", counting)
    async with SqliteStore(tmp_path / "crate.db") as store:
        games = await asyncio.gather(*(store.start_game(GUILD, channel, "pack", "text", 1.0) for channel in range(50)))
        assert len(set(games)) == 50
        outcomes = await asyncio.gather(
            *(
                store.finish_game(game, GUILD, 2.0, [PlayerResult(user, f"p{user}", 0, 0, False)], False)
                for user, game in enumerate(games)
            ),
            store.finish_game(max(games) + 1, GUILD, 2.0, [], False),  # no such game: fails alone
            return_exceptions=True,
        )
        assert outcomes[:50] == [None] * 50 and isinstance(outcomes[50], StoreError), outcomes[50]
        rows = await store._connection().execute_fetchall("SELECT COUNT(*) FROM games WHERE finished_at = 2.0")
        assert list(rows)[0][0] == 50
        played = await store.player_stats(GUILD, 7)
        assert played is not None and played.games == 1
    assert sum(transactions) == 101
    assert len(transactions) <= 6, transactions


async def test_each_batch_is_committed_before_its_call_returns(tmp_path: Path) -> None:
    path = tmp_path / "crate.db"
    async with SqliteStore(path) as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        unseen: list[str] = []

        async def record_then_look(question: str) -> None:
            await store.record_answers(game, GUILD, [answer(1, True, 1, question=question)])
            with contextlib.closing(sqlite3.connect(path)) as reader:  # another process's view
                found = reader.execute("SELECT COUNT(*) FROM answers WHERE question_id = ?", (question,)).fetchone()
            if found[0] != 1:
                unseen.append(question)

        await asyncio.gather(*(record_then_look(f"q{n}") for n in range(50)))
    assert unseen == []


async def test_a_failing_batch_is_rolled_back_alone(tmp_path: Path) -> None:
    """One bad batch in a group commit fails its own caller; the others still commit."""
    async with SqliteStore(tmp_path / "crate.db") as store:
        game = await store.start_game(GUILD, 1, "pack", "classic", 1.0)
        bad: object = "ten"
        outcomes = await asyncio.gather(
            store.record_answers(game, GUILD, [answer(1, True, 5, question="q1")]),
            store.record_answers(game, GUILD, [answer(2, True, 5, question="q2")]),
            store.record_answers(game, GUILD, [answer(3, True, 5), answer(2, True, bad)]),  # type: ignore[arg-type]
            store.record_answers(game + 99, GUILD, [answer(4, True, 5)]),  # no such game
            store.record_answers(game, GUILD, [answer(2, True, 5, question="q3")]),
            return_exceptions=True,
        )
        assert outcomes[:3] == [None, None, outcomes[2]] and isinstance(outcomes[2], StoreError)
        assert isinstance(outcomes[3], StoreError) and outcomes[4] is None
        two = await store.player_stats(GUILD, 2)
        assert two is not None and (two.points, two.answered, two.current_streak) == (10, 2, 2)
        assert await store.player_stats(GUILD, 3) is None  # its batch left nothing behind
        assert await store.player_stats(GUILD, 4) is None
        assert not store._connection().in_transaction


async def test_the_questions_games_ask_at_once_are_committed_together(tmp_path: Path) -> None:
    # Every running game records each question it asks (the no-repeat history): 50 games asking at once
    # share a group commit, as their answers do, rather than taking a transaction each.
    async with SqliteStore(tmp_path / "bot.sqlite3") as store:
        commits: list[str] = []
        connection = store._conn  # aiosqlite's; its sqlite3 connection may only be used on its thread
        await connection._execute(  # type: ignore[union-attr]
            connection._conn.set_trace_callback,  # type: ignore[union-attr]
            lambda statement: commits.append(statement) if statement.strip().upper() == "COMMIT" else None,
        )
        await asyncio.gather(
            *(
                store.record_asked(guild, "pack", [f"q{guild}"], 1_000.0, starts_over=guild % 2 == 0)
                for guild in range(1, 51)
            )
        )
        assert len(commits) <= 2
        for guild in (1, 2, 50):
            assert await store.asked_questions(guild, "pack") == frozenset({f"q{guild}"})
