"""Actions on feedback ("you said, we did"): what a lead or an admin does about what people said.

An action belongs to a workstream, may name the question whose figure prompted it, may have a
due date, and moves from ``planned`` to ``in progress`` to ``done``. It is stored with its
author's role only: an action never needs anyone's identity, and it holds no employee's.
Recording one and finishing one are announced to the workstream's audience
(``surveys.announcements``); digests and the review list them with the figure before and since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select

from storage.tables import Action, ActionStatus
from surveys.context import Records

MAX_TEXT = 500
STATUSES = tuple(s.value for s in ActionStatus)


class ActionError(ValueError):
    """An action that cannot be recorded or changed as asked; the message says why."""


@dataclass(frozen=True)
class ActionView:
    """An action as the surfaces show it."""

    id: int
    workstream_id: str
    question_id: str | None
    text: str
    due_on: date | None
    status: str
    author_role: str
    created_at: datetime
    done_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status != ActionStatus.DONE

    def line(self) -> str:
        """``#3 Run weekly office hours (in progress, due Fri 18 Dec)``."""
        due = f", due {self.due_on:%a %d %b}" if self.due_on and self.is_open else ""
        return f"#{self.id} {self.text} ({self.status}{due})"

    @classmethod
    def of(cls, row: Action) -> ActionView:
        assert row.id is not None
        return cls(
            row.id, row.workstream_id, row.question_id, row.text, row.due_on, row.status,
            row.author_role, row.created_at, row.done_at,
        )  # fmt: skip


def record(
    core: Records,
    workstream_id: str,
    text: str,
    *,
    author_role: str,
    question_id: str | None = None,
    due_on: date | None = None,
) -> ActionView:
    """Record a new, planned action (raises ``ActionError`` for what cannot be recorded)."""
    workstream = core.require_program().workstream(workstream_id)
    if workstream is None:
        raise ActionError(f"No workstream {workstream_id!r}.")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ActionError("Say what is being done: /learning-action <workstream> <what we do>.")
    if len(cleaned) > MAX_TEXT:
        raise ActionError(f"Keep the action under {MAX_TEXT} characters.")
    if question_id is not None and question_id not in {q.id for q in workstream.questions}:
        known = ", ".join(q.id for q in workstream.questions)
        raise ActionError(f"No question {question_id!r} in {workstream_id}. Questions: {known}.")
    now = core.clock.now()
    row = Action(
        workstream_id=workstream_id,
        question_id=question_id,
        text=cleaned,
        due_on=due_on,
        status=ActionStatus.PLANNED,
        author_role=author_role,
        created_at=now,
        updated_at=now,
    )
    with core.session() as session:
        session.add(row)
        session.flush()
        return ActionView.of(row)


def find(core: Records, action_id: int) -> ActionView | None:
    with core.reading() as session:
        row = session.get(Action, action_id)
        return ActionView.of(row) if row is not None else None


def set_status(core: Records, action_id: int, status: str) -> tuple[ActionView, bool]:
    """Move an action to ``status``; the action, and whether it changed."""
    if status not in STATUSES:
        raise ActionError(f"A status is one of: {', '.join(STATUSES)}.")
    now = core.clock.now()
    with core.session() as session:
        row = session.get(Action, action_id)
        if row is None:
            raise ActionError(f"No action #{action_id}.")
        changed = row.status != status
        if changed:
            row.status = status
            row.updated_at = now
            row.done_at = now if status == ActionStatus.DONE else None
            session.add(row)
        return ActionView.of(row), changed


def listed(
    core: Records, workstream_ids: Sequence[str], *, open_only: bool = False
) -> list[ActionView]:
    """The actions of these workstreams, oldest first."""
    if not workstream_ids:
        return []
    with core.reading() as session:
        stmt = select(Action).where(col(Action.workstream_id).in_(workstream_ids))
        if open_only:
            stmt = stmt.where(Action.status != ActionStatus.DONE)
        rows = session.exec(stmt.order_by(col(Action.id))).all()
        return [ActionView.of(row) for row in rows]
