"""`crate-digger players forget`: a player's data removed from the configured store, everywhere or in one server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage.base import PlayerResult, ScoredAnswer
from bot.storage.sqlite import SqliteStore

GUILDS = (1001, 2002)


async def _two_servers(path: Path) -> None:
    async with SqliteStore(path) as store:
        for guild in GUILDS:
            game = await store.start_game(guild, 5, "pack", "classic", 1.0)
            answers = [ScoredAnswer(user, f"player{user}", "q1", True, 10 * user, 2.0) for user in (1, 2)]
            await store.record_answers(game, guild, answers)
            results = [PlayerResult(user, f"player{user}", 10 * user, 1, won=user == 2) for user in (1, 2)]
            await store.finish_game(game, guild, 3.0, results, stopped=False)


async def _players(path: Path, guild: int) -> list[int]:
    async with SqliteStore(path) as store:
        return [row.user_id for row in await store.leaderboard(guild)]


async def test_players_forget_in_one_server_then_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crate.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    await _two_servers(path)

    # main() runs its own event loop, so it runs on a thread here, as it would in a terminal.
    assert await asyncio.to_thread(main, ["players", "forget", "1", "--guild", str(GUILDS[0])]) == 0
    out = capsys.readouterr().out
    assert "answers: 1 deleted" in out and "players: 1 deleted" in out
    assert f"forgot user 1 in server {GUILDS[0]}: 2 rows deleted" in out
    assert await _players(path, GUILDS[0]) == [2]
    assert await _players(path, GUILDS[1]) == [2, 1]

    assert await asyncio.to_thread(main, ["players", "forget", "1"]) == 0
    assert "forgot user 1 in every server" in capsys.readouterr().out
    assert await _players(path, GUILDS[1]) == [2]

    assert await asyncio.to_thread(main, ["players", "forget", "1"]) == 0
    assert capsys.readouterr().out == "nothing stored about user 1 in every server\n"


def test_players_forget_wants_a_numeric_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["players", "forget", "@ann"])
    assert exited.value.code == 2
    assert "invalid int value" in capsys.readouterr().err
