"""Asking a question now (``/learning-survey``): a preview first, then one question, safely.

``/learning-survey <workstream>`` sends nothing: it shows each question, when it was last asked,
and how many people it would prompt now, with a button per question. ``/learning-survey
<workstream> <question>`` asks that one question. A replayed or double-typed command never
prompts a company twice: while an ad-hoc asking of the question is still open, a new one opens
nothing and says so. People who already have the question open (from the schedule) are not
asked again, and the weekly prompt budget holds as for scheduled askings; the reply says how
many were held back and why.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select

from bot.messages import Choice, Report, Section
from storage.tables import (
    AudienceMember,
    Delivery,
    DeliveryStatus,
    Occurrence,
    PersonRecord,
    table_of,
)
from surveys import audience
from surveys.cadence import WorkCalendar, week_bounds
from surveys.context import Reaching, Records
from surveys.ledger.budget import weekly_usage
from surveys.occurrences import (
    ALREADY_OPEN_REASON,
    KEY_MEASURE,
    Asking,
    already_prompted,
    askings,
)

BUDGET_REASON = "weekly prompt budget reached"


@dataclass(frozen=True)
class QuestionPreview:
    """One question as the picker shows it."""

    asking: Asking
    ask: str
    last_asked: date | None
    will_prompt: int
    already_open: int
    over_budget: int
    away: int  # snoozed or opted out


@dataclass(frozen=True)
class StillOpen:
    """An ad-hoc asking of the question that has not closed yet."""

    asked_at: datetime
    closes: datetime
    answered: int
    asked: int


@dataclass(frozen=True)
class Asked:
    """What an ad-hoc asking did, counted by the ledger after the first sending run."""

    occurrence_id: int
    planned: int
    already_open: int
    outcomes: dict[str, int]  # "sent", "held back: <reason>", "waiting for working hours" …


def _ask_text(core: Reaching, asking: Asking) -> str:
    if asking.question_id is None:
        return f"The {asking.bank} question set"
    question = core.catalog.questions.get(asking.question_id)
    return question.ask if question is not None else asking.question_id


def _open_for(now: datetime, question: Asking) -> list[ColumnElement[bool]]:
    d, o = table_of(Delivery).c, table_of(Occurrence).c
    same = (
        o.question_id == question.question_id
        if question.question_id is not None
        else o.bank == question.bank
    )
    return [
        o.workstream_id == question.workstream_id,
        same,
        d.expires_at > now,
        already_prompted(d, now),
    ]


async def preview(core: Reaching, workstream_id: str) -> list[QuestionPreview]:
    """Each question of the workstream, when it was last asked, and whom asking it would reach."""
    program = core.require_program()
    chosen = [a for a in askings(program) if a.workstream_id == workstream_id]
    if not await asyncio.to_thread(_has_members, core, workstream_id):
        await audience.refresh(
            core, None if workstream_id not in _workstreams(core) else [workstream_id]
        )
    return await asyncio.to_thread(_preview, core, chosen)


def _workstreams(core: Reaching) -> set[str]:
    return {w.id for w in core.require_program().workstreams}


def _has_members(core: Reaching, workstream_id: str) -> bool:
    m = table_of(AudienceMember).c
    with core.reading() as session:
        return (
            session.execute(
                select(m.person_id).where(m.workstream_id == workstream_id).limit(1)
            ).first()
            is not None
        )


def _preview(core: Reaching, chosen: list[Asking]) -> list[QuestionPreview]:
    if not chosen:
        return []
    now = core.clock.now()
    program = core.require_program()
    workstream_id = chosen[0].workstream_id
    d, o = table_of(Delivery).c, table_of(Occurrence).c
    m, p = table_of(AudienceMember).c, table_of(PersonRecord).c
    with core.reading() as session:
        members = session.execute(
            select(p.id, p.timezone, p.opted_out, p.snoozed_until)
            .join(table_of(AudienceMember), m.person_id == p.id)
            .where(m.workstream_id == workstream_id, p.active, ~p.is_bot)
        ).all()
        today = now.astimezone(program.zone).date()
        last = dict(
            session.execute(
                select(func.coalesce(o.question_id, o.bank), func.max(o.local_date))
                .where(o.workstream_id == workstream_id, o.planned, o.local_date <= today)
                .group_by(func.coalesce(o.question_id, o.bank))
            ).all()
        )
        open_people = {
            asking.key: set(
                session.execute(
                    select(d.person_id)
                    .join(table_of(Occurrence), o.id == d.occurrence_id)
                    .where(*_open_for(now, asking))
                ).scalars()
            )
            for asking in chosen
        }
    away = {pid for pid, _tz, out, snoozed in members if out or (snoozed and snoozed > now)}
    reachable = [(pid, tz) for pid, tz, *_ in members if pid not in away]
    weeks = {
        pid: week_bounds(now, WorkCalendar.for_person(program, tz).zone) for pid, tz in reachable
    }
    usage = weekly_usage(core.engine, list(weeks), weeks, now) if weeks else {}
    cap = program.max_prompts_per_week
    out: list[QuestionPreview] = []
    for asking in chosen:
        already = open_people[asking.key]
        fresh = [pid for pid, _ in reachable if pid not in already]
        over = 0
        for pid in fresh:
            used, reserved = usage.get(pid, (0, 0))
            if used >= cap or (asking.priority != KEY_MEASURE and used + reserved >= cap):
                over += 1
        out.append(
            QuestionPreview(
                asking,
                _ask_text(core, asking),
                last.get(asking.question_id or asking.bank),
                len(fresh) - over,
                len([pid for pid, _ in reachable if pid in already]),
                over,
                len(away),
            )
        )
    return out


def picker(core: Reaching, workstream_id: str, previews: list[QuestionPreview]) -> Report:
    """The preview as a message with one button per question; nothing is sent from here."""
    program = core.require_program()
    workstream = program.workstream(workstream_id)
    name = workstream.name if workstream is not None else workstream_id
    sections = []
    for one in previews:
        last = (
            f"last asked {one.last_asked:%a %d %b %Y}"
            if one.last_asked is not None
            else "never asked yet"
        )
        held = []
        if one.already_open:
            held.append(f"{one.already_open} already have it open or coming today")
        if one.over_budget:
            held.append(f"{one.over_budget} at their weekly limit")
        if one.away:
            held.append(f"{one.away} paused or opted out")
        reach = f"will prompt {one.will_prompt} people" + (f" ({'; '.join(held)})" if held else "")
        sections.append(Section(one.ask, (f"{last} · {reach}",)))
    actions = tuple(
        Choice(
            f"/learning-survey {workstream_id} {one.asking.question_id or one.asking.bank}",
            f"Ask {one.asking.question_id or one.asking.bank} now",
        )
        for one in previews
    )
    return Report(
        title=f"Ask {name} now?",
        summary="Pick one question; nothing is sent until you do. People get it in their own "
        "working hours, within their weekly limit.",
        sections=tuple(sections),
        actions=actions,
    )


def still_open(core: Reaching, asking: Asking) -> StillOpen | None:
    """The latest ad-hoc asking of this question, if its window is still open for anyone."""
    now = core.clock.now()
    d, o = table_of(Delivery).c, table_of(Occurrence).c
    same = (
        o.question_id == asking.question_id
        if asking.question_id is not None
        else o.bank == asking.bank
    )
    settled = [
        DeliveryStatus.SKIPPED.value,
        DeliveryStatus.FAILED.value,
        DeliveryStatus.MISSED.value,
    ]
    with core.reading() as session:
        row = session.execute(
            select(o.id, o.created_at)
            .where(o.workstream_id == asking.workstream_id, same, o.manual)
            .order_by(o.created_at.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        closes = session.execute(
            select(func.max(d.expires_at)).where(
                d.occurrence_id == row.id, d.expires_at > now, d.status.not_in(settled)
            )
        ).scalar()
        if closes is None:
            return None
        statuses = dict(
            session.execute(
                select(d.status, func.count()).where(d.occurrence_id == row.id).group_by(d.status)
            ).all()
        )
    asked = sum(int(n) for status, n in statuses.items() if status not in settled)
    answered = int(statuses.get(DeliveryStatus.ANSWERED.value, 0))
    return StillOpen(row.created_at, closes, answered, asked)


def outcomes_of(core: Records, occurrence_id: int) -> dict[str, int]:
    """What became of an asking's deliveries so far, counted by outcome and reason."""
    d = table_of(Delivery).c
    with core.reading() as session:
        rows = session.execute(
            select(d.status, d.last_error, func.count())
            .where(d.occurrence_id == occurrence_id)
            .group_by(d.status, d.last_error)
        ).all()
    out: Counter[str] = Counter()
    for status, reason, count in rows:
        if status in (DeliveryStatus.SENT, DeliveryStatus.ANSWERED, DeliveryStatus.REMINDED):
            out["sent"] += int(count)
        elif status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            waiting = not reason or reason == "waiting for working hours"
            out["waiting for their working hours" if waiting else "to be retried"] += int(count)
        elif status in (DeliveryStatus.SKIPPED, DeliveryStatus.MISSED, DeliveryStatus.FAILED):
            out[f"held back: {reason or status}"] += int(count)
        else:
            out[str(status)] += int(count)
    return dict(out)


def describe(asked: Asked, name: str) -> str:
    """The reply to the admin: how many were prompted, and who was held back and why."""
    sent = asked.outcomes.get("sent", 0)
    parts = [f"Asked {name} now: {sent} prompt{'s' if sent != 1 else ''} sent"]
    waiting = {k: n for k, n in asked.outcomes.items() if k not in ("sent",)}
    for reason, count in sorted(waiting.items(), key=lambda item: -item[1]):
        if reason == f"held back: {ALREADY_OPEN_REASON}":
            continue
        parts.append(f"{count} {reason}")
    if asked.already_open:
        parts.append(f"{asked.already_open} not asked again (they have it open or coming today)")
    return "; ".join(parts) + ". People outside working hours get theirs when their day starts."
