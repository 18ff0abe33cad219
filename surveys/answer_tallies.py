"""Counts from the answers: scores with the pilot split, choices, and comments' sentiment,
each person's latest answer per question and period.

In ``confidential`` mode each pseudonym's latest answer per question and period counts, so a
person who answered twice counts once. In ``anonymous`` mode nothing links two answers of one
person: each answer counts in the figure, and ``surveys.response_tallies`` finds the people
behind them in the ledger.

Keeping the latest answer takes a window function, which sorts every row it reads. It is only
needed where a question was asked more than once in a period (a weekly question and an ad-hoc
asking of it, a daily question in a weekly digest): the database keeps one answer per person and
asking (``uq_answer_once``), so within a single asking nobody can count twice. Each count is
therefore one plain ``GROUP BY`` that also returns the range of askings behind each group
(``counted_with_fallback``); only the questions and periods answered in more than one asking are
counted again through the window function, and their plain figures are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlmodel import Session

from surveys.periods import Period
from surveys.tally_model import (
    ANSWERS,
    NEGATIVE,
    POSITIVE,
    PeriodTally,
    QuestionTally,
    period_index,
    span,
)


def latest_per_person(
    periods: Sequence[Period],
    *partition: Any,
    where: Sequence[ColumnElement[bool]],
    extra: Sequence[Any] = (),
) -> Any:
    """Answer rows in ``periods`` with the period's index, and ``latest`` = 1 on each
    pseudonym's latest row per ``partition`` and period (rows without a pseudonym all
    stand alone); ``extra`` columns are carried along."""
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
            *extra,
        )
        .where(span(a.answered_on, periods), *where)
        .subquery()
    )


def counted_once(rows: Any) -> ColumnElement[bool]:
    return or_(rows.c.latest == 1, rows.c.respondent_key.is_(None))


def askings_range() -> tuple[Any, Any]:
    """The first and last asking behind a group: equal when one asking holds all its answers."""
    a = ANSWERS.c
    return func.min(a.occurrence_id), func.max(a.occurrence_id)


def counted_with_fallback(
    session: Session,
    plain: Select[Any],
    windowed: Callable[[Sequence[str], Sequence[str]], Select[Any]],
) -> list[tuple[Any, ...]]:
    """Grouped rows of ``plain`` (workstream, question, period index first, the
    ``askings_range`` last), where every group answered in one asking per question and period
    counts as it is; the others come from ``windowed(workstreams, questions)``, the same
    columns without the range, counted over each person's latest answer."""
    rows = [tuple(row) for row in session.execute(plain)]
    first: dict[tuple[Any, Any, Any], Any] = {}
    last: dict[tuple[Any, Any, Any], Any] = {}
    for row in rows:
        key = (row[0], row[1], row[2])
        low, high = row[-2], row[-1]
        first[key] = low if key not in first else min(first[key], low)
        last[key] = high if key not in last else max(last[key], high)
    repeated = {key for key in first if first[key] != last[key]}
    out = [row[:-2] for row in rows if (row[0], row[1], row[2]) not in repeated]
    if repeated:
        workstreams = sorted({str(ws) for ws, _, _ in repeated})
        questions = sorted({str(qid) for _, qid, _ in repeated})
        out += [
            tuple(row)
            for row in session.execute(windowed(workstreams, questions))
            if (row[0], row[1], row[2]) in repeated
        ]
    return out


def count_answers(
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
    bucket = period_index(a.answered_on, periods).label("bucket")
    grouping = (a.workstream_id, a.question_id, bucket, a.in_pilot, a.score)
    plain: Select[Any] = (
        select(*grouping, func.count(), func.count(a.respondent_key), *askings_range())
        .where(span(a.answered_on, periods), *where)
        .group_by(*grouping)
    )

    def windowed(workstreams: Sequence[str], questions: Sequence[str]) -> Select[Any]:
        narrowed = [*where, a.workstream_id.in_(workstreams), a.question_id.in_(questions)]
        rows = latest_per_person(periods, a.workstream_id, a.question_id, where=narrowed)
        columns = (rows.c.workstream_id, rows.c.question_id, rows.c.bucket, rows.c.in_pilot)
        return (
            select(*columns, rows.c.score, func.count(), func.count(rows.c.respondent_key))
            .where(counted_once(rows))
            .group_by(*columns, rows.c.score)
        )

    counted = counted_with_fallback(session, plain, windowed)
    for ws, qid, index, in_pilot, score, n, keyed in counted:
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


def count_choices(
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
    bucket = period_index(a.answered_on, periods).label("bucket")
    grouping = (a.workstream_id, a.question_id, bucket, a.value)
    plain: Select[Any] = (
        select(*grouping, func.count(), *askings_range())
        .where(span(a.answered_on, periods), *where)
        .group_by(*grouping)
    )

    def windowed(workstreams: Sequence[str], questions: Sequence[str]) -> Select[Any]:
        narrowed = [*where, a.workstream_id.in_(workstreams), a.question_id.in_(questions)]
        rows = latest_per_person(periods, a.workstream_id, a.question_id, where=narrowed)
        columns = (rows.c.workstream_id, rows.c.question_id, rows.c.bucket, rows.c.value)
        return select(*columns, func.count()).where(counted_once(rows)).group_by(*columns)

    counted = counted_with_fallback(session, plain, windowed)
    for ws, qid, index, value, n in counted:
        if index is not None:
            question = out[ws][int(index) + offset].questions.setdefault(qid, QuestionTally())
            question.choices[str(value)] += int(n)


def count_comments(
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
    rows = latest_per_person(periods, a.workstream_id, where=where)
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
        .where(counted_once(rows))
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
