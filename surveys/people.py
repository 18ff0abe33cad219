"""People as the bot knows them: first contact, profile refresh, snooze and the welcome note."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.events import PersonSeen
from bot.messages import Report, Section
from storage.tables import PersonRecord
from surveys.context import Records

MAX_SNOOZE_DAYS = 90


def get_or_create(session: Session, ref: str) -> tuple[PersonRecord, bool]:
    """The person row for ``ref``, creating it on first sight; True when it was created."""
    person = session.exec(select(PersonRecord).where(PersonRecord.ref == ref)).first()
    if person is not None:
        return person, False
    person = PersonRecord(ref=ref)
    session.add(person)
    session.flush()
    return person, True


def seen(core: Records, event: PersonSeen) -> bool:
    """Record what the platform says about a person; True on first contact (welcome them once)."""
    now = core.clock.now()
    with core.session() as session:
        person, _ = get_or_create(session, event.person)
        if event.timezone:
            person.timezone = event.timezone
        if event.display_name:
            person.display_name = event.display_name
        person.is_bot = event.is_bot
        person.active = event.active
        person.profile_refreshed_at = now
        first = person.welcomed_at is None and event.welcome and not event.is_bot
        if first:
            person.welcomed_at = now
        session.add(person)
    return first


def snooze(core: Records, ref: str, days: int) -> str:
    """Pause (days > 0) or resume (days == 0) a person's prompts; returns the reply."""
    if days < 0 or days > MAX_SNOOZE_DAYS:
        return f"Snooze for 1 to {MAX_SNOOZE_DAYS} days, or resume with 0."
    now = core.clock.now()
    with core.session() as session:
        person, _ = get_or_create(session, ref)
        person.snoozed_until = now + timedelta(days=days) if days else None
        session.add(person)
    if days == 0:
        return "Welcome back: your prompts are on again."
    plural = "s" if days != 1 else ""
    until = _day(now + timedelta(days=days))
    return f"Paused: no prompts for {days} day{plural} (until {until}). /learning-resume undoes it."


def snoozed_until(session: Session, ref: str, now: datetime) -> datetime | None:
    person = session.exec(select(PersonRecord).where(PersonRecord.ref == ref)).first()
    if person is None or person.snoozed_until is None or person.snoozed_until <= now:
        return None
    return person.snoozed_until


def welcome(core: Records) -> Report:
    """What the bot asks, when, and who sees what: the first message a person gets."""
    program = core.require_program()
    threshold = program.anonymity.min_responses
    privacy = (
        "Your answers are stored without your name (a pseudonym only you can be matched to), "
        if program.anonymity.mode == "confidential"
        else "Your answers are stored with no link to you at all, "
    )
    return Report(
        title=f"Hi! I'm LearnPulse, the feedback loop of {program.program}",
        summary=(
            "A few times a week I'll ask you a short question about learning at work, at "
            f"{program.working_hours[0]}-{program.working_hours[1]} your time on working days, "
            f"never more than {program.max_prompts_per_week} a week. One click answers."
        ),
        sections=(
            Section(
                "Who sees what",
                (
                    privacy + "and leads only ever see totals for groups of at least "
                    f"{threshold} people. Comments are shown without names.",
                ),
            ),
            Section(
                "Your controls",
                (
                    "/learning-pause [days] and /learning-resume, "
                    "/learning-mydata export or erase, /learning-help.",
                ),
            ),
        ),
    )


def _day(moment: datetime) -> str:
    return moment.strftime("%a %d %b")
