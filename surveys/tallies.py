"""People and their answers per workstream and period, counted by the database.

Every figure counts people, not clicks. A person who answered the same question twice in one
period (a weekly question and an ad-hoc asking of it, a daily question in a weekly digest) counts
once, with their latest answer: in ``confidential`` mode the database keeps each pseudonym's
latest answer per question and period (a window function) before it groups. In ``anonymous``
mode nothing links two answers of one person, so each answer counts in the figure, and the number
of people behind it comes from the delivery ledger (who answered which item, never what). Both
counts are kept: the thresholds look at people, the no-subtraction rule at both.

Comments count people too: one comment per person and period (their latest) feeds the sentiment,
the shares and the quotes; in ``anonymous`` mode each comment stands alone (one per person and
asking at most) and the ledger says how many people commented. Response rates are people who
answered out of people asked. No individual answer is loaded into Python.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, case, distinct, func, null, or_, select
from sqlmodel import Session, SQLModel

from storage.tables import (
    COMMENT_MARK,
    Answer,
    AudienceMember,
    Delivery,
    DeliveryStatus,
    Occurrence,
)
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
    """One question in one period: how many people answered, and how (never who).

    ``answers`` is how many values the figure is made of: the same as ``people`` in
    ``confidential`` mode, possibly more in ``anonymous`` mode."""

    people: int = 0
    answers: int = 0
    scores: Counter[float] = field(default_factory=Counter)
    choices: Counter[str] = field(default_factory=Counter)
    pilot_people: int = 0
    pilot_answers: int = 0
    pilot_scores: Counter[float] = field(default_factory=Counter)
    unkeyed: int = 0  # anonymous answers among them: their people come from the ledger

    @property
    def rest_people(self) -> int:
        return self.people - self.pilot_people

    @property
    def rest_answers(self) -> int:
        return self.answers - self.pilot_answers

    @property
    def rest_scores(self) -> Counter[float]:
        return self.scores - self.pilot_scores


@dataclass
class CommentTally:
    """Comment sentiment of one workstream in one period, one comment per person."""

    people: int = 0
    comments: int = 0
    polarity_sum: float = 0.0
    positive: int = 0
    negative: int = 0
    unkeyed: int = 0  # anonymous comments among them: their people come from the ledger

    @property
    def neutral(self) -> int:
        return self.comments - self.positive - self.negative

    @property
    def polarity(self) -> float | None:
        return self.polarity_sum / self.comments if self.comments else None


@dataclass
class PeriodTally:
    """Everything counted for one workstream in one period."""

    period: Period
    questions: dict[str, QuestionTally] = field(default_factory=dict)
    comments: CommentTally = field(default_factory=CommentTally)
    asked: int = 0  # people prompted at least once in the period
    responded: int = 0  # of them, people who answered at least one prompt

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
        _tally_answers(session, workstream_ids, recent, None, out, split)
        if choice_questions:
            _tally_choices(session, workstream_ids, recent, choice_questions, out, split)
        _tally_comments(session, workstream_ids, recent, out, split)
        _tally_deliveries(session, workstream_ids, recent, out, split)
        _people_from_ledger(session, workstream_ids, recent, out, split)
    if split and trend_questions:
        earlier = list(periods[:split])
        _tally_answers(session, workstream_ids, earlier, trend_questions, out, 0)
        _people_from_ledger(session, workstream_ids, earlier, out, 0, trend_questions)
    return out


def _latest_per_person(
    periods: Sequence[Period], *partition: Any, where: Sequence[ColumnElement[bool]]
) -> Any:
    """Answer rows in ``periods`` with the period's index, and ``latest`` = 1 on each
    pseudonym's latest row per ``partition`` and period (rows without a pseudonym all
    stand alone)."""
    a = ANSWERS.c
    bucket = period_index(a.answered_on, periods)
    latest = func.row_number().over(
        partition_by=(*partition, bucket, a.respondent_key),
        order_by=(a.answered_on.desc(), a.id.desc()),
    )
    return (
        select(
            a.workstream_id,
            a.question_id,
            bucket.label("bucket"),
            a.in_pilot,
            a.score,
            a.value,
            a.sentiment,
            a.respondent_key,
            latest.label("latest"),
        )
        .where(_span(a.answered_on, periods), *where)
        .subquery()
    )


def _counted(rows: Any) -> ColumnElement[bool]:
    return or_(rows.c.latest == 1, rows.c.respondent_key.is_(None))


def _tally_answers(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    only_questions: Sequence[str] | None,
    out: dict[str, list[PeriodTally]],
    offset: int,
) -> None:
    """Scores and the pilot split, each person's latest answer per question and period."""
    a = ANSWERS.c
    where = [a.workstream_id.in_(workstream_ids), a.value != ""]
    if only_questions is not None:
        where += [a.question_id.in_(only_questions), a.score.is_not(None)]
    rows = _latest_per_person(periods, a.workstream_id, a.question_id, where=where)
    stmt: Select[Any] = (
        select(
            rows.c.workstream_id,
            rows.c.question_id,
            rows.c.bucket,
            rows.c.in_pilot,
            rows.c.score,
            func.count(),
            func.count(rows.c.respondent_key),
        )
        .where(_counted(rows))
        .group_by(
            rows.c.workstream_id, rows.c.question_id, rows.c.bucket, rows.c.in_pilot, rows.c.score
        )
    )
    for ws, qid, index, in_pilot, score, n, keyed in session.execute(stmt):
        if index is None:
            continue
        q = out[ws][int(index) + offset].questions.setdefault(qid, QuestionTally())
        n, keyed = int(n), int(keyed)
        q.answers += n
        q.people += keyed
        q.unkeyed += n - keyed
        if score is not None:
            q.scores[float(score)] += n
        if in_pilot:
            q.pilot_answers += n
            q.pilot_people += keyed
            if score is not None:
                q.pilot_scores[float(score)] += n


