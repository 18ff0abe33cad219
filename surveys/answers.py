"""Recording an answer: checked against the question, stored once, changeable while open.

``confidential`` answers carry a pseudonymous respondent key, so the person can change them and
see their own trend. ``anonymous`` answers carry nothing; the delivery only remembers which items
were answered (and commented on), so a second click is ignored, a second comment refused, and
nobody is reminded twice. Nothing stored ties an anonymous answer to its click either: it is
dated by the asking, its id is random (never in click order), its comment sealed without a time,
and it is written in a transaction of its own after the one that marks the delivery answered,
the group's answers shuffled, so that no transaction holds both the mark and the answer.

A click is on the hot path (every answer of every person), so this reads and writes with a few
plain statements, and clicks that arrive together share one transaction: one read for their
deliveries, people and occurrences, one for the people's own answers, then their writes, the
new answers and the answered deliveries each sent as one batch (``_GroupWrites``).
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.events import AnswerGiven, CommentGiven
from bot.logsafe import describe
from bot.messages import Prompt
from bot.ports import MessageRef
from storage.db import write_gate
from storage.tables import (
    COMMENT_MARK,
    OPEN_STATUSES,
    Answer,
    Delivery,
    DeliveryStatus,
    Occurrence,
    PersonRecord,
    QuestionRecord,
)
from surveys import sentiment
from surveys.choices import MAX_TEXT, InvalidAnswer, check, stored_value
from surveys.context import Answering
from surveys.prompts import PromptSubject, Recorded, build_prompt

ANSWERABLE = (*OPEN_STATUSES, DeliveryStatus.ANSWERED)
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
PEOPLE = PersonRecord.__table__  # type: ignore[attr-defined]
OCCURRENCES = Occurrence.__table__  # type: ignore[attr-defined]
ANSWERS = Answer.__table__  # type: ignore[attr-defined]
ANONYMOUS_COMMENT_ONCE = (
    "Your anonymous comment is already recorded; anonymous comments cannot be changed."
)
RANDOM_ID_RANGE = 2**62  # anonymous answers' ids: random, never in click order
NOT_YOURS = "That question isn't one I asked you, so nothing was recorded."
NOT_RECORDED = (
    "Sorry, that answer could not be recorded, so nothing changed. Please try again; "
    "if it keeps happening, tell your LearnPulse admin."
)

log = logging.getLogger("learnpulse.answers")

# Built once: a click runs these every time, and building a statement costs more than running it.
# A group of clicks is read with one statement for the deliveries and one for the answers.
_CLICKS = (
    select(
        DELIVERIES.c.id.label("delivery_id"),
        DELIVERIES.c.status,
        DELIVERIES.c.expires_at,
        DELIVERIES.c.answered_items,
        DELIVERIES.c.conversation,
        DELIVERIES.c.message_id,
        OCCURRENCES.c.id,
        OCCURRENCES.c.question_id,
        OCCURRENCES.c.bank,
        OCCURRENCES.c.workstream_id,
        OCCURRENCES.c.local_date,
        PEOPLE.c.ref,
        PEOPLE.c.timezone,
    )
    .select_from(
        DELIVERIES.join(PEOPLE, PEOPLE.c.id == DELIVERIES.c.person_id).join(
            OCCURRENCES, OCCURRENCES.c.id == DELIVERIES.c.occurrence_id
        )
    )
    .where(DELIVERIES.c.id.in_(bindparam("delivery_ids", expanding=True)))
    .order_by(DELIVERIES.c.id)  # PostgreSQL locks the rows in this order: no deadlocks
)
# PostgreSQL: clicks on one prompt from another process wait for this transaction.
_CLICKS_LOCKED = _CLICKS.with_for_update(of=DELIVERIES)
_OWN_ANSWERS = select(
    ANSWERS.c.id,
    ANSWERS.c.question_id,
    ANSWERS.c.value,
    ANSWERS.c.comment.is_not(None),
    ANSWERS.c.occurrence_id,
    ANSWERS.c.respondent_key,
).where(
    ANSWERS.c.occurrence_id.in_(bindparam("occurrence_ids", expanding=True)),
    ANSWERS.c.respondent_key.in_(bindparam("respondent_keys", expanding=True)),
)
_INSERT_ANSWER = insert(ANSWERS)
_ANSWER_ID = select(ANSWERS.c.id).where(  # the one answer uq_answer_once allows
    ANSWERS.c.occurrence_id == bindparam("occurrence_id"),
    ANSWERS.c.question_id == bindparam("question_id"),
    ANSWERS.c.respondent_key == bindparam("respondent_key"),
)
_CHANGE_ANSWER = (
    update(ANSWERS)
    .where(ANSWERS.c.id == bindparam("answer_id"))
    .values(value=bindparam("new_value"), score=bindparam("new_score"))
)
_SET_COMMENT = (
    update(ANSWERS)
    .where(ANSWERS.c.id == bindparam("answer_id"))
    .values(comment=bindparam("new_comment"), sentiment=bindparam("new_sentiment"))
)
_MARK_ANSWERED = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("delivery_id"))
    .values(status=DeliveryStatus.ANSWERED.value, answered_items=bindparam("items"))
)


@dataclass(frozen=True)
class AnswerOutcome:
    """What happened, what to tell the person, and the prompt to re-render in place."""

    accepted: bool
    message: str | None
    prompt: Prompt | None
    ref: MessageRef | None


@dataclass
class _Click:
    """Everything one click needs, read in one statement."""

    subject: PromptSubject
    local_date: date
    ref: MessageRef | None
    key: str | None  # respondent key (None in anonymous mode)
    # question id -> (answer id, what it shows); no id yet for an answer inserted in this group
    own: dict[str, tuple[int | None, Recorded]]

    @property
    def recorded(self) -> dict[str, Recorded]:
        return {q: shown for q, (_id, shown) in self.own.items()}


def _refused(message: str) -> AnswerOutcome:
    return AnswerOutcome(False, message, None, None)


def record(core: Answering, event: AnswerGiven | CommentGiven) -> AnswerOutcome:
    """Store an answer or a comment from ``event.person`` for one item of a delivery."""
    return record_all(core, [event])[0]


def record_all(
    core: Answering, events: Sequence[AnswerGiven | CommentGiven]
) -> list[AnswerOutcome]:
    """Store many clicks in one transaction, in order; each gets its own outcome.

    A click that is refused (not yours, closed, an invalid value) is refused before it writes
    anything, so it never spoils the others. Clicks on the same prompt in one batch see each
    other as if they had come one after another.

    A click that fails in any other way (an error while it is handled, or a write the database
    refuses) rolls the transaction back; the group is then written again in two halves, in
    order, and so on until the failing click stands alone: it alone is answered
    ``NOT_RECORDED``, every other click is stored. With one bad click in 200 that costs about
    fifteen more transactions, on a path that should never be taken. A failure of the database
    itself (unreachable, locked, out of connections) is not one click's: it is raised for the
    whole group, and halving would only repeat it.
    """
    try:
        return _record_all(core, events)
    except Exception as exc:
        if _database_failed(exc):
            raise
        if len(events) > 1:
            middle = len(events) // 2
            return [*record_all(core, events[:middle]), *record_all(core, events[middle:])]
        if not isinstance(exc, IntegrityError):
            return [_failed(exc)]
    # A concurrent identical click (another process) won an insert and this one was rolled
    # back: record it again, now reading what won; a second failure is this click's own.
    try:
        return _record_all(core, events)
    except Exception as again:
        if _database_failed(again):
            raise
        return [_failed(again)]


def _database_failed(exc: Exception) -> bool:
    """The database, not the click: nothing one click sent could have caused it."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _failed(exc: Exception) -> AnswerOutcome:
    # Only the kind and place: the text of a database error can quote the values of an answer.
    log.error("a click could not be recorded: %s", describe(exc))
    return _refused(NOT_RECORDED)


