"""Answer and delivery counts per workstream and period, aggregated by the database.

Digests, status and the review read only these tallies: one ``GROUP BY`` over the answers of the
recent periods (scores, choices, pilot split and comment sentiment at once), one over the
delivery ledger, and for older periods one over the key measures' scores alone. No individual
answer is loaded into Python. Sentiment is the value stored with the answer; it is never
recomputed here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, null, select
from sqlmodel import Session, SQLModel

from storage.tables import Answer, AudienceMember, Delivery, DeliveryStatus, Occurrence
from surveys.periods import Period

POSITIVE = 0.1  # polarity above this is a positive comment
NEGATIVE = -0.1  # below this a negative one; in between neutral

ANSWERS: Table = SQLModel.metadata.tables[str(Answer.__tablename__)]
DELIVERIES: Table = SQLModel.metadata.tables[str(Delivery.__tablename__)]
OCCURRENCES: Table = SQLModel.metadata.tables[str(Occurrence.__tablename__)]
AUDIENCE: Table = SQLModel.metadata.tables[str(AudienceMember.__tablename__)]

ASKED = (
    DeliveryStatus.SENT,
    DeliveryStatus.REMINDED,
    DeliveryStatus.ANSWERED,
    DeliveryStatus.EXPIRED,
)


@dataclass
class QuestionTally:
    """One question in one period: how many answered, and how (never who)."""

    responses: int = 0
    scores: Counter[float] = field(default_factory=Counter)
    choices: Counter[str] = field(default_factory=Counter)
    pilot_responses: int = 0
    pilot_scores: Counter[float] = field(default_factory=Counter)

    @property
    def rest_scores(self) -> Counter[float]:
        return self.scores - self.pilot_scores


@dataclass
class CommentTally:
    """Comment sentiment of one workstream in one period."""

    count: int = 0
    polarity_sum: float = 0.0
    positive: int = 0
    negative: int = 0

    @property
    def neutral(self) -> int:
        return self.count - self.positive - self.negative

    @property
    def polarity(self) -> float | None:
        return self.polarity_sum / self.count if self.count else None


@dataclass
class PeriodTally:
    """Everything counted for one workstream in one period."""

    period: Period
    questions: dict[str, QuestionTally] = field(default_factory=dict)
    comments: CommentTally = field(default_factory=CommentTally)
    asked: int = 0
    responded: int = 0

    def question(self, question_id: str) -> QuestionTally:
        return self.questions.get(question_id) or QuestionTally()

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.asked if self.asked else None


def period_index(column: Any, periods: Sequence[Period]) -> ColumnElement[Any]:
    """The index (oldest first) of the period a date falls in; periods are consecutive."""
    newest_first = list(enumerate(periods))[::-1]
    return case(*[(column >= p.start, i) for i, p in newest_first], else_=null())


def _span(column: Any, periods: Sequence[Period]) -> ColumnElement[bool]:
    return and_(column >= periods[0].start, column <= periods[-1].end)


def tally(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    choice_questions: Sequence[str] = (),
    *,
    detailed: int | None = None,
    trend_questions: Sequence[str] = (),
) -> dict[str, list[PeriodTally]]:
    """Per workstream, one ``PeriodTally`` per period (oldest first).

    The ``detailed`` most recent periods (all by default) are counted in full: every question,
    choices, pilot split, comments and response rates. The earlier ones only count the scores
    of ``trend_questions`` (the key measures a chart draws), which reads far fewer rows.
    """
    out = {ws: [PeriodTally(p) for p in periods] for ws in workstream_ids}
    if not workstream_ids or not periods:
        return out
    split = 0 if detailed is None else max(len(periods) - detailed, 0)
    recent = list(periods[split:])
    if recent:
        _tally_answers(session, workstream_ids, recent, choice_questions, out, split)
        _tally_deliveries(session, workstream_ids, recent, out, split)
    if split and trend_questions:
        _tally_scores(session, workstream_ids, periods[:split], trend_questions, out)
    return out


def _tally_scores(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    question_ids: Sequence[str],
    out: dict[str, list[PeriodTally]],
) -> None:
    """Only the score distribution of a few questions, period by period."""
    a = ANSWERS.c
    bucket = period_index(a.answered_on, periods).label("bucket")
    stmt = (
        select(a.workstream_id, a.question_id, bucket, a.score, func.count())
        .where(
            a.workstream_id.in_(workstream_ids),
            _span(a.answered_on, periods),
            a.question_id.in_(question_ids),
            a.score.is_not(None),
        )
        .group_by(a.workstream_id, a.question_id, bucket, a.score)
    )
    for ws, qid, index, score, n in session.execute(stmt):
        if index is None:
            continue
        q = out[ws][int(index)].questions.setdefault(qid, QuestionTally())
        q.responses += int(n)
        q.scores[float(score)] += int(n)


def _tally_answers(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    choice_questions: Sequence[str],
    out: dict[str, list[PeriodTally]],
    offset: int = 0,
) -> None:
    """Scores, pilot split and comment sentiment in one pass; choices in a second, narrow one
    (grouping every answer by its text would make the main pass sort instead of hash)."""
    a = ANSWERS.c
    bucket = period_index(a.answered_on, periods).label("bucket")
    given = case((a.value != "", 1), else_=0)
    stmt = (
        select(
            a.workstream_id,
            a.question_id,
            bucket,
            a.in_pilot,
            a.score,
            func.sum(given),
            func.count(a.sentiment),
            func.sum(a.sentiment),
            func.sum(case((a.sentiment > POSITIVE, 1), else_=0)),
            func.sum(case((a.sentiment < NEGATIVE, 1), else_=0)),
        )
        .where(a.workstream_id.in_(workstream_ids), _span(a.answered_on, periods))
        .group_by(a.workstream_id, a.question_id, bucket, a.in_pilot, a.score)
    )
    for ws, qid, index, in_pilot, score, n, ncom, pol, pos, neg in session.execute(stmt):
        if index is None:
            continue
        target = out[ws][int(index) + offset]
        if ncom:
            target.comments.count += int(ncom)
            target.comments.polarity_sum += float(pol or 0.0)
            target.comments.positive += int(pos or 0)
            target.comments.negative += int(neg or 0)
        n = int(n or 0)
        if not n:
            continue
        q = target.questions.setdefault(qid, QuestionTally())
        q.responses += n
        if score is not None:
            q.scores[float(score)] += n
        if in_pilot:
            q.pilot_responses += n
            if score is not None:
                q.pilot_scores[float(score)] += n
    if not choice_questions:
        return
    choices = (
        select(a.workstream_id, a.question_id, bucket, a.value, func.count())
        .where(
            a.workstream_id.in_(workstream_ids),
            a.question_id.in_(choice_questions),
            _span(a.answered_on, periods),
            a.value != "",
        )
        .group_by(a.workstream_id, a.question_id, bucket, a.value)
    )
    for ws, qid, index, value, n in session.execute(choices):
        if index is not None:
            question = out[ws][int(index) + offset].questions.setdefault(qid, QuestionTally())
            question.choices[str(value)] += int(n)


def _tally_deliveries(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    out: dict[str, list[PeriodTally]],
    offset: int = 0,
) -> None:
    """Response rates: deliveries counted per occurrence and status (a cheap integer grouping),
    then summed into periods here, per occurrence rather than per delivery."""
    d, o = DELIVERIES.c, OCCURRENCES.c
    asked = select(o.id, o.workstream_id, o.local_date).where(
        o.workstream_id.in_(workstream_ids), _span(o.local_date, periods)
    )
    occurrences = {int(i): (ws, day) for i, ws, day in session.execute(asked)}
    if not occurrences:
        return
    stmt = (
        select(d.occurrence_id, d.status, func.count())
        .where(d.occurrence_id.in_(asked.with_only_columns(o.id).scalar_subquery()))
        .group_by(d.occurrence_id, d.status)
    )
    for occurrence_id, status, n in session.execute(stmt):
        ws, day = occurrences[int(occurrence_id)]
        index = next((i for i, p in enumerate(periods) if p.contains(day)), None)
        if index is None:
            continue
        target = out[ws][index + offset]
        if status == DeliveryStatus.ANSWERED:
            target.responded += int(n)
        if status in ASKED:
            target.asked += int(n)


def audience_sizes(session: Session, workstream_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per workstream: (audience size, of which in the pilot group)."""
    m = AUDIENCE.c
    stmt = (
        select(
            m.workstream_id,
            func.count(),
            func.sum(case((m.in_pilot, 1), else_=0)),
        )
        .where(m.workstream_id.in_(workstream_ids))
        .group_by(m.workstream_id)
    )
    sizes = {ws: (0, 0) for ws in workstream_ids}
    for ws, total, pilot in session.execute(stmt):
        sizes[ws] = (int(total), int(pilot or 0))
    return sizes
