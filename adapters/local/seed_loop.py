"""The seeded history closes the loop: a few actions on the feedback, and one anonymous
conversation on a quoted comment.

The first workstream with a key measure gets three actions, stored as ``/learning-action`` would
have stored them weeks ago: one done, one in progress tied to the key measure (so its digest and
the review show the figure before and since), one planned. They are history, so they are not
announced again. After the opening digests are posted, its lead replies to the most negative
quoted comment and the comment's author answers back, through ``surveys.conversations`` itself:
the two messages reach the two chats exactly as a live reply would, and nobody but the bot links
the comment to its author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from storage.tables import Action, ActionStatus, Answer, CommentThread
from surveys import conversations
from surveys.program import Program, Workstream

if TYPE_CHECKING:
    from bot.app import LearnPulse


@dataclass(frozen=True)
class SeededAction:
    text: str
    status: ActionStatus
    recorded_weeks_ago: float
    on_key_measure: bool = False
    done_weeks_ago: float | None = None
    due_in_days: int | None = None


def _actions_for(workstream: Workstream) -> tuple[SeededAction, ...]:
    """What a lead of this workstream would plausibly have done about its feedback."""
    if workstream.id == "lms":
        texts = (
            "Two-minute how-to videos for the five most used courses",
            "Weekly LMS office hours, Thursdays 14:00, to find courses together",
            "A search tips page pinned to the platform's home",
        )
    else:
        texts = (
            f"Shared last month's {workstream.name} results with every team",
            f"A monthly open session on {workstream.name}, with time for questions",
            f"A short guide to {workstream.name}, written with the people who asked for it",
        )
    return (
        SeededAction(texts[0], ActionStatus.DONE, 5, done_weeks_ago=2),
        SeededAction(texts[1], ActionStatus.IN_PROGRESS, 3, on_key_measure=True, due_in_days=18),
        SeededAction(texts[2], ActionStatus.PLANNED, 0.3, due_in_days=14),
    )


def acting_workstream(program: Program) -> Workstream | None:
    """The workstream the seeded actions and conversation are about."""
    return next((w for w in program.workstreams if w.key_measures), None)


def seed_actions(core: LearnPulse) -> int:
    """Store the seeded actions; returns how many."""
    program = core.require_program()
    workstream = acting_workstream(program)
    if workstream is None:
        return 0
    key_measure = workstream.key_measures[0].id
    now = core.clock.now()
    today = now.astimezone(program.zone).date()
    rows = []
    for seeded in _actions_for(workstream):
        recorded = now - timedelta(weeks=seeded.recorded_weeks_ago)
        done = now - timedelta(weeks=seeded.done_weeks_ago) if seeded.done_weeks_ago else None
        rows.append(
            Action(
                workstream_id=workstream.id,
                question_id=key_measure if seeded.on_key_measure else None,
                text=seeded.text,
                due_on=today + timedelta(days=seeded.due_in_days) if seeded.due_in_days else None,
                status=seeded.status,
                author_role="lead",
                created_at=recorded,
                updated_at=done or recorded,
                done_at=done,
            )
        )
    with core.session() as session:
        session.add_all(rows)
    return len(rows)


LEAD_WRITES = (
    "Thank you for being frank about this. What one change would make the biggest "
    "difference for you?"
)
AUTHOR_ANSWERS = (
    "Honestly: an hour a week that is really set aside for it, and knowing that someone "
    "reads these comments."
)


async def seed_conversation(core: LearnPulse) -> bool:
    """The lead replies to the most negative comment quoted in the workstream's digest, and its
    author answers back; False when no digest quoted a comment (or no author takes replies)."""
    program = core.require_program()
    workstream = acting_workstream(program)
    if workstream is None or program.anonymity.mode != "confidential":
        return False
    with core.reading() as session:
        token = session.exec(
            select(col(CommentThread.token))
            .join(Answer, col(Answer.id) == CommentThread.answer_id)
            .where(col(CommentThread.workstream_id) == workstream.id)
            .order_by(col(Answer.sentiment))
        ).first()
    if token is None:
        return False
    side = conversations.side_of(core, workstream.lead, token)
    if side is None or side.author is None:
        return False
    await conversations.send(core, workstream.lead, token, LEAD_WRITES)
    await conversations.send(core, side.author, token, AUTHOR_ANSWERS)
    return True