def _load_all(core: Answering, connection: Connection, delivery_ids: set[int]) -> dict[int, _Click]:
    """What every click of a group needs, by delivery id, in two statements."""
    query = _CLICKS_LOCKED if connection.dialect.name == "postgresql" else _CLICKS
    rows = connection.execute(query, {"delivery_ids": sorted(delivery_ids)}).all()
    anonymous = core.require_program().anonymity.mode == "anonymous"
    keys = {row.ref: None if anonymous else core.vault.respondent_key(row.ref) for row in rows}
    clicks: dict[int, _Click] = {}
    for row in rows:
        subject = PromptSubject(
            delivery_id=row.delivery_id,
            status=row.status,
            expires_at=row.expires_at,
            answered_items=list(row.answered_items or []),
            occurrence_id=row.id,
            question_id=row.question_id,
            bank=row.bank,
            workstream_id=row.workstream_id,
            person=row.ref,
            timezone=row.timezone,
        )
        ref = (
            MessageRef(row.conversation, row.message_id)
            if row.conversation and row.message_id
            else None
        )
        clicks[row.delivery_id] = _Click(subject, row.local_date, ref, keys[row.ref], {})
    wanted = {(c.subject.occurrence_id, c.key): c for c in clicks.values() if c.key is not None}
    if wanted:
        found = connection.execute(
            _OWN_ANSWERS,
            {
                "occurrence_ids": sorted({occurrence for occurrence, _ in wanted}),
                "respondent_keys": sorted({str(key) for _, key in wanted}),
            },
        )
        for answer_id, question_id, value, has_comment, occurrence_id, key in found:
            click = wanted.get((occurrence_id, key))
            if click is None:  # another of these people's answers to another of these askings
                continue
            click.own[question_id] = (
                answer_id,
                Recorded.stored(core, question_id, value, bool(has_comment)),
            )
    return clicks


