"""Recording an answer: checked against the question, stored once, changeable while open.

``confidential`` answers carry a pseudonymous respondent key, so the person can change them and
see their own trend. ``anonymous`` answers carry nothing; the delivery only remembers which items
were answered, so a second click is ignored and nobody is reminded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.events import AnswerGiven, CommentGiven
from bot.messages import Prompt
from bot.ports import MessageRef
from storage.tables import (
    OPEN_STATUSES,
    Answer,
    Delivery,
    DeliveryStatus,
    Occurrence,
    PersonRecord,
    QuestionRecord,
)
from surveys import sentiment
from surveys.choices import MAX_TEXT, InvalidAnswer, check
from surveys.prompts import render_prompt

if TYPE_CHECKING:
    from bot.app import LearnPulse

ANSWERABLE = (*OPEN_STATUSES, DeliveryStatus.ANSWERED)


@dataclass(frozen=True)
class AnswerOutcome:
    """What happened, what to tell the person, and the prompt to re-render in place."""

    accepted: bool
    message: str | None
    prompt: Prompt | None
    ref: MessageRef | None


def _refused(message: str) -> AnswerOutcome:
    return AnswerOutcome(False, message, None, None)


def record(core: LearnPulse, event: AnswerGiven | CommentGiven) -> AnswerOutcome:
    """Store an answer or a comment from ``event.person`` for one item of a delivery."""
    try:
        return _record(core, event)
    except IntegrityError:  # a concurrent identical click won the insert: read its result
        return _record(core, event)


def _record(core: LearnPulse, event: AnswerGiven | CommentGiven) -> AnswerOutcome:
    with core.session() as session:
        # One read for the delivery, its person and occurrence; the delivery row is locked
        # (PostgreSQL) so concurrent clicks on one prompt queue up.
        found = session.exec(
            select(Delivery, PersonRecord, Occurrence)
            .join(PersonRecord, col(PersonRecord.id) == Delivery.person_id)
            .join(Occurrence, col(Occurrence.id) == Delivery.occurrence_id)
            .where(Delivery.id == event.delivery_id)
            .with_for_update(of=Delivery)
        ).first()
        if found is None or found[1].ref != event.person:
            return _refused("That question isn't one I asked you, so nothing was recorded.")
        delivery, person, occurrence = found
        question = next(
            (q for q in core.catalog.questions_of(occurrence) if q.id == event.question_id), None
        )
        if question is None:
            return _refused("That question isn't part of this prompt, so nothing was recorded.")
        ref = (
            MessageRef(delivery.conversation, delivery.message_id)
            if delivery.conversation and delivery.message_id
            else None
        )
        now = core.clock.now()
        if delivery.status not in ANSWERABLE or now >= delivery.expires_at:
            prompt = render_prompt(session, core, delivery, person=person, occurrence=occurrence)
            return AnswerOutcome(
                False,
                f"Sorry, this question closed on {prompt.closes}; answers are no longer accepted.",
                prompt,
                ref,
            )
        try:
            if isinstance(event, AnswerGiven):
                message = _answer(core, session, delivery, occurrence, question, person.ref, event)
            else:
                message = _comment(
                    core, session, delivery, occurrence, question, person.ref, event.comment
                )
        except InvalidAnswer as exc:
            return _refused(str(exc))
        session.flush()
        prompt = render_prompt(session, core, delivery, person=person, occurrence=occurrence)
    return AnswerOutcome(True, message, prompt, ref)


def _answer(
    core: LearnPulse,
    session: Session,
    delivery: Delivery,
    occurrence: Occurrence,
    question: QuestionRecord,
    person: str,
    event: AnswerGiven,
) -> str | None:
    value, score = check(question.kind, event.value, question.options)
    comment = _clean_comment(event.comment)
    anonymous = core.require_program().anonymity.mode == "anonymous"
    answered = list(delivery.answered_items or [])
    if anonymous:
        if question.id in answered:
            return "Your anonymous answer is already recorded; anonymous answers cannot be changed."
        session.add(
            _new_answer(core, session, occurrence, question, None, value, score, comment, person)
        )
    else:
        key = core.vault.respondent_key(person)
        existing = _own_answer(session, occurrence, question, key)
        if existing is None:
            session.add(
                _new_answer(core, session, occurrence, question, key, value, score, comment, person)
            )
        else:
            if existing.value == value and comment is None:
                return None  # the same click twice: one answer
            existing.value, existing.score = value, score
            if comment is not None:
                existing.comment, existing.sentiment = (
                    core.vault.encrypt(comment),
                    sentiment.polarity(comment),
                )
            session.add(existing)
    _mark_answered(session, delivery, question.id, answered)
    core.metrics.answers.inc()
    return None


def _comment(
    core: LearnPulse,
    session: Session,
    delivery: Delivery,
    occurrence: Occurrence,
    question: QuestionRecord,
    person: str,
    text: str,
) -> str | None:
    comment = _clean_comment(text)
    if comment is None:
        raise InvalidAnswer("The comment is empty.")
    anonymous = core.require_program().anonymity.mode == "anonymous"
    if anonymous:
        # Nothing links the earlier answer to this person, so the comment stands on its own.
        session.add(
            _new_answer(core, session, occurrence, question, None, "", None, comment, person)
        )
        return "Thanks, your comment is recorded anonymously."
    key = core.vault.respondent_key(person)
    existing = _own_answer(session, occurrence, question, key)
    if existing is None:
        raise InvalidAnswer("Answer the question first, then add a comment.")
    existing.comment, existing.sentiment = core.vault.encrypt(comment), sentiment.polarity(comment)
    session.add(existing)
    return "Thanks, your comment is recorded."


def _own_answer(
    session: Session, occurrence: Occurrence, question: QuestionRecord, key: str
) -> Answer | None:
    return session.exec(
        select(Answer).where(
            Answer.occurrence_id == occurrence.id,
            Answer.question_id == question.id,
            Answer.respondent_key == key,
        )
    ).first()


def _new_answer(
    core: LearnPulse,
    session: Session,
    occurrence: Occurrence,
    question: QuestionRecord,
    key: str | None,
    value: str,
    score: float | None,
    comment: str | None,
    person: str,
) -> Answer:
    assert occurrence.id is not None
    return Answer(
        occurrence_id=occurrence.id,
        question_id=question.id,
        workstream_id=occurrence.workstream_id,
        respondent_key=key,
        value=value,
        score=score,
        comment=core.vault.encrypt(comment) if comment else None,
        sentiment=sentiment.polarity(comment) if comment else None,
        in_pilot=_in_pilot(core, occurrence.workstream_id, person),
        answered_on=occurrence.local_date,  # the period asked, not the minute answered
    )


def _in_pilot(core: LearnPulse, workstream_id: str, person: str) -> bool:
    workstream = core.require_program().workstream(workstream_id)
    return workstream is not None and person in workstream.pilot


def _mark_answered(
    session: Session, delivery: Delivery, question_id: str, answered: list[str]
) -> None:
    if question_id not in answered:
        delivery.answered_items = [*answered, question_id]
    delivery.status = DeliveryStatus.ANSWERED
    session.add(delivery)


def _clean_comment(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidAnswer(f"Keep the comment under {MAX_TEXT} characters.")
    return text
