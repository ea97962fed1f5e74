"""Question reports: the rate limit, the comment, the moderators' grouping and the disabled filter."""

from __future__ import annotations

import pytest

from bot.trivia.model import Question
from bot.trivia.reports import (
    MAX_COMMENT,
    Report,
    ReportLimit,
    ReportReason,
    by_question,
    clean_comment,
    find_by_ref,
    playable,
    question_ref,
)

LIMIT = ReportLimit(reports=5, window=600.0)


def test_under_the_limit_a_player_may_report_at_once() -> None:
    assert LIMIT.wait([], now=1_000.0) == 0.0
    assert LIMIT.wait([100.0, 200.0, 300.0, 400.0], now=500.0) == 0.0


def test_the_sixth_report_in_ten_minutes_waits_for_the_oldest_to_leave_the_window() -> None:
    earlier = [100.0, 200.0, 300.0, 400.0, 500.0]
    assert LIMIT.wait(earlier, now=550.0) == pytest.approx(150.0)  # 100 + 600 - 550
    assert LIMIT.wait(earlier, now=699.0) == pytest.approx(1.0)
    assert LIMIT.wait(earlier, now=700.0) == 0.0  # the report at 100 is exactly ten minutes old


def test_only_reports_inside_the_window_count() -> None:
    assert LIMIT.wait([0.0, 1.0, 2.0, 700.0, 710.0], now=720.0) == 0.0
    # More than the limit (reports before a limit change): the wait is until one fewer than the limit remains.
    assert LIMIT.wait([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], now=100.0) == pytest.approx(620.0 - 100.0)


def test_comments_are_bounded_and_single_spaced() -> None:
    assert clean_comment(None) == ""
    assert clean_comment("  it was\n2018,\tnot 2008  ") == "it was 2018, not 2008"
    assert len(clean_comment("x" * 5_000)) == MAX_COMMENT


def question(qid: str, prompt: str = "?") -> Question:
    return Question(id=qid, prompt=prompt, answers=("a",), choices=("a", "b"), pack_id=qid.split("/")[0])


def test_a_ref_is_short_and_finds_its_question() -> None:
    long_id = "p" * 64 + "/" + "q" * 64
    questions = [question("pack/one"), question(long_id)]
    assert len(question_ref(long_id)) == 16
    assert find_by_ref(questions, question_ref(long_id)) is questions[1]
    assert find_by_ref(questions, question_ref("pack/missing")) is None


def test_disabled_questions_are_not_played() -> None:
    questions = [question("p/1"), question("p/2"), question("p/3")]
    assert [q.id for q in playable(questions, {"p/2", "other/9"})] == ["p/1", "p/3"]
    assert playable(questions, set()) == questions


def make_report(rid: int, qid: str, at: float, reason: ReportReason, comment: str = "") -> Report:
    return Report(rid, 1, qid.split("/")[0], qid, f"Prompt {qid}", 100 + rid, reason, comment, at)


def test_reports_are_grouped_per_question_most_recently_reported_first() -> None:
    reports = [
        make_report(1, "p/1", 10.0, ReportReason.UNCLEAR, "vague"),
        make_report(2, "p/2", 20.0, ReportReason.OFFENSIVE),
        make_report(3, "p/1", 30.0, ReportReason.WRONG_ANSWER, "2018"),
        make_report(4, "p/1", 25.0, ReportReason.WRONG_ANSWER),
    ]
    listing = by_question(reports)
    assert [(entry.question_id, entry.count) for entry in listing] == [("p/1", 3), ("p/2", 1)]
    first = listing[0]
    assert first.latest.id == 3 and first.prompt == "Prompt p/1"
    assert first.reasons == ((ReportReason.WRONG_ANSWER, 2), (ReportReason.UNCLEAR, 1))
    assert first.comments == ("2018", "vague")
    assert by_question([]) == []
