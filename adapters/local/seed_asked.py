"""Who the seeded history asks, and the delivery row of each person asked.

Everyone each workstream (and bank) asks comes from the audiences the engine resolved, with
their working calendar; a delivery row is what the ledger would hold for that person after the
asking: answered, expired unanswered, or still pending when its window is open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from adapters.local.storyline import Subject
from storage.tables import AudienceMember, DeliveryStatus, PersonRecord, QuestionRecord
from surveys.cadence import Timing, WorkCalendar
from surveys.occurrences import Asking
from surveys.program import Program


@dataclass(frozen=True)
class Member:
    person_id: int
    ref: str
    work: WorkCalendar
    in_pilot: bool


def members_by_workstream(session: Session, program: Program) -> dict[str, list[Member]]:
    """Everyone each workstream (and bank) asks, with their calendar, in a stable order."""
    rows = session.execute(
        select(
            col(AudienceMember.workstream_id),
            col(AudienceMember.in_pilot),
            col(PersonRecord.id),
            col(PersonRecord.ref),
            col(PersonRecord.timezone),
        )
        .join(PersonRecord, col(PersonRecord.id) == AudienceMember.person_id)
        .order_by(col(PersonRecord.id))
    ).all()
    calendars: dict[str | None, WorkCalendar] = {}
    out: dict[str, list[Member]] = defaultdict(list)
    for workstream_id, in_pilot, person_id, ref, timezone in rows:
        if timezone not in calendars:
            calendars[timezone] = WorkCalendar.for_person(program, timezone)
        if person_id is not None:
            out[workstream_id].append(Member(person_id, ref, calendars[timezone], in_pilot))
    return out


def questions_of(session: Session, asking: Asking) -> list[QuestionRecord]:
    """The question an asking asks, or its bank's questions still in use, in order."""
    if asking.question_id is not None:
        question = session.get(QuestionRecord, asking.question_id)
        return [question] if question is not None else []
    return list(
        session.scalars(
            select(QuestionRecord)
            .where(col(QuestionRecord.bank) == asking.bank, col(QuestionRecord.retired).is_(False))
            .order_by(col(QuestionRecord.position))
        ).all()
    )


def subject_of(question: QuestionRecord) -> Subject:
    return Subject(
        question.id, question.kind, question.target, question.area, len(question.options or ())
    )


def delivery_row(
    occurrence_id: int,
    priority: int,
    member: Member,
    timing: Timing,
    moment: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The ledger row of one person asked: answered at ``moment``, else expired when its window
    closed before ``now``, else pending (the engine's first tick sends it)."""
    closed = timing.expires_at <= now
    reminded = timing.remind_at if timing.remind_at and timing.remind_at <= now else None
    row: dict[str, Any] = {
        "occurrence_id": occurrence_id,
        "person_id": member.person_id,
        "status": DeliveryStatus.PENDING.value,
        "priority": priority,
        "due_at": timing.due_at,
        "remind_at": timing.remind_at,
        "expires_at": timing.expires_at,
        "next_attempt_at": timing.due_at,
        "attempts": 0,
        "last_error": None,
        "claimed_at": None,
        "sent_at": None,
        "reminded_at": None,
        "closed_at": None,
        "conversation": None,
        "message_id": None,
        "answered_items": [],
    }
    if moment is not None:
        row |= {
            "status": DeliveryStatus.ANSWERED.value,
            "attempts": 1,
            "sent_at": timing.due_at,
            "reminded_at": reminded if reminded and reminded < moment else None,
            "closed_at": timing.expires_at if closed else None,
        }
    elif closed:
        row |= {
            "status": DeliveryStatus.EXPIRED.value,
            "attempts": 1,
            "sent_at": timing.due_at,
            "reminded_at": reminded,
            "closed_at": timing.expires_at,
        }
    return row
