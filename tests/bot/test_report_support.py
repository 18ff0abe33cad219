"""Shared helpers for the reporting tests: rows written straight into the tables, and an
in-memory chat adapter that records what it was asked to post (posting is platform-neutral)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count

from bot.app import LearnPulse
from bot.messages import Prompt, Report
from bot.ports import Member, MessageRef, PermanentSendError
from storage.tables import Answer, AudienceMember, Delivery, Occurrence, PersonRecord
from surveys.choices import stored_value

_serial = count(1)


@dataclass
class RecordingAdapter:
    """A ``ChatAdapter`` that keeps every post in memory; ``fail_with`` makes posts fail."""

    platform: str = "slack"
    channel_posts: list[tuple[str, Report]] = field(default_factory=list)
    person_posts: list[tuple[str, Report]] = field(default_factory=list)
    files: list[tuple[str, str, bytes, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        return MessageRef(person, str(next(_serial)))

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        return None

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        return None

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        self.person_posts.append((person, message))
        return MessageRef(person, str(next(_serial)))

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        if self.fail_with is not None:
            raise self.fail_with
        self.channel_posts.append((channel, message))
        return MessageRef(channel, str(next(_serial)))

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        self.files.append((person, filename, content, comment))

    async def members(self, audience: str) -> list[Member]:
        return []


def recording(core: LearnPulse, platform: str = "slack") -> RecordingAdapter:
    adapter = RecordingAdapter(platform=platform)
    core.adapters.register(adapter)
    return adapter


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


def permanent_failure() -> Exception:
    return PermanentSendError("channel_not_found")


def text_of(report: Report) -> str:
    """Everything a reader of the report sees, as one string."""
    parts = [report.title, report.summary or ""]
    for section in report.sections:
        parts.append(section.heading)
        parts.extend(section.lines)
        parts.extend(f"{k}: {v}" for k, v in section.fields)
    return "\n".join(parts)