@dataclass
class _Done:
    """A click handled inside the transaction; its prompt is rendered after the commit."""

    accepted: bool
    message: str | None
    click: _Click | None  # None: refused before the prompt mattered
    closed: bool = False

    def outcome(self, core: Answering) -> AnswerOutcome:
        if self.click is None:
            return _refused(self.message or NOT_YOURS)
        prompt = build_prompt(core, self.click.subject, self.click.recorded)
        message = (
            f"Sorry, this question closed on {prompt.closes}; answers are no longer accepted."
            if self.closed
            else self.message
        )
        return AnswerOutcome(self.accepted, message, prompt, self.click.ref)


def _record_all(
    core: Answering, events: Sequence[AnswerGiven | CommentGiven]
) -> list[AnswerOutcome]:
    with write_gate(core.engine), core.engine.begin() as connection:
        clicks = _load_all(core, connection, {event.delivery_id for event in events})
        writes = _GroupWrites(connection)
        # Clicks on one prompt share its state, so each sees what the one before it wrote.
        done = [_record_one(core, writes, clicks, event) for event in events]
        writes.send()
    if writes.unlinked:
        _write_unlinked(core, writes.unlinked)
    core.metrics.answers.inc(writes.answers)  # counted once committed
    # Rendered after the commit, so the write lock is not held for it.
    return [_outcome_of(core, each) for each in done]


def _outcome_of(core: Answering, done: _Done) -> AnswerOutcome:
    """The click's outcome; it is stored already, so a prompt that cannot be rendered costs
    only the re-render, never the answer (nor a second recording of the whole group)."""
    try:
        return done.outcome(core)
    except Exception as exc:
        log.error("a recorded click's prompt could not be rendered: %s", describe(exc))
        return AnswerOutcome(done.accepted, done.message, None, None)


