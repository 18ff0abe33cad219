"""Recording answers: a group of clicks stored in one transaction, each with its own outcome.

What a click may do is ``surveys.answer_rules``; what it needs is read by
``surveys.answer_clicks`` and what it writes is batched by ``surveys.answer_writes``, which
also writes anonymous answers apart so that nothing stored ties one to its click.

A click is on the hot path (every answer of every person), so this reads and writes with a few
plain statements, and clicks that arrive together share one transaction: one read for their
deliveries, people and occurrences, one for the people's own answers, then their writes, the
new answers and the answered deliveries each sent as one batch (``GroupWrites``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.events import AnswerGiven, CommentGiven
from bot.logsafe import describe
from bot.messages import Prompt
from bot.ports import MessageRef
from storage.db import write_gate
from surveys.answer_clicks import load_clicks
from surveys.answer_rules import NOT_YOURS, Done, record_one
from surveys.answer_writes import GroupWrites, write_unlinked
from surveys.context import Answering
from surveys.prompts import build_prompt

NOT_RECORDED = (
    "Sorry, that answer could not be recorded, so nothing changed. Please try again; "
    "if it keeps happening, tell your LearnPulse admin."
)

log = logging.getLogger("learnpulse.answers")


@dataclass(frozen=True)
class AnswerOutcome:
    """What happened, what to tell the person, and the prompt to re-render in place."""

    accepted: bool
    message: str | None
    prompt: Prompt | None
    ref: MessageRef | None


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


def _record_all(
    core: Answering, events: Sequence[AnswerGiven | CommentGiven]
) -> list[AnswerOutcome]:
    with write_gate(core.engine), core.engine.begin() as connection:
        clicks = load_clicks(core, connection, {event.delivery_id for event in events})
        writes = GroupWrites(connection)
        # Clicks on one prompt share its state, so each sees what the one before it wrote.
        done = [record_one(core, writes, clicks, event) for event in events]
        writes.send()
        writes.store_themes(core)
    if writes.unlinked:
        write_unlinked(core, writes.unlinked, writes.unlinked_themes)
    core.metrics.answers.inc(writes.answers)  # counted once committed
    # Rendered after the commit, so the write lock is not held for it.
    return [_outcome_of(core, each) for each in done]


def _outcome_of(core: Answering, done: Done) -> AnswerOutcome:
    """The click's outcome; it is stored already, so a prompt that cannot be rendered costs
    only the re-render, never the answer (nor a second recording of the whole group)."""
    try:
        return _rendered(core, done)
    except Exception as exc:
        log.error("a recorded click's prompt could not be rendered: %s", describe(exc))
        return AnswerOutcome(done.accepted, done.message, None, None)


def _rendered(core: Answering, done: Done) -> AnswerOutcome:
    if done.click is None:
        return _refused(done.message or NOT_YOURS)
    prompt = build_prompt(core, done.click.subject, done.click.recorded)
    message = (
        f"Sorry, this question closed on {prompt.closes}; answers are no longer accepted."
        if done.closed
        else done.message
    )
    return AnswerOutcome(done.accepted, message, prompt, done.click.ref)
