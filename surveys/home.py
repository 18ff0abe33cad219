"""A person's home view: their open questions, snooze state, and private trend."""

from __future__ import annotations

from sqlmodel import col, select

from bot.messages import Choice, Report, Section
from storage.tables import OPEN_STATUSES, Delivery, Occurrence, PersonRecord, WorkstreamRecord
from surveys.cadence import WorkCalendar
from surveys.context import Reporting
from surveys.trend import own_trend_section


def home_view(core: Reporting, person: str) -> Report:
    """What App Home (or its equivalent) shows one person; only their own data."""
    program = core.require_program()
    now = core.clock.now()
    sections: list[Section] = []
    with core.reading() as session:
        record = session.exec(select(PersonRecord).where(PersonRecord.ref == person)).first()
        open_lines: list[str] = []
        if record is not None:
            work = WorkCalendar.for_person(program, record.timezone)
            rows = session.exec(
                select(Delivery, Occurrence, WorkstreamRecord)
                .join(Occurrence, col(Occurrence.id) == col(Delivery.occurrence_id))
                .join(WorkstreamRecord, col(WorkstreamRecord.id) == col(Occurrence.workstream_id))
                .where(
                    Delivery.person_id == record.id,
                    col(Delivery.status).in_([s.value for s in OPEN_STATUSES]),
                )
                .where(Delivery.expires_at > now)
                .order_by(col(Delivery.expires_at))
            ).all()
            for delivery, _occurrence, workstream in rows:
                closes = delivery.expires_at.astimezone(work.zone).strftime("%a %d %b, %H:%M")
                open_lines.append(f"{workstream.name}: open until {closes}")
        sections.append(
            Section("Open questions", tuple(open_lines) or ("Nothing waiting for you right now.",))
        )
        snoozed = record.snoozed_until if record is not None else None
        if snoozed is not None and snoozed > now:
            state = f"Paused until {snoozed.strftime('%a %d %b')}. Resume any time."
        else:
            state = "Prompts are on."
        sections.append(Section("Snooze", (state,)))
    # Outside the session: the trend opens its own, and on SQLite a second write transaction
    # would wait for this one until the busy timeout.
    sections.append(own_trend_section(core, person))
    actions = (
        (Choice("resume", "Resume prompts"),)
        if snoozed is not None and snoozed > now
        else (
            Choice("snooze:1", "Pause 1 day"),
            Choice("snooze:7", "Pause 1 week"),
        )
    )
    led = [w for w in program.workstreams if w.lead == person]
    previews = tuple(
        Choice(f"/learning-digest {w.id} preview", f"Preview the {w.id} digest") for w in led
    )
    return Report(title="Your LearnPulse", sections=tuple(sections), actions=(*actions, *previews))