class _GroupWrites:
    """The writes of a group of clicks. New answers and answered deliveries wait and are sent
    at the end, each kind as one batch (on PostgreSQL one round trip, not one per click);
    changing or commenting an answer inserted earlier in the group sends them first."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._new_answers: list[dict[str, Any]] = []
        self._answered: dict[int, list[str]] = {}  # delivery id -> its answered items
        self.unlinked: list[dict[str, Any]] = []  # anonymous answers: written apart, after
        self.answers = 0  # answers given (new or changed), for the metric once committed

    def insert_answer(self, values: dict[str, Any]) -> None:
        if values["respondent_key"] is None:
            self.unlinked.append(values)
        else:
            self._new_answers.append(values)

    def mark_answered(self, delivery_id: int, items: list[str]) -> None:
        self._answered[delivery_id] = items

    def update(self, statement: Any, values: dict[str, Any]) -> None:
        self.connection.execute(statement, values)

    def answer_id(self, click: _Click, question_id: str) -> int:
        """The id of the person's answer, sending what waits when it was inserted in this group."""
        answer_id, shown = click.own[question_id]
        if answer_id is None:
            self.send()
            answer_id = int(
                self.connection.execute(
                    _ANSWER_ID,
                    {
                        "occurrence_id": click.subject.occurrence_id,
                        "question_id": question_id,
                        "respondent_key": click.key,
                    },
                ).scalar_one()
            )
            click.own[question_id] = (answer_id, shown)
        return answer_id

    def send(self) -> None:
        if self._new_answers:
            self.connection.execute(_INSERT_ANSWER, self._new_answers)
        if self._answered:
            self.connection.execute(
                _MARK_ANSWERED,
                [{"delivery_id": id_, "items": items} for id_, items in self._answered.items()],
            )
        self._new_answers, self._answered = [], {}


def _write_unlinked(core: Answering, rows: list[dict[str, Any]]) -> None:
    """Anonymous answers, after their deliveries were marked and committed: in a transaction
    of their own, shuffled, each with a random id. A random id that is already taken (one in
    four billion per answer) is drawn again."""
    rows = [{**row, "id": _random_id()} for row in rows]
    random.SystemRandom().shuffle(rows)
    for _ in range(3):
        try:
            with write_gate(core.engine), core.engine.begin() as connection:
                connection.execute(_INSERT_ANSWER, rows)
            return
        except IntegrityError:
            rows = [{**row, "id": _random_id()} for row in rows]
    raise RuntimeError("anonymous answers could not be given unused ids")


def _random_id() -> int:
    return secrets.randbelow(RANDOM_ID_RANGE) + 1


def _record_one(
    core: Answering,
    writes: _GroupWrites,
    clicks: dict[int, _Click],
    event: AnswerGiven | CommentGiven,
) -> _Done:
    click = clicks.get(event.delivery_id)
    if click is None or click.subject.person != event.person:
        return _Done(False, NOT_YOURS, None)
    subject = click.subject
    question = next(
        (
            q
            for q in core.catalog.questions_for(subject.question_id, subject.bank)
            if q.id == event.question_id
        ),
        None,
    )
    if question is None:
        return _Done(
            False, "That question isn't part of this prompt, so nothing was recorded.", None
        )
    if subject.status not in ANSWERABLE or core.clock.now() >= subject.expires_at:
        return _Done(False, None, click, closed=True)
    try:
        if isinstance(event, AnswerGiven):
            message = _answer(core, writes, click, question, event)
        else:
            message = _comment(core, writes, click, question, event.comment)
    except InvalidAnswer as exc:  # raised before this click wrote anything
        return _Done(False, str(exc), None)
    return _Done(True, message, click)


