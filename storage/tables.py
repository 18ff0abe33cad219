"""SQLModel tables: the program mirror, people, the delivery ledger, answers and what was posted.

The tables of closing the loop (actions, conversations on comments) and of insight (people's
attributes, segments, comment themes) live in ``storage.loop_tables`` and
``storage.insight_tables``; they are imported here so that every table is registered with the
metadata (migrations, tests) and can be imported from this one module.

Privacy shapes the tables: an answer row never holds a person's reference. In ``confidential``
mode it holds a pseudonymous respondent key (HMAC of the reference); in ``anonymous`` mode it holds
nothing, and only ``delivery.status`` remembers that someone answered, to stop reminders.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlmodel import Field, SQLModel

from storage.insight_tables import AnswerTheme as AnswerTheme
from storage.insight_tables import AttributeValue as AttributeValue
from storage.insight_tables import PersonAttribute as PersonAttribute
from storage.insight_tables import Segment as Segment
from storage.insight_tables import Theme as Theme
from storage.loop_tables import Action as Action
from storage.loop_tables import ActionStatus as ActionStatus
from storage.loop_tables import CommentThread as CommentThread
from storage.loop_tables import ThreadMessage as ThreadMessage
from storage.types import utc_column as _utc


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # planned, not yet sent (waiting for due_at or a retry)
    SENDING = "sending"  # claimed by a sender; outcome unknown until recorded
    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"
    EXPIRED = "expired"  # the window closed without an answer
    FAILED = "failed"  # a permanent platform error; reason in last_error
    SKIPPED = "skipped"  # not sent on purpose: snoozed, weekly budget, opted out
    MISSED = "missed"  # fell due while the bot was down and the window had closed


OPEN_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.REMINDED)
# In ``delivery.answered_items``, "comment:<question id>" says the person commented on that item
# (never what): in anonymous mode it allows one comment per asking and counts the commenters.
COMMENT_MARK = "comment:"
# The priority of an announcement ("you said, we did"): after every question, outside the weekly
# prompt budget, never reminded and never closed.
ANNOUNCEMENT_PRIORITY = 3


class ProgramRecord(SQLModel, table=True):
    __tablename__ = "program"

    id: int = Field(default=1, primary_key=True)
    name: str
    source_hash: str
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = _utc(nullable=False)


class WorkstreamRecord(SQLModel, table=True):
    __tablename__ = "workstream"

    id: str = Field(primary_key=True)
    name: str
    lead: str | None = None
    digest_to: str | None = None
    phase: str = "organization"
    builtin: bool = False
    position: int = 0
    retired: bool = False


class QuestionRecord(SQLModel, table=True):
    __tablename__ = "question"

    id: str = Field(primary_key=True)
    workstream_id: str = Field(foreign_key="workstream.id", index=True)
    bank: str | None = None
    area: str | None = None
    ask: str
    kind: str
    options: list[str] | None = Field(default=None, sa_column=Column(JSON))
    cadence: str
    key_measure: bool = False
    target: float | None = None
    comment: str = "none"
    position: int = 0
    retired: bool = False


class PersonRecord(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True)
    display_name: str | None = None
    timezone: str | None = None
    active: bool = True
    is_bot: bool = False
    opted_out: bool = False
    snoozed_until: datetime | None = _utc(nullable=True)
    welcomed_at: datetime | None = _utc(nullable=True)
    profile_refreshed_at: datetime | None = _utc(nullable=True)
    replies_off: bool = False  # refuses anonymous replies to their comments
    # The person's segment now (their values of the attributes the program breaks results down
    # by); copied onto each answer they give in ``confidential`` mode, never in ``anonymous``.
    segment_id: int | None = Field(default=None, foreign_key="segment.id")


class AudienceMember(SQLModel, table=True):
    """Who a workstream currently reaches (its pilot or audience, resolved to people)."""

    __tablename__ = "audience_member"

    workstream_id: str = Field(foreign_key="workstream.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    in_pilot: bool = False


class WorkLease(SQLModel, table=True):
    """Who runs the work that must run once (planning, audiences, digests), until when."""

    __tablename__ = "work_lease"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = _utc(nullable=False)


class AudienceState(SQLModel, table=True):
    """When a workstream's audience was last resolved through the platforms."""

    __tablename__ = "audience_state"

    workstream_id: str = Field(primary_key=True)
    resolved_at: datetime = _utc(nullable=False)


class Occurrence(SQLModel, table=True):
    """One asking of a question (or of a bank's set) to an audience, for one local date."""

    __tablename__ = "occurrence"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # "<schedule>@<local date>" or "<schedule>@manual:<n>"
    workstream_id: str = Field(foreign_key="workstream.id", index=True)
    question_id: str | None = Field(default=None, foreign_key="question.id")
    bank: str | None = None
    cadence: str
    local_date: date
    manual: bool = False
    planned: bool = False  # every delivery row has been inserted
    # an announcement of an action to the audience ("you said, we did"), not a question
    action_id: int | None = Field(default=None, index=True)
    created_at: datetime = _utc(nullable=False)