def _tally_choices(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    choice_questions: Sequence[str],
    out: dict[str, list[PeriodTally]],
    offset: int,
) -> None:
    """Choices of the few choice questions, apart: grouping every answer by its text would
    make the main pass sort instead of hash."""
    a = ANSWERS.c
    where = [
        a.workstream_id.in_(workstream_ids),
        a.question_id.in_(choice_questions),
        a.value != "",
    ]
    rows = _latest_per_person(periods, a.workstream_id, a.question_id, where=where)
    stmt = (
        select(rows.c.workstream_id, rows.c.question_id, rows.c.bucket, rows.c.value, func.count())
        .where(_counted(rows))
        .group_by(rows.c.workstream_id, rows.c.question_id, rows.c.bucket, rows.c.value)
    )
    for ws, qid, index, value, n in session.execute(stmt):
        if index is not None:
            question = out[ws][int(index) + offset].questions.setdefault(qid, QuestionTally())
            question.choices[str(value)] += int(n)


def _tally_comments(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    out: dict[str, list[PeriodTally]],
    offset: int,
) -> None:
    """Sentiment of each person's latest comment of the period, per workstream."""
    a = ANSWERS.c
    where = [
        a.workstream_id.in_(workstream_ids),
        a.comment.is_not(None),
        a.sentiment.is_not(None),
    ]
    rows = _latest_per_person(periods, a.workstream_id, where=where)
    stmt = (
        select(
            rows.c.workstream_id,
            rows.c.bucket,
            func.count(),
            func.count(rows.c.respondent_key),
            func.sum(rows.c.sentiment),
            func.sum(case((rows.c.sentiment > POSITIVE, 1), else_=0)),
            func.sum(case((rows.c.sentiment < NEGATIVE, 1), else_=0)),
        )
        .where(_counted(rows))
        .group_by(rows.c.workstream_id, rows.c.bucket)
    )
    for ws, index, n, keyed, polarity, positive, negative in session.execute(stmt):
        if index is None:
            continue
        comments = out[ws][int(index) + offset].comments
        comments.comments += int(n)
        comments.people += int(keyed)
        comments.unkeyed += int(n) - int(keyed)
        comments.polarity_sum += float(polarity or 0.0)
        comments.positive += int(positive or 0)
        comments.negative += int(negative or 0)


