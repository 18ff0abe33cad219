"""Anonymous conversations on comments: a lead replies to a quoted comment, and its author,
whoever they are, reads it privately and may answer back, still anonymous to the lead.

Only in ``confidential`` mode: the bot finds the author by recomputing pseudonyms (an HMAC under
``LEARNPULSE_SECRET_KEY``, which the lead does not have) until one matches the comment's. In
``anonymous`` mode nothing links a comment to anyone, so no reply is offered.

What keeps the author hidden: the lead only ever holds a random token (on the Reply button);
nothing the lead receives names or identifies the author; whether a message reached anyone, or
was read, is never told (an author who turned replies off, or who erased their data, looks the
same to the lead as one who got it); and a lead may write on one conversation only every
``LEAD_PAUSE``, so answering times cannot be probed message by message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from bot.logsafe import describe
from bot.messages import Choice, Form, FormField, Report, Section, notice
from storage.db import write_gate
from storage.tables import Answer, CommentThread, PersonRecord, ThreadMessage, table_of
from surveys.comments import scrub
from surveys.context import Reaching, Reporting

log = logging.getLogger("learnpulse.conversations")
THREADS = table_of(CommentThread)
LEAD_PAUSE = timedelta(minutes=30)  # between a lead's messages on one conversation
MAX_TEXT = 1000
SENT = "Sent. Replies are anonymous both ways; you will not see who wrote the comment."
NOT_YOURS = "That conversation is not one of yours."


def reply_command(token: str) -> str:
    return f"/learning-reply {token}"


def tokens_for(engine: Engine, answers: Mapping[int, str], now: datetime) -> dict[int, str]:
    """The Reply token of each quoted answer (answer id -> workstream), made on first sight."""
    if not answers:
        return {}
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    rows = [
        {"token": secrets.token_urlsafe(12), "answer_id": answer_id, "workstream_id": ws,
         "created_at": now}
        for answer_id, ws in answers.items()
    ]  # fmt: skip
    with write_gate(engine), engine.begin() as connection:
        connection.execute(dialect.insert(THREADS).values(rows).on_conflict_do_nothing())
        found = connection.execute(
            select(THREADS.c.answer_id, THREADS.c.token).where(
                THREADS.c.answer_id.in_(list(answers))
            )
        )
        return {int(answer_id): str(token) for answer_id, token in found}


@dataclass(frozen=True)
class Side:
    """Who is writing on a conversation, and to whom it goes."""

    thread: CommentThread
    from_lead: bool
    comment: str  # the quoted comment, scrubbed
    author: str | None  # the comment's author (None: unknown, gone or not replying)
    lead: str


def side_of(core: Reporting, person: str, token: str) -> Side | None:
    """The conversation and the asker's side of it, or None when it is not theirs."""
    program = core.require_program()
    if program.anonymity.mode != "confidential":
        return None
    with core.reading() as session:
        thread = session.exec(
            select(CommentThread).where(col(CommentThread.token) == token)
        ).first()
        if thread is None:
            return None
        answer = session.get(Answer, thread.answer_id)
        workstream = program.workstream(thread.workstream_id)
        if answer is None or workstream is None:
            return None
        author = _author(core, answer.respondent_key)
        comment = _comment_text(core, answer)
    if person == workstream.lead:
        return Side(thread, True, comment, author, workstream.lead)
    if author is not None and person == author:
        return Side(thread, False, comment, author, workstream.lead)
    return None


def _author(core: Reporting, key: str | None) -> str | None:
    """The person whose pseudonym is ``key``, if they are still here and take replies."""
    if key is None:
        return None
    with core.reading() as session:
        people = session.exec(
            select(col(PersonRecord.ref), col(PersonRecord.replies_off)).where(
                col(PersonRecord.is_bot).is_(False)
            )
        ).all()
    for ref, replies_off in people:
        if core.vault.respondent_key(ref) == key:
            return None if replies_off else ref
    return None


def _comment_text(core: Reporting, answer: Answer) -> str:
    try:
        return scrub(core.vault.decrypt(answer.comment)) if answer.comment else ""
    except ValueError:
        return ""