class Delivery(SQLModel, table=True):
    """One prompt to one person for one occurrence: the unit sent exactly once."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "person_id", name="uq_delivery_occurrence_person"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(default=DeliveryStatus.PENDING)
    priority: int = 0  # lower goes first: key measures 0, banks 1, the rest 2, announcements 3
    due_at: datetime = _utc(nullable=False)
    remind_at: datetime | None = _utc(nullable=True)
    expires_at: datetime = _utc(nullable=False)
    next_attempt_at: datetime = _utc(nullable=False)
    attempts: int = 0
    last_error: str | None = None
    claimed_at: datetime | None = _utc(nullable=True)
    sent_at: datetime | None = _utc(nullable=True)
    reminded_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)  # the closing update was made
    conversation: str | None = None
    message_id: str | None = None
    # Which items of the prompt were answered (question ids, never values): enough to stop
    # reminders and double answers in anonymous mode, where answers cannot be linked back.
    answered_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Answer(SQLModel, table=True):
    """A response to one question of one occurrence. Never holds a person reference."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "question_id", "respondent_key", name="uq_answer_once"),
        Index("ix_answer_period", "workstream_id", "answered_on"),
        # Digests read a few questions (key measures, choices) over a run of periods; the
        # question_id prefix also serves every lookup by question alone.
        Index("ix_answer_question_period", "question_id", "answered_on"),
    )

    # 64-bit: anonymous answers get random ids (``surveys.answers``); SQLite's rowid already is
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    question_id: str = Field(foreign_key="question.id")  # indexed with the date, below
    workstream_id: str = Field(foreign_key="workstream.id")
    respondent_key: str | None = Field(default=None, index=True)
    value: str  # "" for a comment given on its own in anonymous mode
    score: float | None = None  # numeric form of value for scale / enps / yes_no (1 or 0)
    comment: str | None = Field(default=None, sa_column=Column(Text))  # encrypted
    sentiment: float | None = None
    in_pilot: bool = False
    answered_on: date
    segment_id: int | None = None  # the person's segment when they answered (confidential only)


class PostedDigest(SQLModel, table=True):
    """A digest or review that was posted: aggregates only, never an individual answer."""

    __tablename__ = "posted_digest"
    __table_args__ = (UniqueConstraint("key", name="uq_posted_digest_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str  # "<kind>:<workstream>:<period start>" for scheduled posts; unique
    kind: str = "digest"
    workstream_id: str | None = None
    period_start: date
    period_end: date
    destination: str
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    posted_at: datetime = _utc(nullable=False)


class ShownFigure(SQLModel, table=True):
    """A count behind a figure some surface showed: the memory of the no-subtraction rule.

    One row per (workstream, subject, part, period) and distinct pair of counts, kept for good:
    a figure shown once can be compared with anything shown later. Counts only, never a value.
    """

    __tablename__ = "shown_figure"
    __table_args__ = (
        UniqueConstraint(
            "workstream_id",
            "subject",
            "part",
            "period_start",
            "period_end",
            "people",
            "answers",
            name="uq_shown_figure",
        ),
        Index("ix_shown_figure_period", "workstream_id", "period_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workstream_id: str
    subject: str  # a question id, an area of a bank, or "comments"
    part: str  # "all", "pilot", "rest"
    period_start: date
    period_end: date
    people: int
    answers: int
    first_shown_at: datetime = _utc(nullable=False)


class ConversationReference(SQLModel, table=True):
    """A stored way back to a person or channel (Teams); the reference itself is encrypted."""

    __tablename__ = "conversation_reference"

    key: str = Field(primary_key=True)  # a person or channel reference
    reference: str = Field(sa_column=Column(Text, nullable=False))  # encrypted JSON
    updated_at: datetime = _utc(nullable=False)


class AuditEntry(SQLModel, table=True):
    """An admin action: who, what, when. Never an answer."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(nullable=False)
    actor: str
    action: str
    detail: str = ""


class KeyCheck(SQLModel, table=True):
    """A check value of ``LEARNPULSE_SECRET_KEY`` (an HMAC of a fixed label under it, which
    reveals nothing of the key): a start with another key is refused instead of writing
    pseudonyms nobody can match and reading comments nobody can decrypt."""

    __tablename__ = "key_check"

    id: int = Field(default=1, primary_key=True)
    value: str


class LocalMessage(SQLModel, table=True):
    """The local playground's chat history (``adapters/local``)."""

    __tablename__ = "local_message"

    id: int | None = Field(default=None, primary_key=True)
    conversation: str = Field(index=True)
    delivery_id: int | None = Field(default=None, index=True)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)


def table_of(model: type[SQLModel]) -> Table:
    """The ``Table`` of a table model, for Core statements (``update``, aliases, ``.c``).

    sqlmodel sets ``Model.__table__`` when the class is made but does not declare it, so reading
    it directly does not type-check; the mapper says the same thing with a type."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
