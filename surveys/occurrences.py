"""Occurrences: which askings exist, and planning their deliveries for each person.

Occurrences are keyed ``<schedule>@<local date>``, so creating one twice is a no-op; planning
inserts one pending delivery per person with that person's own local due time, window and
reminder point, computed once per time zone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.tables import AuditEntry, Delivery, DeliveryStatus, Occurrence, table_of
from surveys import audience
from surveys.banks import OUTCOMES, SELF_ASSESSMENT
from surveys.cadence import Timing, WorkCalendar, scheduled_dates, timing_for, window_from
from surveys.context import Reaching
from surveys.ledger.plan import member_time_zones, plan_for_members
from surveys.program import Program, Schedule

ALREADY_OPEN_REASON = "already has this question open"
COMING_SOON = timedelta(hours=12)  # a scheduled prompt this close counts as already asked
PLAN_HORIZON_DAYS = 7  # far enough ahead to reserve the week's budget for key measures
LOOKBACK_DAYS = 14  # far enough back for an asking moved past holidays and a weekend
KEY_MEASURE, BANK, OTHER = 0, 1, 2


@dataclass(frozen=True)
class Asking:
    """Something the program asks on a schedule: one question, or a whole bank at once."""

    key: str
    workstream_id: str
    question_id: str | None
    bank: str | None
    schedule: Schedule
    priority: int


def askings(program: Program) -> list[Asking]:
    """Every scheduled asking of the program, key measures first."""
    out: list[Asking] = []
    for ws in program.workstreams:
        for q in ws.questions:
            priority = KEY_MEASURE if q.key_measure else OTHER
            out.append(Asking(q.id, ws.id, q.id, None, q.schedule, priority))
    for bank, schedule in (
        (SELF_ASSESSMENT, program.self_assessment),
        (OUTCOMES, program.outcomes),
    ):
        if schedule is not None:
            out.append(Asking(bank, bank, None, bank, schedule, BANK))
    return sorted(out, key=lambda a: a.priority)


def _ensure_occurrence(
    session: Session, asking: Asking, key: str, day: date, now: datetime, manual: bool
) -> Occurrence:
    existing = session.exec(select(Occurrence).where(Occurrence.key == key)).first()
    if existing is not None:
        return existing
    occurrence = Occurrence(
        key=key,
        workstream_id=asking.workstream_id,
        question_id=asking.question_id,
        bank=asking.bank,
        cadence=asking.schedule.cadence,
        local_date=day,
        manual=manual,
        created_at=now,
    )
    session.add(occurrence)
    try:
        session.flush()
    except IntegrityError:  # another process created it first
        session.rollback()
        found = session.exec(select(Occurrence).where(Occurrence.key == key)).one()
        return found
    return occurrence


def plan_occurrence(
    core: Reaching, occurrence: Occurrence, asking: Asking, timing_of: TimingRule
) -> int:
    """Insert a pending delivery for every current member; returns how many were new."""
    program = core.require_program()
    assert occurrence.id is not None
    zones = member_time_zones(core.engine, asking.workstream_id)
    timings = {zone: timing_of(WorkCalendar.for_person(program, zone)) for zone in zones}
    inserted = plan_for_members(
        core.engine, occurrence.id, asking.workstream_id, asking.priority, timings
    )

    with core.session() as session:
        row = session.get(Occurrence, occurrence.id)
        if row is not None and not row.planned:
            row.planned = True
            session.add(row)
    return inserted


class TimingRule:
    """How a person's timing is derived: from a schedule and date, or from "now"."""

    def __init__(self, schedule: Schedule, scheduled: date | None, now: datetime) -> None:
        self.schedule, self.scheduled, self.now = schedule, scheduled, now

    def __call__(self, work: WorkCalendar) -> Timing | None:
        if self.scheduled is None:
            return window_from(self.now, self.schedule.cadence, work)
        return timing_for(self.schedule, self.scheduled, work)


def plan_scheduled(core: Reaching, now: datetime, replan: bool = False) -> int:
    """Create the occurrences of the next days and plan those not planned yet.

    It also looks back ``LOOKBACK_DAYS`` for askings moved past holidays and a weekend: the
    monthly 25th on a Christmas Friday is asked on Monday 28, and a first start, a restart or a
    program change on that Monday must still see it."""
    program = core.require_program()
    today = now.date()
    first, last = today - timedelta(days=LOOKBACK_DAYS), today + timedelta(days=PLAN_HORIZON_DAYS)
    inserted = 0
    with core.session() as session:
        planned = set(
            session.exec(
                select(Occurrence.key).where(
                    Occurrence.planned == True,  # noqa: E712
                    col(Occurrence.local_date) >= first,
                    col(Occurrence.local_date) <= last,
                )
            ).all()
        )
    for asking in askings(program):
        for day in scheduled_dates(asking.schedule, first, last):
            key = f"{asking.key}@{day.isoformat()}"
            if key in planned and not replan:
                continue  # the common case on every tick: nothing to do, no query
            if day < today - timedelta(days=1) and not _moved_here(core, asking, day, today):
                continue
            with core.session() as session:
                occurrence = _ensure_occurrence(session, asking, key, day, now, manual=False)
            inserted += plan_occurrence(
                core, occurrence, asking, TimingRule(asking.schedule, day, now)
            )
    return inserted


