"""The last steps of the playground's seeded history: daily questions' latest answers drawn
together, enough commenters in each lead's last finished period, and everything written, the
comments with their sentiment and their themes, as a click would store them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert
from sqlmodel import Session, col

from adapters.local.storyline import Subject
from adapters.local.synthetic import figure_of, talkative, values_for_asking
from storage.tables import Answer, Delivery, QuestionRecord
from surveys import theme_writes, themes
from surveys.choices import check, choices_for, stored_value
from surveys.periods import Period, due_period, period_containing
from surveys.sentiment import polarity

if TYPE_CHECKING:
    from bot.app import LearnPulse
    from surveys.program import Program


@dataclass
class SeedReport:
    """What the seeding wrote."""

    occurrences: int = 0
    deliveries: int = 0
    answers: int = 0
    pending: int = 0


@dataclass
class Given:
    """An answer about to be written, with what a later comment on it needs."""

    ref: str
    question: QuestionRecord
    key: str
    value: str
    stance: float
    leaning: float
    day: date
    progress: float
    comment: str | None = None
    row: dict[str, Any] = field(default_factory=dict)


class History(Protocol):
    """What the last steps need of the history being seeded."""

    core: LearnPulse
    program: Program
    now: datetime
    given: list[Given]
    deliveries: list[dict[str, Any]]
    report: SeedReport

    def comment_of(self, given: Given, workstream_id: str) -> str: ...


@cache
def _polarity(text: str) -> float:
    return polarity(text)


def subject_of(question: QuestionRecord) -> Subject:
    return Subject(
        question.id, question.kind, question.target, question.area, len(question.options or ())
    )


def settle_daily_figures(history: History) -> None:
    """A weekly digest counts each person's latest answer to a daily question, so those
    latest answers are drawn together, like one asking, and land on the storyline."""
    for workstream in history.program.workstreams:
        daily = {q.id for q in workstream.questions if q.schedule.cadence == "daily"}
        latest: dict[tuple[str, Period], dict[str, Given]] = defaultdict(dict)
        for given in history.given:
            if given.question.id in daily:
                period = period_containing(workstream.digest, given.day)
                mine = latest[(given.question.id, period)]
                if given.ref not in mine or mine[given.ref].day <= given.day:
                    mine[given.ref] = given
        figures: dict[str, float | None] = {}
        for (question_id, period), by_person in sorted(
            latest.items(), key=lambda item: item[0][1].start
        ):
            group = list(by_person.values())
            question = group[0].question
            offered = [c.value for c in choices_for(question.kind, question.options)]
            values = values_for_asking(
                subject_of(question),
                offered,
                max(g.progress for g in group),
                period.end,
                [g.stance for g in group],
                [g.leaning for g in group],
                figures.get(question_id),
            )
            figures[question_id] = figure_of(question.kind, values)
            for given, value in zip(group, values, strict=True):
                given.value, score = check(question.kind, value, question.options)
                given.row["value"] = stored_value(history.core.vault, question.kind, given.value)
                given.row["score"] = score
                if given.comment:
                    given.comment = history.comment_of(given, workstream.id)


def add_missing_quotes(history: History) -> None:
    """Each lead's last finished period gets ``min_comments`` commenters where enough
    people answered: the most talkative of those who did not comment add one."""
    local_now = history.now.astimezone(history.program.zone)
    needed = 2 * history.program.anonymity.min_comments  # enough for a theme or two
    for workstream in history.program.workstreams:
        period = due_period(workstream.digest, local_now)
        latest: dict[str, Given] = {}
        commenters: set[str] = set()
        for given in history.given:
            if given.row["workstream_id"] != workstream.id or not period.contains(given.day):
                continue
            if given.comment:
                commenters.add(given.ref)
            elif given.question.comment == "optional":
                latest[given.ref] = given
        quiet = sorted(
            (ref for ref in latest if ref not in commenters), key=lambda r: -talkative(r)
        )
        for ref in quiet[: max(0, needed - len(commenters))]:
            latest[ref].comment = history.comment_of(latest[ref], workstream.id)


def write(history: History, session: Session) -> None:
    if history.deliveries:
        session.execute(insert(Delivery), history.deliveries)
    rows = []
    for given in history.given:
        text = given.comment
        rows.append(
            given.row
            | {
                "comment": history.core.vault.encrypt(text) if text else None,
                "sentiment": _polarity(text) if text else None,
            }
        )
    if rows:  # ids in the order of the rows, to store the comments' themes with them
        ids = session.execute(
            insert(Answer).returning(col(Answer.id), sort_by_parameter_order=True), rows
        ).scalars()
        found = {
            int(answer_id): themes.extract(given.comment, history.program.themes)
            for answer_id, given in zip(ids, history.given, strict=True)
            if given.comment
        }
        theme_writes.store(session.connection(), history.core.vault, found)
    history.report.answers = len(rows)