def reply_form(token: str, side: Side) -> Report:
    """The form a Reply button opens."""
    who = "the person who wrote this comment" if side.from_lead else "the lead"
    form = Form(
        title="Reply anonymously",
        submit="Send",
        command="learning-reply",
        fixed=token,
        fields=(FormField("text", f"Your reply to {who}", required=True),),
    )
    lines = (f"“{side.comment}”",) if side.comment else ()
    return Report(
        title="Reply anonymously",
        sections=(Section("The comment", lines),) if lines else (),
        form=form,
    )


async def send(core: Reaching, person: str, token: str, text: str) -> Report:
    """Store a message of the conversation and pass it on to the other side."""
    side = side_of(core, person, token)
    if side is None:
        return notice(NOT_YOURS)
    cleaned = " ".join(text.split())
    if not cleaned:
        return reply_form(token, side)
    if len(cleaned) > MAX_TEXT:
        return notice(f"Keep the reply under {MAX_TEXT} characters.")
    now = core.clock.now()
    if side.from_lead:
        waited = _since_last_from_lead(core, side.thread)
        if waited is not None and now - waited < LEAD_PAUSE:
            later = (waited + LEAD_PAUSE).astimezone(core.require_program().zone)
            return notice(f"You can write on this conversation again from {later:%H:%M}.")
    with core.session() as session:
        assert side.thread.id is not None
        session.add(
            ThreadMessage(
                thread_id=side.thread.id, from_lead=side.from_lead,
                body=core.vault.encrypt(cleaned), sent_at=now,
            )
        )  # fmt: skip
    receiver = side.author if side.from_lead else side.lead
    if receiver is not None:
        await _pass_on(core, receiver, token, side, cleaned)
    return notice(SENT)


def _since_last_from_lead(core: Reporting, thread: CommentThread) -> datetime | None:
    with core.reading() as session:
        return session.exec(
            select(col(ThreadMessage.sent_at))
            .where(col(ThreadMessage.thread_id) == thread.id, col(ThreadMessage.from_lead))
            .order_by(col(ThreadMessage.sent_at).desc())
        ).first()


async def _pass_on(core: Reaching, receiver: str, token: str, side: Side, text: str) -> None:
    workstream = core.require_program().workstream(side.thread.workstream_id)
    name = workstream.name if workstream is not None else side.thread.workstream_id
    sections: tuple[Section, ...]
    if side.from_lead:
        title = f"The lead of {name} replied to your comment"
        sections = (
            Section("Your comment", (f"“{side.comment}”",) if side.comment else ()),
            Section("Their reply", (text,)),
            Section("", ("Only you received this; the lead does not know who you are. "
                         "/learning-mydata replies off turns replies off.",)),
        )  # fmt: skip
    else:
        title = f"An answer to your reply on a comment about {name}"
        sections = (
            Section("The comment", (f"“{side.comment}”",) if side.comment else ()),
            Section("Its author wrote back", (text,)),
        )
    report = Report(
        title=title, sections=sections, actions=(Choice(reply_command(token), "Reply"),)
    )
    try:
        await core.adapters.for_ref(receiver).post_to_person(receiver, report)
    except Exception as exc:  # undelivered looks the same to the sender as delivered
        log.warning("a conversation message was not passed on: %s", describe(exc))


def threads_of(core: Reporting, person: str) -> list[dict[str, object]]:
    """The person's own conversations (on their comments), for their export."""
    key = core.vault.respondent_key(person)
    out: list[dict[str, object]] = []
    with core.reading() as session:
        rows = session.exec(
            select(CommentThread, Answer)
            .join(Answer, col(Answer.id) == CommentThread.answer_id)
            .where(col(Answer.respondent_key) == key)
        ).all()
        for thread, answer in rows:
            messages = session.exec(
                select(ThreadMessage)
                .where(col(ThreadMessage.thread_id) == thread.id)
                .order_by(col(ThreadMessage.sent_at))
            ).all()
            out.append(
                {
                    "workstream": thread.workstream_id,
                    "comment": _comment_text(core, answer),
                    "messages": [
                        {
                            "from": "lead" if m.from_lead else "you",
                            "at": m.sent_at.isoformat(),
                            "text": core.vault.decrypt(m.body),
                        }
                        for m in messages
                    ],
                }
            )
    return out
