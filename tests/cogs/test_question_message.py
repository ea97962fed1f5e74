"""A button question costs one message and at most two edits: the hint and the answer go into the question's
own message, a hint that is overtaken by the close is never sent, and an answer that cannot go into its
question's message (deleted by a moderator) is sent as a message of its own."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import discord
import pytest

from bot.cogs.trivia import ChannelRenderer
from bot.rest_budget import RestBudget
from bot.trivia.game import AnswerMode, HintGiven, Player, QuestionAsked, QuestionClosed, Score
from bot.trivia.model import Question

QUESTION = Question(
    id="p/q",
    prompt="Which film is the Stronger video based on?",
    answers=("Akira",),
    choices=("Akira", "Tron", "Alien", "Heat"),
    quote="the video borrows its imagery from Akira",
    source_title="An article",
    pack_id="kanye-stronger-akira",
)


@dataclass(frozen=True)
class Shown:
    label: str
    disabled: bool
    style: discord.ButtonStyle
    custom_id: str


def record(kind: str, call: dict) -> tuple[str, dict]:
    """The call as Discord would get it: the view's buttons as they are now (views are changed in place)."""
    view = call.get("view")
    if view is not None:
        shown = [item.item for item in view.children]  # dynamic items wrap a button
        call = call | {"buttons": [Shown(b.label, b.disabled, b.style, b.custom_id) for b in shown]}
    return kind, call


class FakeMessage:
    def __init__(self, channel: FakeChannel, **sent) -> None:
        self.channel = channel
        self.state = sent
        self.fail_edits_with: discord.HTTPException | None = None

    async def edit(self, **changes):
        if self.fail_edits_with is not None:
            raise self.fail_edits_with
        self.channel.calls.append(record("edit", changes))
        self.state |= changes
        return self


class FakeChannel:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.id = 42

    async def send(self, **kwargs):
        self.calls.append(record("send", kwargs))
        return FakeMessage(self, **kwargs)


class FakeGame:
    def __init__(self) -> None:
        self.number = 1
        self.current: Question | None = QUESTION
        self.questions = (QUESTION,)


def renderer() -> tuple[ChannelRenderer, FakeChannel, FakeGame]:
    channel = FakeChannel()
    game = FakeGame()
    bot = SimpleNamespace(wall_clock=lambda: 1_700_000_000.0, rest_budget=RestBudget(40, clock=lambda: 0.0))
    shown = ChannelRenderer(bot, channel, "A pack", "An article")  # type: ignore[arg-type]
    shown.session = SimpleNamespace(game_id=7, game=game, pack_id="kanye-stronger-akira")  # type: ignore[assignment]
    shown.announced.set()
    return shown, channel, game


def asked() -> QuestionAsked:
    return QuestionAsked(1, 3, QUESTION, AnswerMode.CHOICES, QUESTION.choices, 130.0, 30.0)


def closed(reason: str = "everyone answered") -> QuestionClosed:
    ann = Player(1, "ann")
    return QuestionClosed(1, 3, QUESTION, reason, (Score(ann, "Akira", True, 90, 3.0, 103.0),), 4.0)  # type: ignore[arg-type]


def hint() -> HintGiven:
    return HintGiven(1, QUESTION, "Two options are out", ("Akira", "Heat"), ("Tron", "Alien"))


def custom_ids(call: dict) -> list[str]:
    return [button.custom_id for button in call["buttons"]]


async def test_a_button_question_is_one_message_and_two_edits():
    shown, channel, game = renderer()
    await shown.render(asked())
    await shown.render(hint())
    game.current = None  # closed
    await shown.render(closed())
    assert [kind for kind, _ in channel.calls] == ["send", "edit", "edit"]

    _, with_hint = channel.calls[1]
    assert "💡 Hint: Two options are out" in with_hint["embed"].description
    assert "Time's up <t:" in with_hint["embed"].description  # still the question, with its countdown
    ruled_out = {button.label.split(" · ")[1]: button.disabled for button in with_hint["buttons"]}
    assert ruled_out == {"Akira": False, "Tron": True, "Alien": True, "Heat": False}

    _, answer = channel.calls[2]
    embed = answer["embed"]
    assert embed.title == "✅ Answered! The answer: Akira"
    assert embed.description.startswith("**Question 1 of 3** · Which film is the Stronger video based on?")
    assert {field.name for field in embed.fields} == {"Scored", "From the article"}
    settled = answer["buttons"]
    assert all(button.disabled for button in settled[:4]) and settled[0].style is discord.ButtonStyle.success
    assert custom_ids(answer)[-1].startswith("cd-report:kanye-stronger-akira:")
    assert all(call["allowed_mentions"].to_dict() == {"parse": []} for _, call in channel.calls)


async def test_a_hint_overtaken_by_the_close_is_not_sent():
    shown, channel, game = renderer()
    await shown.render(asked())
    game.current = None  # everyone answered while the hint waited its turn
    await shown.render(hint())
    await shown.render(closed())
    assert [kind for kind, _ in channel.calls] == ["send", "edit"]
    assert "The answer: Akira" in channel.calls[1][1]["embed"].title


async def test_a_typed_answer_question_keeps_its_hint_and_answer_as_messages():
    shown, channel, game = renderer()
    await shown.render(QuestionAsked(1, 3, QUESTION, AnswerMode.TEXT, (), 130.0, 30.0))
    await shown.render(HintGiven(1, QUESTION, "A _ _ _ a"))
    game.current = None
    await shown.render(closed("answered"))
    assert [kind for kind, _ in channel.calls] == ["send", "send", "send"]
    assert channel.calls[1][1]["content"] == "💡 Hint: A \\_ \\_ \\_ a"
    assert "The answer: Akira" in channel.calls[2][1]["embed"].title


@pytest.mark.parametrize("code", [10008, 50035])
async def test_an_answer_that_cannot_go_into_its_question_is_sent_on_its_own(code):
    shown, channel, game = renderer()
    await shown.render(asked())
    question_message = shown.question_message
    assert isinstance(question_message, FakeMessage)
    response = SimpleNamespace(status=404 if code == 10008 else 400, reason="")
    error = discord.NotFound if code == 10008 else discord.HTTPException
    question_message.fail_edits_with = error(response, {"code": code, "message": "no"})  # type: ignore[arg-type]
    game.current = None
    await shown.render(closed())
    kinds = [kind for kind, _ in channel.calls]
    assert kinds == ["send", "send"]
    sent = channel.calls[1][1]
    assert sent["embed"].title == "✅ Answered! The answer: Akira"
    assert custom_ids(sent)[0].startswith("cd-report:")


async def test_a_hint_is_skipped_while_the_bot_is_sending_more_than_discord_takes():
    shown, channel, game = renderer()
    await shown.render(asked())
    for _ in range(80):  # two seconds of sends queued ahead of it
        shown.bot.rest_budget.reserve()
    await shown.render(hint())
    game.current = None
    await shown.render(closed())
    assert [kind for kind, _ in channel.calls] == ["send", "edit"]
    assert "The answer: Akira" in channel.calls[1][1]["embed"].title
