"""Question reports: the reasons a player may give, how often they may report, how moderators see
them, and which questions a server no longer plays. Pure rules; the store keeps the reports."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.trivia.model import Question

# A comment is a hint for the moderator, not an essay; Discord's own text inputs cap at 4,000.
MAX_COMMENT = 500


class ReportReason(StrEnum):
    WRONG_ANSWER = "wrong-answer"
    ALSO_RIGHT = "also-right"
    UNCLEAR = "unclear"
    OFFENSIVE = "offensive"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    ReportReason.WRONG_ANSWER: "The answer is wrong",
    ReportReason.ALSO_RIGHT: "Another option is also right",
    ReportReason.UNCLEAR: "The question is unclear",
    ReportReason.OFFENSIVE: "It is offensive",
}


@dataclass(frozen=True)
class ReportLimit:
    """At most ``reports`` reports per player per ``window`` seconds."""

    reports: int = 5
    window: float = 600.0

    def wait(self, earlier: Sequence[float], now: float) -> float:
        """Seconds until the player may report again (0 when they may now), given the times of
        their earlier reports. Only reports inside the window count."""
        recent = sorted(at for at in earlier if now - self.window < at <= now)
        if len(recent) < self.reports:
            return 0.0
        # The oldest report that keeps them at the limit must leave the window first.
        return recent[len(recent) - self.reports] + self.window - now


REPORT_LIMIT = ReportLimit()


def clean_comment(text: str | None) -> str:
    """The comment as stored: whitespace collapsed, at most ``MAX_COMMENT`` characters."""
    return " ".join((text or "").split())[:MAX_COMMENT]


def question_ref(question_id: str) -> str:
    """A short, fixed-length stand-in for a question id, for a button's ``custom_id`` (Discord allows 100
    characters; a pack id and a hand-written question's id can each take 64)."""
    return hashlib.sha1(question_id.encode()).hexdigest()[:16]


def find_by_ref(questions: Iterable[Question], ref: str) -> Question | None:
    return next((question for question in questions if question_ref(question.id) == ref), None)


def playable(questions: Sequence[Question], disabled: Collection[str]) -> list[Question]:
    """The questions a server still plays: moderators disabled the others after a report."""
    return [question for question in questions if question.id not in disabled]


@dataclass(frozen=True)
class Report:
    """One player's report of one question, as stored."""

    id: int
    guild_id: int
    pack_id: str
    question_id: str
    prompt: str
    user_id: int
    reason: ReportReason
    comment: str
    reported_at: float


@dataclass(frozen=True)
class ReportedQuestion:
    """A question's open reports, for the moderators' listing: ``latest`` is the newest report."""

    question_id: str
    pack_id: str
    prompt: str
    latest: Report
    count: int
    reasons: tuple[tuple[ReportReason, int], ...]
    comments: tuple[str, ...]


def by_question(reports: Iterable[Report]) -> list[ReportedQuestion]:
    """Group open reports per question, the most recently reported question first; within a question
    the reasons by how often they were given and the comments newest first."""
    grouped: dict[str, list[Report]] = {}
    for report in sorted(reports, key=lambda report: (report.reported_at, report.id), reverse=True):
        grouped.setdefault(report.question_id, []).append(report)
    listing = []
    for question_id, reports_of_question in grouped.items():
        latest = reports_of_question[0]
        counts: dict[ReportReason, int] = {}
        for report in reports_of_question:
            counts[report.reason] = counts.get(report.reason, 0) + 1
        reasons = tuple(sorted(counts.items(), key=lambda item: (-item[1], list(ReportReason).index(item[0]))))
        listing.append(
            ReportedQuestion(
                question_id=question_id,
                pack_id=latest.pack_id,
                prompt=latest.prompt,
                latest=latest,
                count=len(reports_of_question),
                reasons=reasons,
                comments=tuple(report.comment for report in reports_of_question if report.comment),
            )
        )
    return listing