def _answer(
    core: Answering,
    writes: _GroupWrites,
    click: _Click,
    question: QuestionRecord,
    event: AnswerGiven,
) -> str | None:
    value, score = check(question.kind, event.value, question.options)
    comment = _clean_comment(event.comment)
    if click.key is None:  # anonymous
        if question.id in click.subject.answered_items:
            return "Your anonymous answer is already recorded; anonymous answers cannot be changed."
        _insert(core, writes, click, question, value, score, comment)
        if comment is not None:
            _mark_answered(writes, click, COMMENT_MARK + question.id)
    else:
        existing = click.own.get(question.id)
        if existing is None:
            _insert(core, writes, click, question, value, score, comment)
        else:
            shown = existing[1]
            if shown.value == value and comment is None:
                return None  # the same click twice: one answer
            answer_id = writes.answer_id(click, question.id)
            writes.update(
                _CHANGE_ANSWER,
                {
                    "answer_id": answer_id,
                    "new_value": stored_value(core.vault, question.kind, value),
                    "new_score": score,
                },
            )
            if comment is not None:
                _store_comment(core, writes, answer_id, comment)
            click.own[question.id] = (
                answer_id,
                Recorded(value, shown.has_comment or comment is not None),
            )
    _mark_answered(writes, click, question.id)
    writes.answers += 1
    return None


def _comment(
    core: Answering, writes: _GroupWrites, click: _Click, question: QuestionRecord, text: str
) -> str | None:
    comment = _clean_comment(text)
    if comment is None:
        raise InvalidAnswer("The comment is empty.")
    if click.key is None:
        # Nothing links the earlier answer to this person, so the comment stands on its own;
        # the delivery remembers that there is one, so each person has one voice per asking.
        if question.id not in click.subject.answered_items:
            raise InvalidAnswer("Answer the question first, then add a comment.")
        if COMMENT_MARK + question.id in click.subject.answered_items:
            raise InvalidAnswer(ANONYMOUS_COMMENT_ONCE)
        _insert(core, writes, click, question, "", None, comment)
        _mark_answered(writes, click, COMMENT_MARK + question.id)
        return "Thanks, your comment is recorded anonymously."
    existing = click.own.get(question.id)
    if existing is None:
        raise InvalidAnswer("Answer the question first, then add a comment.")
    answer_id = writes.answer_id(click, question.id)
    _store_comment(core, writes, answer_id, comment)
    click.own[question.id] = (answer_id, Recorded(existing[1].value, True))
    return "Thanks, your comment is recorded."


def _store_comment(core: Answering, writes: _GroupWrites, answer_id: int, comment: str) -> None:
    """Encrypt a comment onto an answer, with its sentiment computed now, once."""
    writes.update(
        _SET_COMMENT,
        {
            "answer_id": answer_id,
            "new_comment": core.vault.encrypt(comment),
            "new_sentiment": sentiment.polarity(comment),
        },
    )


def _insert(
    core: Answering,
    writes: _GroupWrites,
    click: _Click,
    question: QuestionRecord,
    value: str,
    score: float | None,
    comment: str | None,
) -> None:
    workstream = core.require_program().workstream(click.subject.workstream_id)
    writes.insert_answer(
        {
            "occurrence_id": click.subject.occurrence_id,
            "question_id": question.id,
            "workstream_id": click.subject.workstream_id,
            "respondent_key": click.key,
            "value": stored_value(core.vault, question.kind, value),
            "score": score,
            "comment": core.vault.encrypt(comment) if comment else None,
            "sentiment": sentiment.polarity(comment) if comment else None,
            "in_pilot": workstream is not None and click.subject.person in workstream.pilot,
            "answered_on": click.local_date,  # the period asked, not the minute answered
        },
    )
    if click.key is not None and value:
        click.own[question.id] = (None, Recorded(value, comment is not None))


def _mark_answered(writes: _GroupWrites, click: _Click, question_id: str) -> None:
    answered = click.subject.answered_items
    items = answered if question_id in answered else [*answered, question_id]
    writes.mark_answered(click.subject.delivery_id, items)
    click.subject = PromptSubject(
        **{
            **click.subject.__dict__,
            "status": DeliveryStatus.ANSWERED.value,
            "answered_items": items,
        }
    )


def _clean_comment(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidAnswer(f"Keep the comment under {MAX_TEXT} characters.")
    return text
