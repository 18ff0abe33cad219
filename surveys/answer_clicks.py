"""What a group of clicks needs, read in two statements: the deliveries with their people and
askings, then those people's own answers to those askings.

A click is on the hot path (every answer of every person), so the statements are built once,
and on PostgreSQL the deliveries are read locked, in id order: clicks on one prompt from another
process wait for this transaction, and two groups never deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, select

from bot.ports import MessageRef
from storage.tables import Answer, Delivery, Occurrence, PersonRecord, table_of
from surveys.context import Answering
from surveys.prompts import PromptSubject, Recorded

DELIVERIES = table_of(Delivery)
PEOPLE = table_of(PersonRecord)
OCCURRENCES = table_of(Occurrence)
ANSWERS = table_of(Answer)

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
        PEOPLE.c.segment_id,
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


@dataclass
class Click:
    """Everything one click needs, read in one statement."""

    subject: PromptSubject
    local_date: date
    ref: MessageRef | None
    key: str | None  # respondent key (None in anonymous mode)
    # question id -> (answer id, what it shows); no id yet for an answer inserted in this group
    own: dict[str, tuple[int | None, Recorded]]
    segment_id: int | None = None  # the person's segment (None in anonymous mode: unlinkable)

    @property
    def recorded(self) -> dict[str, Recorded]:
        return {q: shown for q, (_id, shown) in self.own.items()}


def load_clicks(
    core: Answering, connection: Connection, delivery_ids: set[int]
) -> dict[int, Click]:
    """What every click of a group needs, by delivery id, in two statements."""
    query = _CLICKS_LOCKED if connection.dialect.name == "postgresql" else _CLICKS
    rows = connection.execute(query, {"delivery_ids": sorted(delivery_ids)}).all()
    anonymous = core.require_program().anonymity.mode == "anonymous"
    keys = {row.ref: None if anonymous else core.vault.respondent_key(row.ref) for row in rows}
    clicks: dict[int, Click] = {}
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
        segment = None if anonymous else row.segment_id
        clicks[row.delivery_id] = Click(subject, row.local_date, ref, keys[row.ref], {}, segment)
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
