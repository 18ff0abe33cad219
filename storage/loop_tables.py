"""Tables of closing the loop: actions taken on feedback, and anonymous conversations on
comments (a thread knows its comment, never who wrote it)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from storage.types import utc_column as _utc


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in progress"
    DONE = "done"


class Action(SQLModel, table=True):
    """What a lead or an admin does about the feedback ("you said, we did"). It names no
    employee; its author only by role."""

    __tablename__ = "action"

    id: int | None = Field(default=None, primary_key=True)
    workstream_id: str = Field(index=True)
    question_id: str | None = None  # the figure that prompted it, if any
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_on: date | None = None
    status: str = Field(default=ActionStatus.PLANNED)
    author_role: str  # "admin" or "lead"
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    done_at: datetime | None = _utc(nullable=True)


class CommentThread(SQLModel, table=True):
    """An anonymous conversation on a quoted comment: the lead of its workstream and the person
    who wrote it. ``token`` is what the Reply buttons carry: random, it tells nothing about the
    comment or its author."""

    __tablename__ = "comment_thread"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(unique=True)
    answer_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    workstream_id: str
    created_at: datetime = _utc(nullable=False)


class ThreadMessage(SQLModel, table=True):
    """One message of a conversation, its text encrypted; never who the author is."""

    __tablename__ = "thread_message"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="comment_thread.id", index=True)
    from_lead: bool
    body: str = Field(sa_column=Column(Text, nullable=False))  # encrypted
    sent_at: datetime = _utc(nullable=False)