def _moved_here(core: Reaching, asking: Asking, day: date, today: date) -> bool:
    """Whether the asking scheduled on ``day`` is asked yesterday or later in any of its
    members' time zones (moved past non-working days), not on a day long gone."""
    program = core.require_program()
    zones = member_time_zones(core.engine, asking.workstream_id) or [None]
    for zone in zones:
        timing = timing_for(asking.schedule, day, WorkCalendar.for_person(program, zone))
        if timing is not None and timing.due_at.date() >= today - timedelta(days=1):
            return True
    return False


def find_asking(program: Program, workstream_id: str, item: str) -> Asking | None:
    """A workstream's asking of one question (or, for a bank, of its question set)."""
    for asking in askings(program):
        if asking.workstream_id == workstream_id and item in (asking.question_id, asking.bank):
            return asking
    return None


async def open_now(
    core: Reaching,
    workstream_id: str,
    question_id: str,
    actor: str,
    audience_ttl: timedelta | None = None,
) -> int:
    """Resolve the audience (unless resolved within ``audience_ttl``) and open an ad-hoc
    asking of one question; the occurrence id."""
    asking = find_asking(core.require_program(), workstream_id, question_id)
    if asking is None:
        raise LookupError(f"no question {question_id!r} in workstream {workstream_id!r}")
    banks = asking.bank is not None
    await audience.refresh(core, None if banks else [workstream_id], max_age=audience_ttl)
    occurrence_id, _planned, _already = await open_asking(core, asking, actor)
    return occurrence_id


async def open_asking(core: Reaching, asking: Asking, actor: str) -> tuple[int, int, int]:
    """Open an ad-hoc asking of one question now: (occurrence id, people planned, people left
    out because they already have this question open). Each person still gets it inside their
    own working hours, within the weekly budget, and the usual window applies."""
    return await asyncio.to_thread(_open_asking, core, asking, core.clock.now(), actor)


def _open_asking(core: Reaching, asking: Asking, now: datetime, actor: str) -> tuple[int, int, int]:
    program = core.require_program()
    day = now.astimezone(program.zone).date()
    with core.session() as session:
        occurrence = _ensure_occurrence(
            session, asking, f"{asking.key}@manual:{now.isoformat()}", day, now, True
        )
        session.add(AuditEntry(at=now, actor=actor, action="survey", detail=asking.key))
    planned = plan_occurrence(core, occurrence, asking, TimingRule(asking.schedule, None, now))
    assert occurrence.id is not None
    already = skip_already_open(core.engine, occurrence.id, asking, now)
    return occurrence.id, planned - already, already


def already_prompted(delivery: Any, now: datetime) -> ColumnElement[bool]:
    """A delivery that is out, or pending and due within ``COMING_SOON`` (waiting for its
    person's working hours, or scheduled for later today), not one planned for another day."""
    out = [DeliveryStatus.SENDING.value, DeliveryStatus.SENT.value, DeliveryStatus.REMINDED.value]
    return or_(
        delivery.status.in_(out),
        and_(
            delivery.status == DeliveryStatus.PENDING.value,
            delivery.due_at <= now + COMING_SOON,
        ),
    )


def skip_already_open(engine: Engine, occurrence_id: int, asking: Asking, now: datetime) -> int:
    """Settle, in one statement, the new asking's deliveries to people who still have another
    asking of the same question open: nobody is prompted twice for one question."""
    d = table_of(Delivery).c
    o = table_of(Occurrence).c
    earlier = table_of(Delivery).alias("earlier")
    same = (
        o.question_id == asking.question_id
        if asking.question_id is not None
        else o.bank == asking.bank
    )
    open_elsewhere = (
        select(earlier.c.person_id)
        .join(table_of(Occurrence), o.id == earlier.c.occurrence_id)
        .where(
            o.workstream_id == asking.workstream_id,
            same,
            earlier.c.occurrence_id != occurrence_id,
            earlier.c.expires_at > now,
            already_prompted(earlier.c, now),
        )
    )
    with engine.begin() as connection:
        result = connection.execute(
            update(table_of(Delivery))
            .where(
                d.occurrence_id == occurrence_id,
                d.status == DeliveryStatus.PENDING.value,
                d.person_id.in_(open_elsewhere),
            )
            .values(status=DeliveryStatus.SKIPPED.value, last_error=ALREADY_OPEN_REASON)
        )
    return int(result.rowcount or 0)
