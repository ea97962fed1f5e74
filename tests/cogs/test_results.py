"""A game's results in the channel: at most 15 names per list, and the rest counted ("…and N more")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.cogs.render import MAX_LISTED, listed
from bot.cogs.trivia import ChannelRenderer
from bot.trivia.game import CloseReason, EndReason, GameOver, Player, QuestionClosed, Score, Standing
from bot.trivia.model import Question

pytestmark = pytest.mark.reliability

PLAYERS = [Player(1000 + number, f"player{number:02d}") for number in range(1, 41)]
QUESTION = Question(id="q1", prompt="Which film?", answers=("Akira",), choices=("Akira", "Paprika"))


class RecordingChannel:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, **kwargs):
        self.sent.append(kwargs)
        return SimpleNamespace(id=len(self.sent))


async def rendered(event) -> str:
    channel = RecordingChannel()
    renderer = ChannelRenderer(SimpleNamespace(wall_clock=lambda: 0.0), channel, "Pack", "Source")
    renderer.announced.set()
    await renderer.render(event)
    (message,) = channel.sent
    embed = message["embed"].to_dict()
    return "\n".join([embed.get("description", "")] + [field["value"] for field in embed.get("fields", [])])


def closed_with_scorers(count: int) -> QuestionClosed:
    scores = tuple(
        Score(player, "Akira", correct=True, points=100 - index, answered_after=float(index), answered_at=float(index))
        for index, player in enumerate(PLAYERS[:count])
    )
    return QuestionClosed(1, 1, QUESTION, CloseReason.TIMEOUT, scores, next_in=None)


def over_with_standings(count: int, winners: int = 1) -> GameOver:
    standings = tuple(Standing(index + 1, player, 100 - index, 1) for index, player in enumerate(PLAYERS[:count]))
    return GameOver(EndReason.FINISHED, standings, tuple(PLAYERS[:winners]), questions_asked=1)


def names_in(text: str) -> list[str]:
    return [player.name for player in PLAYERS if player.name in text]


async def test_twenty_scorers_show_fifteen_and_say_five_more():
    text = await rendered(closed_with_scorers(20))
    assert names_in(text) == [player.name for player in PLAYERS[:MAX_LISTED]]
    assert "…and 5 more" in text


async def test_fifteen_scorers_are_all_shown_with_no_more_line():
    text = await rendered(closed_with_scorers(15))
    assert len(names_in(text)) == 15 and "more" not in text


async def test_final_standings_list_fifteen_and_count_the_rest():
    text = await rendered(over_with_standings(40))
    assert names_in(text) == [player.name for player in PLAYERS[:MAX_LISTED]]
    assert "…and 25 more" in text


async def test_a_forty_way_tie_for_first_names_fifteen_winners():
    text = await rendered(over_with_standings(40, winners=40))
    winners_line = text.splitlines()[-1]
    assert winners_line.startswith("🏆") and len(names_in(winners_line)) == 15
    assert winners_line.endswith("…and 25 more")


def test_listed_keeps_short_lists_whole():
    assert listed(["a", "b"]) == ["a", "b"]
    assert listed(list("abcdef"), limit=4) == ["a", "b", "c", "d", "…and 2 more"]
