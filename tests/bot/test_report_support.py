"""Shared helpers for the reporting tests: rows written straight into the tables, and the text
a reader sees of a report.

(A core that posts needs an adapter: ``tests.fakes.FakeChat`` when the test is about the core
alone, the real Slack or Teams adapter and its HTTP fake when it is about what gets posted.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from bot.app import LearnPulse
from bot.messages import Report
from storage.tables import Answer, AudienceMember, Delivery, Occurrence, PersonRecord
from surveys.choices import stored_value

_serial = count(1)


def occurrence(core: LearnPulse, workstream: str, question: str | None, day: date) -> int:
    with core.session() as session:
        row = Occurrence(
            key=f"test:{workstream}:{question}:{day}:{next(_serial)}",
            workstream_id=workstream,
            question_id=question,
            cadence="weekly",
            local_date=day,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def person(core: LearnPulse, ref: str) -> int:
    with core.session() as session:
        row = PersonRecord(ref=ref, display_name=f"Name of {ref}")
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def answers(
    core: LearnPulse,
    workstream: str,
    question: str,
    day: date,
    values: list[str],
    *,
    scores: list[float | None] | None = None,
    pilot: int = 0,
    comments: list[str | None] | None = None,
    sentiments: list[float | None] | None = None,
    people: list[str] | None = None,
) -> int:
    """One occurrence on ``day`` answered with ``values``; the first ``pilot`` are pilot."""
    occ = occurrence(core, workstream, question, day)
    people = people or [f"slack:U{next(_serial):09d}" for _ in values]
    kind = core.catalog.questions[question].kind
    with core.session() as session:
        for i, value in enumerate(values):
            comment = comments[i] if comments else None
            session.add(
                Answer(
                    occurrence_id=occ,
                    question_id=question,
                    workstream_id=workstream,
                    respondent_key=core.vault.respondent_key(people[i]),
                    value=stored_value(core.vault, kind, value),  # as the engine stores it
                    score=scores[i] if scores else (float(value) if value else None),
                    comment=core.vault.encrypt(comment) if comment else None,
                    sentiment=sentiments[i] if sentiments else None,
                    in_pilot=i < pilot,
                    answered_on=day,
                )
            )
    return occ


def deliveries(core: LearnPulse, occurrence_id: int, statuses: list[str]) -> list[int]:
    """One delivery per status, each to a new person; returns the person ids."""
    ids: list[int] = []
    due = datetime(2026, 11, 23, 15, tzinfo=UTC)
    for status in statuses:
        pid = person(core, f"slack:U{next(_serial):09d}")
        ids.append(pid)
        with core.session() as session:
            session.add(
                Delivery(
                    occurrence_id=occurrence_id,
                    person_id=pid,
                    status=status,
                    due_at=due,
                    expires_at=due + timedelta(days=3),
                    next_attempt_at=due,
                    last_error="channel_not_found" if status == "failed" else None,
                )
            )
    return ids


def audience(core: LearnPulse, workstream: str, size: int, pilot: int = 0) -> None:
    for i in range(size):
        pid = person(core, f"slack:U{next(_serial):09d}")
        with core.session() as session:
            session.add(AudienceMember(workstream_id=workstream, person_id=pid, in_pilot=i < pilot))


def text_of(report: Report) -> str:
    """Everything a reader of the report sees, as one string."""
    parts = [report.title, report.summary or ""]
    for section in report.sections:
        parts.append(section.heading)
        parts.extend(section.lines)
        parts.extend(f"{k}: {v}" for k, v in section.fields)
    return "\n".join(parts)
