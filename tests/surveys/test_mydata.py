"""A person's own data: the export holds only theirs; erasure leaves no identifier anywhere."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import func, select

from bot.app import LearnPulse
from storage.tables import (
    Answer,
    AudienceMember,
    AuditEntry,
    ConversationReference,
    Delivery,
    LocalMessage,
    PersonRecord,
    PostedDigest,
)
from surveys.mydata import ANONYMOUS_NOTE, erase, export_own
from tests.bot.test_report_support import answers, deliveries, occurrence

PERSON = "slack:U0ERASEME9"
OTHER = "slack:U0STAYING1"
KEY = "respect-treated-with-respect"
DAY = date(2026, 11, 24)


def _anonymous(core: LearnPulse) -> None:
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})


def _leave_traces(core: LearnPulse, person: str) -> None:
    """Everything the bot may hold about someone: answers, prompts, memberships, chat."""
    occ = answers(core, "respect", KEY, DAY, ["4", "2"], people=[person, OTHER],
                  comments=["my own words", "theirs"])  # fmt: skip
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    with core.session() as session:
        record = PersonRecord(ref=person, display_name="Erin Example", timezone="Europe/Berlin")
        session.add(record)
        session.flush()
        assert record.id is not None
        session.add(AudienceMember(workstream_id="respect", person_id=record.id, in_pilot=True))
        delivery = Delivery(
            occurrence_id=occ, person_id=record.id, status="answered", due_at=now,
            expires_at=now, next_attempt_at=now, conversation=f"D{person[-6:]}",
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        session.add(ConversationReference(key=person, reference="encrypted", updated_at=now))
        session.add(
            ConversationReference(key=f"slack:prompt:{delivery.id}", reference="x", updated_at=now)
        )
        session.add(
            PostedDigest(key="digest:x", period_start=DAY, period_end=DAY, destination=person,
                         posted_at=now)
        )  # fmt: skip
        session.add(LocalMessage(conversation=f"dm:{person}", body={"to": person},
                                 created_at=now, updated_at=now))  # fmt: skip
        session.add(AuditEntry(at=now, actor=person, action="survey", detail=f"by {person}"))
    deliveries(core, occurrence(core, "respect", KEY, DAY), ["sent"])


def test_export_holds_only_the_persons_own_answers(core: LearnPulse) -> None:
    _leave_traces(core, PERSON)
    document = export_own(core, PERSON)
    assert [a["answer"] for a in document["answers"]] == ["4"]
    assert document["answers"][0]["comment"] == "my own words"
    assert document["profile"]["timezone"] == "Europe/Berlin"
    assert document["audiences"] == [{"workstream": "respect", "pilot_group": True}]
    assert [p["status"] for p in document["prompts"]] == ["answered"]
    assert "theirs" not in str(document)


def test_in_anonymous_mode_there_is_nothing_linkable(core: LearnPulse) -> None:
    _leave_traces(core, PERSON)
    _anonymous(core)
    document = export_own(core, PERSON)
    assert document["answers"] == []
    assert document["note"] == ANONYMOUS_NOTE


def _count(core: LearnPulse, table: type, *where: object) -> int:
    with core.session() as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


def test_erase_removes_every_row_of_theirs_and_keeps_everyone_elses(core: LearnPulse) -> None:
    _leave_traces(core, PERSON)
    before = _count(core, Answer)
    reply = erase(core, PERSON)
    assert reply.startswith("Done: 1 answers")
    assert _count(core, Answer) == before - 1
    assert _count(core, Answer, Answer.respondent_key == core.vault.respondent_key(OTHER)) == 1
    assert _count(core, PersonRecord, PersonRecord.ref == PERSON) == 0
    assert _count(core, ConversationReference) == 0
    assert _count(core, PostedDigest, PostedDigest.destination == "erased") == 1
    assert _count(core, LocalMessage) == 0
    with core.session() as session:
        entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor, entry.detail) == ("erased", "by erased")
    assert export_own(core, PERSON)["answers"] == []


def _checkpoint(path: Path, *, vacuum: bool) -> None:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if vacuum:
        raw.execute("VACUUM")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


def test_after_erase_and_vacuum_the_id_is_nowhere_in_the_sqlite_file(
    core: LearnPulse, engine: Engine, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("file bytes are a SQLite matter")
    _leave_traces(core, PERSON)
    user_id = PERSON.split(":", 1)[1].encode()
    path = Path(database_url.removeprefix("sqlite:///"))
    engine.dispose()
    _checkpoint(path, vacuum=False)
    assert user_id in path.read_bytes()  # the traces were really there
    erase(core, PERSON)
    engine.dispose()
    _checkpoint(path, vacuum=True)
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            content = file.read_bytes()
            assert user_id not in content, file.name
            assert b"Erin Example" not in content, file.name
            assert core.vault.respondent_key(PERSON).encode() not in content, file.name


def test_erase_on_a_postgres_or_sqlite_table_leaves_no_reference(
    core: LearnPulse, engine: Engine
) -> None:
    _leave_traces(core, PERSON)
    erase(core, PERSON)
    tables = ("person", "conversation_reference", "audit_log", "local_message", "posted_digest")
    with engine.connect() as connection:
        for table in tables:
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert PERSON not in repr(rows), table
