"""A delivery as a neutral ``Prompt``: its items, choices, privacy note and current state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.messages import Prompt, PromptItem, PromptState
from storage.tables import Action, Answer, Delivery, DeliveryStatus, Occurrence, PersonRecord
from surveys import announcements
from surveys.actions import ActionView
from surveys.cadence import WorkCalendar
from surveys.choices import choices_for, label_of, readable_value, scale_ends
from surveys.context import Answering


def privacy_note(core: Answering) -> str:
    anonymity = core.require_program().anonymity
    who = (
        "anonymous: nothing links it to you"
        if anonymity.mode == "anonymous"
        else "confidential: stored without your name"
    )
    return (
        f"Your answer is {who}. Leads see totals only when at least {anonymity.min_responses} "
        "people answered; comments are shown without names."
    )


@dataclass(frozen=True)
class PromptSubject:
    """What a prompt is rendered from, however it was read."""

    delivery_id: int
    status: str
    expires_at: datetime
    answered_items: list[str]
    occurrence_id: int
    question_id: str | None
    bank: str | None
    workstream_id: str
    person: str
    timezone: str | None


@dataclass(frozen=True)
class Recorded:
    """One of the person's own answers, as far as the prompt needs to show it."""

    value: str
    has_comment: bool

    @classmethod
    def stored(cls, core: Answering, question_id: str, value: str, has_comment: bool) -> Recorded:
        """An answer as the database holds it (its value perhaps encrypted), made readable."""
        question = core.catalog.questions.get(question_id)
        kind = question.kind if question is not None else ""
        return cls(readable_value(core.vault, kind, value), has_comment)


def render_prompt(
    session: Session,
    core: Answering,
    delivery: Delivery,
    reminder: bool = False,
    *,
    person: PersonRecord | None = None,
    occurrence: Occurrence | None = None,
) -> Prompt:
    """The prompt for ``delivery`` as it should look now (pass the person and occurrence when
    they are already loaded)."""
    occurrence = occurrence or session.get(Occurrence, delivery.occurrence_id)
    person = person or session.get(PersonRecord, delivery.person_id)
    if occurrence is None or person is None or occurrence.id is None:
        raise LookupError(f"delivery {delivery.id} has no occurrence or person")
    if occurrence.action_id is not None:
        return _announcement(session, core, delivery, occurrence)
    subject = PromptSubject(
        delivery_id=int(delivery.id or 0),
        status=delivery.status,
        expires_at=delivery.expires_at,
        answered_items=list(delivery.answered_items or []),
        occurrence_id=occurrence.id,
        question_id=occurrence.question_id,
        bank=occurrence.bank,
        workstream_id=occurrence.workstream_id,
        person=person.ref,
        timezone=person.timezone,
    )
    recorded: dict[str, Recorded] = {}
    if core.require_program().anonymity.mode != "anonymous":
        key = core.vault.respondent_key(person.ref)
        for own in session.exec(
            select(Answer).where(
                Answer.occurrence_id == occurrence.id, Answer.respondent_key == key
            )
        ).all():
            recorded[own.question_id] = Recorded.stored(
                core, own.question_id, own.value, own.comment is not None
            )
    return build_prompt(core, subject, recorded, reminder)


def build_prompt(
    core: Answering,
    subject: PromptSubject,
    recorded: Mapping[str, Recorded],
    reminder: bool = False,
) -> Prompt:
    """The prompt for ``subject``, given the person's own recorded answers (none in anonymous
    mode, where only ``answered_items`` says what was answered)."""
    catalog = core.catalog
    questions = catalog.questions_for(subject.question_id, subject.bank)
    program = core.require_program()
    anonymous = program.anonymity.mode == "anonymous"
    now = core.clock.now()
    closed = (
        subject.status in (DeliveryStatus.EXPIRED, DeliveryStatus.MISSED)
        or now >= subject.expires_at
    )
    items = []
    for question in questions:
        statement = question.bank is not None
        answer = recorded.get(question.id)
        shown = None
        if answer is not None and answer.value:
            shown = label_of(question.kind, answer.value, question.options, statement)
        elif answer is not None or question.id in subject.answered_items:
            shown = "Answered"
        items.append(
            PromptItem(
                question_id=question.id,
                ask=question.ask,
                kind=question.kind,
                choices=choices_for(question.kind, question.options, statement),
                comment_invited=question.comment == "optional",
                recorded=shown,
                recorded_comment=bool(answer is not None and answer.has_comment),
                ends=scale_ends(question.kind),
            )
        )
    state = PromptState.CLOSED if closed else PromptState.OPEN
    if not closed and items and all(item.recorded for item in items):
        state = PromptState.ANSWERED
    work = WorkCalendar.for_person(program, subject.timezone)
    closes = subject.expires_at.astimezone(work.zone).strftime("%a %d %b, %H:%M")
    title = catalog.workstream_names.get(subject.workstream_id, subject.workstream_id)
    status_line = None
    if state is PromptState.CLOSED:
        status_line = f"This question closed on {closes}; answers are no longer accepted."
    elif state is PromptState.ANSWERED:
        status_line = "Thanks, your answer is recorded." + (
            "" if anonymous else " You can change it until the window closes."
        )
    return Prompt(
        delivery_id=subject.delivery_id,
        workstream=subject.workstream_id,
        title=title,
        items=tuple(items),
        privacy_note=privacy_note(core),
        closes=closes,
        state=state,
        can_change=not anonymous and not closed,
        is_reminder=reminder,
        status_line=status_line,
    )


def _announcement(
    session: Session, core: Answering, delivery: Delivery, occurrence: Occurrence
) -> Prompt:
    """An announcement ("you said, we did"): lines to read, nothing to answer or snooze."""
    row = session.get(Action, occurrence.action_id)
    if row is None:
        raise LookupError(f"delivery {delivery.id} announces an action that is gone")
    action = ActionView.of(row)
    workstream = core.require_program().workstream(action.workstream_id)
    return Prompt(
        delivery_id=int(delivery.id or 0),
        workstream=workstream.name if workstream is not None else action.workstream_id,
        title=announcements.TITLE,
        items=(),
        privacy_note="",
        closes="",
        state=PromptState.CLOSED,
        can_change=False,
        lines=announcements.message_lines(core, action, announcements.event_of(occurrence.key)),
    )