def _tally_deliveries(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    out: dict[str, list[PeriodTally]],
    offset: int,
) -> None:
    """Response rates in people: prompted at least once in the period, and of them, answered."""
    d, o = DELIVERIES.c, OCCURRENCES.c
    bucket = period_index(o.local_date, periods).label("bucket")
    asked = case((d.status.in_([s.value for s in ASKED]), d.person_id), else_=null())
    answered = case((d.status == DeliveryStatus.ANSWERED.value, d.person_id), else_=null())
    stmt = (
        select(o.workstream_id, bucket, func.count(distinct(asked)), func.count(distinct(answered)))
        .select_from(DELIVERIES.join(OCCURRENCES, o.id == d.occurrence_id))
        .where(o.workstream_id.in_(workstream_ids), _span(o.local_date, periods))
        .group_by(o.workstream_id, bucket)
    )
    for ws, index, people_asked, people_answered in session.execute(stmt):
        if index is None:
            continue
        target = out[ws][int(index) + offset]
        target.asked += int(people_asked)
        target.responded += int(people_answered)


def _people_from_ledger(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    out: dict[str, list[PeriodTally]],
    offset: int,
    only_questions: Sequence[str] | None = None,
) -> None:
    """Anonymous answers carry no pseudonym: the people behind them are counted from the
    deliveries that answered (or commented on) each item, with the pilot group of the audience.
    Only periods that hold such answers are read."""
    a = ANSWERS.c
    unkeyed = select(a.workstream_id).where(
        a.workstream_id.in_(workstream_ids),
        _span(a.answered_on, periods),
        a.respondent_key.is_(None),
    )
    if session.execute(unkeyed.limit(1)).first() is None:
        return
    d, o, m = DELIVERIES.c, OCCURRENCES.c, AUDIENCE.c
    stmt = (
        select(o.workstream_id, o.local_date, d.person_id, d.answered_items, m.in_pilot)
        .select_from(
            DELIVERIES.join(OCCURRENCES, o.id == d.occurrence_id).outerjoin(
                AUDIENCE, and_(m.workstream_id == o.workstream_id, m.person_id == d.person_id)
            )
        )
        .where(
            o.workstream_id.in_(workstream_ids),
            _span(o.local_date, periods),
            d.status == DeliveryStatus.ANSWERED.value,
        )
    )
    wanted = None if only_questions is None else set(only_questions)
    people: dict[tuple[str, int, str], set[int]] = defaultdict(set)
    pilot: dict[tuple[str, int, str], set[int]] = defaultdict(set)
    commenters: dict[tuple[str, int], set[int]] = defaultdict(set)
    for ws, day, person, items, in_pilot in session.execute(stmt):
        index = next((i for i, p in enumerate(periods) if p.contains(day)), None)
        if index is None:
            continue
        for item in items or []:
            if item.startswith(COMMENT_MARK):
                commenters[(ws, index)].add(int(person))
            elif wanted is None or item in wanted:
                people[(ws, index, item)].add(int(person))
                if in_pilot:
                    pilot[(ws, index, item)].add(int(person))
    for ws, tallies in out.items():
        for index, target in enumerate(tallies[offset : offset + len(periods)]):
            for qid, q in target.questions.items():
                if q.unkeyed:  # never more people than the values the figure is made of
                    q.people = min(len(people.get((ws, index, qid), ())), q.answers)
                    q.pilot_people = min(len(pilot.get((ws, index, qid), ())), q.pilot_answers)
            c = target.comments
            if c.unkeyed and wanted is None:
                c.people = min(len(commenters.get((ws, index), ())), c.comments)


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
