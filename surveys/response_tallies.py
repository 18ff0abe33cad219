"""Counts from the delivery ledger: response rates in people, the people behind anonymous
answers and comments, and audience sizes.

A response rate is people who answered out of people asked (prompted at least once in the
period). Anonymous answers carry no pseudonym, so the number of people behind them comes from
the deliveries that answered (or commented on) each item: who answered which item, never what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from storage.tables import COMMENT_MARK, DeliveryStatus
from surveys.periods import Period
from surveys.tally_model import (
    ANSWERS,
    AUDIENCE,
    DELIVERIES,
    OCCURRENCES,
    PeriodTally,
    period_index,
    span,
)

ASKED = (  # a delivery in these states was put in front of its person
    DeliveryStatus.SENT,
    DeliveryStatus.REMINDED,
    DeliveryStatus.ANSWERED,
    DeliveryStatus.EXPIRED,
)


def count_response_rates(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    out: dict[str, list[PeriodTally]],
    offset: int,
) -> None:
    """Response rates in people: prompted at least once in the period, and of them, answered.

    Each person is one row per workstream and period first (were they asked, did they answer),
    then those rows are counted: two hash aggregates, where ``count(DISTINCT …)`` would sort
    every delivery of the periods."""
    d, o = DELIVERIES.c, OCCURRENCES.c
    bucket = period_index(o.local_date, periods).label("bucket")
    asked = case((d.status.in_([s.value for s in ASKED]), 1), else_=0)
    answered = case((d.status == DeliveryStatus.ANSWERED.value, 1), else_=0)
    per_person = (
        select(
            o.workstream_id,
            bucket,
            func.max(asked).label("asked"),
            func.max(answered).label("answered"),
        )
        .select_from(DELIVERIES.join(OCCURRENCES, o.id == d.occurrence_id))
        .where(
            o.workstream_id.in_(workstream_ids),
            span(o.local_date, periods),
            o.action_id.is_(None),  # announcements ask nothing
        )
        .group_by(o.workstream_id, bucket, d.person_id)
        .subquery()
    )
    p = per_person.c
    stmt = select(p.workstream_id, p.bucket, func.sum(p.asked), func.sum(p.answered)).group_by(
        p.workstream_id, p.bucket
    )
    for ws, index, people_asked, people_answered in session.execute(stmt):
        if index is None:
            continue
        target = out[ws][int(index) + offset]
        target.asked += int(people_asked or 0)
        target.responded += int(people_answered or 0)


def count_people_from_ledger(
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
        span(a.answered_on, periods),
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
            span(o.local_date, periods),
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
