"""A person's own data: what is held about them, a JSON copy of it, and erasure.

Answers never hold a person's reference. In ``confidential`` mode a person's answers are found by
their pseudonymous respondent key (recomputed from their reference, never stored beside it); in
``anonymous`` mode nothing links an answer to anyone, so there is nothing of theirs to return or
erase among the answers — the reply says so. Erasure removes every row that names or points to
the person: answers (by respondent key), deliveries, audience memberships, the person row, stored
conversation references (theirs and those of their prompts), files waiting for their consent
(their own-data export among them), the local playground's chat with them, their private-trend
records, and their reference in the audit log and as the destination of posted digests (replaced
by ``erased``, where the reference stands whole: erasing ``slack:U1`` leaves ``slack:U12`` as it
is). On SQLite the bytes go too: the engine zeroes deleted rows (``secure_delete``) and erasure
empties the write-ahead log, which still holds the pages as they were before.

Erasure is the last word of the request that asks for it: its reply carries
``Report.leaves_no_trace`` so that an adapter delivers it without storing anything about the
person again (a Teams reply from a channel would otherwise store a new 1:1 reference).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select, update

from bot.messages import Report, Section
from storage.db import empty_wal
from storage.tables import (
    Answer,
    AudienceMember,
    AuditEntry,
    CommentThread,
    ConversationReference,
    Delivery,
    LocalMessage,
    Occurrence,
    PersonRecord,
    PostedDigest,
    QuestionRecord,
    ThreadMessage,
)
from surveys import theme_writes
from surveys.choices import readable_value
from surveys.context import Records, Reporting
from surveys.conversations import threads_of
from surveys.people import get_or_create
from surveys.person_attributes import attributes_of, erase_attributes
from surveys.references import platform_of

log = logging.getLogger("learnpulse.mydata")

ERASED = "erased"
ANONYMOUS_NOTE = (
    "This program runs in anonymous mode: answers are stored without anything that links them "
    "to you, so no answer can be found, returned or erased as yours."
)


def trend_key_prefix(core: Reporting, person: str) -> str:
    """Prefix of the ``posted_digest`` keys of a person's monthly private trend."""
    return f"trend:{core.vault.respondent_key(person)}:"


def _anonymous(core: Reporting) -> bool:
    return core.require_program().anonymity.mode == "anonymous"


def _person(session: Session, person: str) -> PersonRecord | None:
    return session.exec(select(PersonRecord).where(PersonRecord.ref == person)).first()


def _own_answers(core: Reporting, session: Session, person: str) -> list[dict[str, Any]]:
    if _anonymous(core):
        return []
    key = core.vault.respondent_key(person)
    rows = session.exec(
        select(Answer, QuestionRecord)
        .join(QuestionRecord, col(QuestionRecord.id) == col(Answer.question_id))
        .where(Answer.respondent_key == key)
        .order_by(col(Answer.answered_on), col(Answer.id))
    ).all()
    out: list[dict[str, Any]] = []
    for answer, question in rows:
        comment: str | None = None
        if answer.comment:
            try:
                comment = core.vault.decrypt(answer.comment)
            except ValueError:
                comment = None
        out.append(
            {
                "workstream": answer.workstream_id,
                "question": question.id,
                "ask": question.ask,
                "date": answer.answered_on.isoformat(),
                "answer": readable_value(core.vault, question.kind, answer.value),
                "comment": comment,
                "comment_sentiment": answer.sentiment,
            }
        )
    return out


