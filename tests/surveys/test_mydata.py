"""A person's own data: the export holds only theirs; erasure leaves no identifier anywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Engine, String, inspect, text
from sqlmodel import func, select

from bot.app import LearnPulse
from storage.db import reading
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
from surveys.mydata import ANONYMOUS_NOTE, erase, export_own, trend_key_prefix
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
        session.add(
            PostedDigest(key=f"{trend_key_prefix(core, person)}2026-11", kind="trend",
                         period_start=DAY, period_end=DAY, destination="private", posted_at=now)
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


def _identifiers(core: LearnPulse, person: str) -> dict[str, str]:
    """What would identify ``person`` in the database: their reference, their platform id, the
    pseudonym their answers are filed under, their name, their comment as stored (encrypted)."""
    key = core.vault.respondent_key(person)
    with core.session() as session:
        [stored_comment] = session.exec(
            select(Answer.comment).where(Answer.respondent_key == key)
        ).all()
    assert stored_comment is not None
    return {
        "reference": person,
        "platform id": person.split(":", 1)[1],
        "pseudonym": key,
        "name": "Erin Example",
        "stored comment": stored_comment,
    }


def test_after_erase_the_persons_bytes_are_nowhere_in_the_sqlite_files(
    core: LearnPulse, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("file bytes are a SQLite matter")
    path = Path(database_url.removeprefix("sqlite:///"))
    files = (path, Path(f"{path}-wal"), Path(f"{path}-shm"))

    def on_disk() -> bytes:  # the files as they are; nothing is checkpointed or vacuumed here
        return b"".join(file.read_bytes() for file in files if file.exists())

    _leave_traces(core, PERSON)
    identifiers = {name: value.encode() for name, value in _identifiers(core, PERSON).items()}
    before = on_disk()
    assert {name for name, value in identifiers.items() if value not in before} == set()
    erase(core, PERSON)
    after = on_disk()
    assert {name for name, value in identifiers.items() if value in after} == set()
    assert core.vault.respondent_key(OTHER).encode() in after  # the others' answers stay


def _text_columns(engine: Engine) -> dict[str, list[str]]:
    """Every column of every table in the database that holds text (strings, JSON)."""
    inspector = inspect(engine)
    return {
        table: [
            column["name"]
            for column in inspector.get_columns(table)
            if isinstance(column["type"], String | JSON)
        ]
        for table in inspector.get_table_names()
    }


def _where_found(engine: Engine, values: dict[str, str]) -> set[tuple[str, str, str]]:
    """(table, column, identifier name) of every text cell holding one of ``values``."""
    found: set[tuple[str, str, str]] = set()
    columns_of = _text_columns(engine)
    with reading(engine).connect() as connection:
        for table, columns in columns_of.items():
            for column in columns:
                cells = connection.execute(
                    text(f'SELECT CAST("{column}" AS TEXT) FROM "{table}"')
                ).scalars()
                for cell in cells:
                    found |= {
                        (table, column, name)
                        for name, value in values.items()
                        if cell is not None and value in cell
                    }
    return found


def test_erase_leaves_no_identifier_in_any_text_column_of_any_table(
    core: LearnPulse, engine: Engine
) -> None:
    _leave_traces(core, PERSON)
    identifiers = _identifiers(core, PERSON)
    with core.session() as session:
        person_id = session.exec(select(PersonRecord.id).where(PersonRecord.ref == PERSON)).one()
    found = {name for _, _, name in _where_found(engine, identifiers)}
    assert found == set(identifiers)  # the scan sees each of them before
    erase(core, PERSON)
    assert _where_found(engine, identifiers) == set()
    inspector = inspect(engine)
    tables = [
        table
        for table in inspector.get_table_names()
        if "person_id" in {column["name"] for column in inspector.get_columns(table)}
    ]
    assert {"delivery", "audience_member"} <= set(tables)
    with reading(engine).connect() as connection:
        for table in tables:
            count = connection.execute(
                text(f'SELECT COUNT(*) FROM "{table}" WHERE person_id = :id'), {"id": person_id}
            ).scalar_one()
            assert count == 0, table
