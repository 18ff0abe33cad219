"""A few weeks of synthetic history for the playground, written through the real tables.

Audiences are resolved by the engine itself (``surveys.audience.refresh`` asks the local
adapter's directory), then every scheduled asking of the past weeks gets its occurrence, one
delivery per person (answered, or expired when the window has closed) and the answers: values
through ``surveys.choices.check``, pseudonymous respondent keys and encrypted comments from the
vault, sentiment from ``surveys.sentiment``. Occurrence keys are the engine's own
(``<asking>@<local date>``), so it never asks those days again.

A window still open when the playground starts leaves its non-responders ``pending``: the
engine's first tick sends them, as it would after a restart.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from adapters.local.synthetic import answer_value, maybe_comment, workstream_offset
from storage.tables import (
    Answer,
    AudienceMember,
    Delivery,
    DeliveryStatus,
    Occurrence,
    QuestionRecord,
)
from surveys import audience
from surveys.cadence import WorkCalendar, scheduled_dates, timing_for
from surveys.choices import check, choices_for, stored_value
from surveys.occurrences import Asking, askings
from surveys.sentiment import polarity

if TYPE_CHECKING:
    from bot.app import LearnPulse

HISTORY_WEEKS = 6
DAILY_HISTORY_DAYS = 10
RESPONSE_RATE = 0.8


@dataclass
class SeedReport:
    occurrences: int = 0
    deliveries: int = 0
    answers: int = 0
    pending: int = 0


async def seed_history(
    core: LearnPulse, weeks: int = HISTORY_WEEKS, seed: int = 20261130
) -> SeedReport:
    """Resolve audiences through the adapters, then write ``weeks`` of answered history."""
    await audience.refresh(core)
    return await asyncio.to_thread(_seed, core, weeks, random.Random(seed))


@cache
def _polarity(text: str) -> float:
    return polarity(text)


def _seed(core: LearnPulse, weeks: int, rng: random.Random) -> SeedReport:
    program = core.require_program()
    now = core.clock.now()
    today = now.astimezone(program.zone).date()
    first = today - timedelta(weeks=weeks)
    report = SeedReport()
    with core.session() as session:
        for asking in askings(program):
            start = (
                today - timedelta(days=DAILY_HISTORY_DAYS)
                if asking.schedule.cadence == "daily"
                else first
            )
            for day in scheduled_dates(asking.schedule, start, today - timedelta(days=1)):
                level = (day - first).days / max(1, (today - first).days)
                _seed_occurrence(core, session, asking, day, now, level, rng, report)
    return report


def _seed_occurrence(
    core: LearnPulse,
    session: Session,
    asking: Asking,
    day: date,
    now: datetime,
    level: float,
    rng: random.Random,
    report: SeedReport,
) -> None:
    program = core.require_program()
    members = audience.members_of(session, asking.workstream_id)
    if not members:
        return
    questions = _questions(session, asking)
    pilot = {
        row.person_id
        for row in session.exec(
            select(AudienceMember).where(
                AudienceMember.workstream_id == asking.workstream_id,
                AudienceMember.in_pilot == True,  # noqa: E712
            )
        ).all()
    }
    occurrence = Occurrence(
        key=f"{asking.key}@{day.isoformat()}",
        workstream_id=asking.workstream_id,
        question_id=asking.question_id,
        bank=asking.bank,
        cadence=asking.schedule.cadence,
        local_date=day,
        planned=True,
        created_at=now,
    )
    session.add(occurrence)
    session.flush()
    assert occurrence.id is not None
    report.occurrences += 1
    order = list(members)
    rng.shuffle(order)
    sure = min(len(order), program.anonymity.min_responses + 1)
    offset = workstream_offset(asking.workstream_id)
    anonymous = program.anonymity.mode == "anonymous"
    for position, (person_id, ref, timezone) in enumerate(order):
        timing = timing_for(asking.schedule, day, WorkCalendar.for_person(program, timezone))
        if timing is None or timing.due_at >= now:
            continue
        answers = position < sure or rng.random() < RESPONSE_RATE
        window_open = timing.expires_at > now
        delivery = Delivery(
            occurrence_id=occurrence.id,
            person_id=person_id,
            priority=asking.priority,
            due_at=timing.due_at,
            remind_at=timing.remind_at,
            expires_at=timing.expires_at,
            next_attempt_at=timing.due_at,
        )
        report.deliveries += 1
        if not answers and window_open:
            session.add(delivery)  # pending: the first tick sends it, as after a restart
            report.pending += 1
            continue
        delivery.attempts = 1
        delivery.sent_at = timing.due_at
        if answers:
            delivery.status = DeliveryStatus.ANSWERED
            delivery.answered_items = [q.id for q in questions]
        else:
            delivery.status = DeliveryStatus.EXPIRED
            delivery.reminded_at = timing.remind_at
            delivery.closed_at = timing.expires_at
        session.add(delivery)
        if not answers:
            continue
        key = None if anonymous else core.vault.respondent_key(ref)
        for question in questions:
            session.add(
                _answer(
                    core, occurrence, question, key, person_id in pilot, day, level + offset, rng
                )
            )
            report.answers += 1


def _questions(session: Session, asking: Asking) -> list[QuestionRecord]:
    if asking.question_id is not None:
        question = session.get(QuestionRecord, asking.question_id)
        return [question] if question is not None else []
    return list(
        session.exec(
            select(QuestionRecord)
            .where(QuestionRecord.bank == asking.bank, QuestionRecord.retired == False)  # noqa: E712
            .order_by(col(QuestionRecord.position))
        ).all()
    )


def _answer(
    core: LearnPulse,
    occurrence: Occurrence,
    question: QuestionRecord,
    key: str | None,
    in_pilot: bool,
    day: date,
    level: float,
    rng: random.Random,
) -> Answer:
    offered = [c.value for c in choices_for(question.kind, question.options)]
    raw = answer_value(question.kind, offered, rng, level)
    value, score = check(question.kind, raw, question.options)
    comment = maybe_comment(rng, level) if question.comment == "optional" else None
    assert occurrence.id is not None
    return Answer(
        occurrence_id=occurrence.id,
        question_id=question.id,
        workstream_id=occurrence.workstream_id,
        respondent_key=key,
        value=stored_value(core.vault, question.kind, value),
        score=score,
        comment=core.vault.encrypt(comment) if comment else None,
        sentiment=_polarity(comment) if comment else None,
        in_pilot=in_pilot,
        answered_on=day,
    )