def export_own(core: Reporting, person: str) -> dict[str, Any]:
    """Everything held about ``person``, as a JSON-ready document for them alone."""
    with core.reading() as session:
        record = _person(session, person)
        deliveries: list[dict[str, Any]] = []
        memberships: list[dict[str, Any]] = []
        profile: dict[str, Any] | None = None
        attributes: dict[str, str] = {}
        if record is not None and record.id is not None:
            attributes = attributes_of(core.engine, core.vault, [record.id]).get(record.id, {})
        if record is not None:
            profile = {
                "display_name": record.display_name,
                "timezone": record.timezone,
                "snoozed_until": _iso(record.snoozed_until),
                "opted_out": record.opted_out,
                "replies_off": record.replies_off,
                "first_welcomed": _iso(record.welcomed_at),
            }
            memberships = [
                {"workstream": m.workstream_id, "pilot_group": m.in_pilot}
                for m in session.exec(
                    select(AudienceMember).where(AudienceMember.person_id == record.id)
                ).all()
            ]
            for delivery, occurrence in session.exec(
                select(Delivery, Occurrence)
                .join(Occurrence, col(Occurrence.id) == col(Delivery.occurrence_id))
                .where(Delivery.person_id == record.id)
                .order_by(col(Delivery.due_at))
            ).all():
                deliveries.append(
                    {
                        "workstream": occurrence.workstream_id,
                        "question": occurrence.question_id or occurrence.bank,
                        "date": occurrence.local_date.isoformat(),
                        "status": delivery.status,
                        "sent_at": _iso(delivery.sent_at),
                    }
                )
        document: dict[str, Any] = {
            "person": person,
            "exported_at": core.clock.now().isoformat(),
            "privacy_mode": core.require_program().anonymity.mode,
            "profile": profile,
            "attributes": attributes,
            "audiences": memberships,
            "prompts": deliveries,
            "answers": _own_answers(core, session, person),
            "conversations": [] if _anonymous(core) else threads_of(core, person),
        }
    if _anonymous(core):
        document["note"] = ANONYMOUS_NOTE
    return document


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def describe(core: Reporting, person: str) -> Report:
    """What ``/learning-mydata`` without arguments shows: counts, and the two actions."""
    document = export_own(core, person)
    lines = [
        f"Prompts sent to you and their status: {len(document['prompts'])}",
        f"Workstreams you are in: {len(document['audiences'])}",
    ]
    if document["attributes"]:
        names = ", ".join(document["attributes"])
        lines.append(f"What your organization's people file says about you: {names}")
    if _anonymous(core):
        lines.append(ANONYMOUS_NOTE)
    else:
        lines.append(
            f"Your answers (stored under a pseudonym, not your name): {len(document['answers'])}"
        )
    return Report(
        title="Your data in LearnPulse",
        sections=(Section("What is stored", tuple(lines)),),
        summary="/learning-mydata export sends you a JSON copy; "
        "/learning-mydata erase removes all of it.",
    )


def file_key_prefix(person: str) -> str:
    """Prefix of the rows where an adapter keeps a file waiting for ``person``'s consent
    (``<platform>:file:<token>``, an encrypted JSON document whose ``person`` is the recipient)."""
    return f"{platform_of(person)}:file:"


def _waiting_files(core: Reporting, session: Session, person: str) -> list[str]:
    """Keys of the files waiting for ``person``. The key holds only a random token, so each
    waiting document is opened to see whom it waits for (there are few: they last a day)."""
    keys: list[str] = []
    for row in session.exec(
        select(ConversationReference).where(
            col(ConversationReference.key).startswith(file_key_prefix(person))
        )
    ).all():
        try:
            document = json.loads(core.vault.decrypt(row.reference))
        except ValueError:  # written under another key: nobody can read it, nothing to match
            continue
        if isinstance(document, dict) and str(document.get("person", "")).lower() == person.lower():
            keys.append(row.key)
    return keys


def _whole_reference(person: str) -> re.Pattern[str]:
    """``person`` standing whole in a text: not the start of a longer id (``slack:U1`` is not
    in ``slack:U12``) nor the end of one. References compare case-insensitively, as Teams'
    object ids do; Slack ids are upper case, so no other Slack id differs only in case."""
    return re.compile(rf"(?<![\w-]){re.escape(person)}(?![\w-])", re.IGNORECASE)


def _rewrite_audit(session: Session, person: str) -> None:
    """Replace ``person`` by ``erased`` wherever it stands whole in the audit log."""
    whole = _whole_reference(person)
    lowered = person.lower()
    for entry in session.exec(
        select(AuditEntry).where(
            or_(
                func.lower(col(AuditEntry.actor)).contains(lowered, autoescape=True),
                func.lower(col(AuditEntry.detail)).contains(lowered, autoescape=True),
            )
        )
    ).all():
        actor, detail = whole.sub(ERASED, entry.actor), whole.sub(ERASED, entry.detail)
        if (actor, detail) != (entry.actor, entry.detail):
            entry.actor, entry.detail = actor, detail
            session.add(entry)


def set_replies(core: Records, person: str, on: bool) -> str:
    """Allow or refuse anonymous replies to one's own comments."""
    with core.session() as session:
        record, _ = get_or_create(session, person)
        record.replies_off = not on
        session.add(record)
    if on:
        return "Replies are on: a lead may reply to your comments, without learning who you are."
    return (
        "Replies are off: nobody can reply to your comments. /learning-mydata replies on undoes it."
    )


def erase(core: Reporting, person: str) -> str:
    """Remove every identifier of ``person``; returns the reply for them."""
    key = core.vault.respondent_key(person)
    conversations = [person, f"dm:{person}"]
    with core.session() as session:
        removed_answers = 0
        if not _anonymous(core):
            removed_answers = len(
                session.exec(select(Answer.id).where(Answer.respondent_key == key)).all()
            )
        # Conversations on their comments go with the comments.
        threads = (
            select(CommentThread.id)
            .join(Answer, col(Answer.id) == col(CommentThread.answer_id))
            .where(col(Answer.respondent_key) == key)
        )
        thread_ids = list(session.exec(threads).all())
        if thread_ids:
            session.exec(delete(ThreadMessage).where(col(ThreadMessage.thread_id).in_(thread_ids)))
            session.exec(delete(CommentThread).where(col(CommentThread.id).in_(thread_ids)))
        # Their comments' themes go with the comments (and themes nobody else mentioned).
        own = list(session.exec(select(Answer.id).where(Answer.respondent_key == key)).all())
        theme_writes.forget(session.connection(), [int(i) for i in own if i is not None])
        # Answers are removed by pseudonym in either mode: a program switched from
        # confidential to anonymous may still hold older answers under the key.
        session.exec(delete(Answer).where(col(Answer.respondent_key) == key))
        record = _person(session, person)
        if record is not None:
            delivery_ids = session.exec(
                select(Delivery.id).where(Delivery.person_id == record.id)
            ).all()
            # Adapters may remember where each prompt went ("<platform>:prompt:<delivery>").
            conversations += [f"{platform_of(person)}:prompt:{d}" for d in delivery_ids]
            session.exec(delete(Delivery).where(col(Delivery.person_id) == record.id))
            session.exec(delete(AudienceMember).where(col(AudienceMember.person_id) == record.id))
            if record.id is not None:
                erase_attributes(session.connection(), record.id)
            session.exec(delete(PersonRecord).where(col(PersonRecord.id) == record.id))
        conversations += _waiting_files(core, session, person)
        session.exec(
            delete(ConversationReference).where(col(ConversationReference.key).in_(conversations))
        )
        session.exec(delete(LocalMessage).where(col(LocalMessage.conversation).in_(conversations)))
        session.exec(delete(PostedDigest).where(col(PostedDigest.key).startswith(f"trend:{key}:")))
        session.exec(
            update(PostedDigest)
            .where(col(PostedDigest.destination) == person)
            .values(destination=ERASED)
        )
        _rewrite_audit(session, person)
    if not empty_wal(core.engine):
        log.warning("erased rows stay in the SQLite write-ahead log until its next checkpoint")
    if _anonymous(core):
        return (
            "Done: your prompts, memberships and every record naming you are erased. "
            + ANONYMOUS_NOTE
        )
    return (
        f"Done: {removed_answers} answers, your prompts, memberships and every record naming "
        "you are erased. If you are still in a workstream's audience you may be asked again; "
        "ask an admin to take you out of it."
    )
