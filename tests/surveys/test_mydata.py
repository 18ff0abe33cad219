"""A person's own data: the export holds only theirs; erasure leaves no identifier anywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, ColumnElement, Engine, String, inspect, text
from sqlmodel import col, func, select

from adapters.teams import files
from bot.app import LearnPulse
from bot.ports import Member
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
from surveys.mydata import ANONYMOUS_NOTE, describe, erase, export_own, trend_key_prefix
from surveys.people import snooze
from surveys.person_attributes import VALUES, attributes_of, store_attributes
from surveys.references import platform_of
from surveys.roster import upsert_people
from tests.bot.test_report_support import answers, deliveries, occurrence

PERSON = "slack:U0ERASEME9"
OTHER = "slack:U0STAYING1"
TEAMS_PERSON = "teams:5b1c7f3e-9a41-4d0e-8c55-0e6f1d2a7b93"
TEAMS_OTHER = "teams:0c6e2d94-3f57-4b8a-a1d2-7e9f4c3b5a60"
KEY = "respect-treated-with-respect"
DAY = date(2026, 11, 24)
NAME = "Erin Example"
COMMENT = "my own words"
DEPARTMENT = "Engineering"  # shared with someone else: it stays
MANAGER = "Quinn Onlyone"  # theirs alone: it goes


def _other(person: str) -> str:
    """Someone on the same platform whose data must outlive the erasure."""
    return TEAMS_OTHER if platform_of(person) == "teams" else OTHER


def _anonymous(core: LearnPulse) -> None:
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})


def _reference(core: LearnPulse, person: str) -> str:
    """A 1:1 conversation reference as stored (encrypted JSON, the shape Teams keeps)."""
    document = {
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/amer/",
        "conversation": {"id": f"a:1personal{person[-12:]}", "conversationType": "personal"},
        "user": {"id": f"29:1{person[-8:]}", "aadObjectId": person.split(":", 1)[1]},
    }
    return core.vault.encrypt(json.dumps(document))


@dataclass(frozen=True)
class Traces:
    """What ``_leave_traces`` adds beyond the person's usual identifiers, and which rows of
    ``conversation_reference`` belong to someone else."""

    file_offer: dict[str, str]
    others_rows: set[str]
    attribute: dict[str, str]  # the person's own attribute value as stored (encrypted)


def _leave_traces(core: LearnPulse, person: str) -> Traces:
    """Everything the bot may hold about someone who used every surface: answers with a
    comment, a snooze, prompts (and where they went), memberships, a conversation reference,
    the playground chat, their private trend, audit entries and, on Teams, their own-data
    export waiting for their consent. The same for someone else, who must keep theirs."""
    other = _other(person)
    occ = answers(core, "respect", KEY, DAY, ["4", "2"], people=[person, other],
                  comments=[COMMENT, "theirs"])  # fmt: skip
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    platform = platform_of(person)
    with core.session() as session:
        record = PersonRecord(ref=person, display_name=NAME, timezone="Europe/Berlin")
        session.add(record)
        session.flush()
        assert record.id is not None
        record_id = record.id
        session.add(AudienceMember(workstream_id="respect", person_id=record.id, in_pilot=True))
        delivery = Delivery(
            occurrence_id=occ, person_id=record.id, status="answered", due_at=now,
            expires_at=now, next_attempt_at=now, conversation=f"D{person[-6:]}",
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        for ref in (person, other):
            session.add(
                ConversationReference(key=ref, reference=_reference(core, ref), updated_at=now)
            )
        session.add(
            ConversationReference(
                key=f"{platform}:prompt:{delivery.id}", reference="x", updated_at=now
            )
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
        session.add(AuditEntry(at=now, actor=other, action="survey", detail=f"by {other}"))
    snooze(core, person, 3)
    deliveries(core, occurrence(core, "respect", KEY, DAY), ["sent"])
    other_id = upsert_people(core.engine, [Member(other)])[other].id
    store_attributes(
        core.engine,
        core.vault,
        {
            record_id: {"department": DEPARTMENT, "manager": MANAGER},
            other_id: {"department": DEPARTMENT},
        },
    )
    with core.engine.connect() as connection:
        sealed = connection.execute(
            select(VALUES.c.value).where(VALUES.c.attribute == "manager")
        ).scalar_one()
    attribute = {"stored attribute value": str(sealed)}
    if platform != "teams":  # Slack and the playground keep no file waiting
        return Traces(file_offer={}, others_rows={other}, attribute=attribute)
    export = json.dumps(export_own(core, person)).encode()
    token = files.offer(core, person, "learnpulse-my-data-2026-11-30.json", export)
    others_token = files.offer(core, other, "learnpulse-my-data-2026-11-30.json", b"{}")
    with core.session() as session:
        offered = session.get(ConversationReference, f"teams:file:{token}")
        assert offered is not None
        return Traces(
            file_offer={"file offer id": token, "stored file offer": offered.reference},
            others_rows={other, f"teams:file:{others_token}"},
            attribute=attribute,
        )


EVERY_PLATFORM = pytest.mark.parametrize("person", [PERSON, TEAMS_PERSON])


def test_export_holds_only_the_persons_own_answers(core: LearnPulse) -> None:
    _leave_traces(core, PERSON)
    document = export_own(core, PERSON)
    assert [a["answer"] for a in document["answers"]] == ["4"]
    assert document["answers"][0]["comment"] == "my own words"
    assert document["profile"]["timezone"] == "Europe/Berlin"
    assert document["audiences"] == [{"workstream": "respect", "pilot_group": True}]
    assert [p["status"] for p in document["prompts"]] == ["answered"]
    assert document["attributes"] == {"department": DEPARTMENT, "manager": MANAGER}
    assert "theirs" not in str(document)
    assert export_own(core, OTHER)["attributes"] == {"department": DEPARTMENT}
    said = [line for section in describe(core, PERSON).sections for line in section.lines]
    assert "What your organization's people file says about you: department, manager" in said
    assert MANAGER not in str(said)


def test_in_anonymous_mode_there_is_nothing_linkable(core: LearnPulse) -> None:
    _leave_traces(core, PERSON)
    _anonymous(core)
    document = export_own(core, PERSON)
    assert document["answers"] == []
    assert document["note"] == ANONYMOUS_NOTE


def _count(core: LearnPulse, table: type, *where: ColumnElement[bool] | bool) -> int:
    with core.session() as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


@EVERY_PLATFORM
def test_erase_removes_every_row_of_theirs_and_keeps_everyone_elses(
    core: LearnPulse, person: str
) -> None:
    traces = _leave_traces(core, person)
    other = _other(person)
    before = _count(core, Answer)
    reply = erase(core, person)
    assert reply.startswith("Done: 1 answers")
    assert _count(core, Answer) == before - 1
    assert _count(core, Answer, Answer.respondent_key == core.vault.respondent_key(other)) == 1
    assert _count(core, PersonRecord, PersonRecord.ref == person) == 0
    with core.session() as session:
        kept = set(session.exec(select(ConversationReference.key)).all())
        audit = {(e.actor, e.detail) for e in session.exec(select(AuditEntry)).all()}
    assert kept == traces.others_rows
    assert _count(core, PostedDigest, PostedDigest.destination == "erased") == 1
    assert _count(core, LocalMessage) == 0
    assert audit == {("erased", "by erased"), (other, f"by {other}")}
    assert export_own(core, person)["answers"] == []
    assert export_own(core, person)["attributes"] == {}
    with core.engine.connect() as connection:
        [other_id] = connection.execute(
            select(PersonRecord.id).where(PersonRecord.ref == other)
        ).scalars()
    assert attributes_of(core.engine, core.vault, [other_id]) == {
        other_id: {"department": DEPARTMENT}
    }


def test_erase_rewrites_the_audit_log_by_whole_reference(core: LearnPulse) -> None:
    """Erasing ``slack:U1`` rewrites where ``slack:U1`` stands whole and nowhere else: not in
    ``slack:U12``, which it is the start of."""
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    entries = [
        ("slack:U1", "respect/respect-treated-with-respect"),
        ("slack:U12", "respect/respect-treated-with-respect"),
        ("slack:U12", "by slack:U12"),
        ("slack:U0ADMIN01", "for slack:U1, slack:U12 and dm:slack:U1"),
    ]
    with core.session() as session:
        for actor, detail in entries:
            session.add(AuditEntry(at=now, actor=actor, action="survey", detail=detail))
    erase(core, "slack:U1")
    with core.session() as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert [(row.actor, row.detail) for row in rows] == [
        ("erased", "respect/respect-treated-with-respect"),
        ("slack:U12", "respect/respect-treated-with-respect"),
        ("slack:U12", "by slack:U12"),
        ("slack:U0ADMIN01", "for erased, slack:U12 and dm:erased"),
    ]


def _identifiers(core: LearnPulse, person: str, traces: Traces) -> dict[str, str]:
    """What would identify ``person`` in the database: their reference, their platform id, the
    pseudonym their answers are filed under, their name, their comment as stored (encrypted),
    their conversation reference as stored and, on Teams, their waiting file offer."""
    key = core.vault.respondent_key(person)
    with core.session() as session:
        [stored_comment] = session.exec(
            select(Answer.comment).where(Answer.respondent_key == key)
        ).all()
        reference = session.get(ConversationReference, person)
    assert stored_comment is not None and reference is not None
    return {
        "reference": person,
        "platform id": person.split(":", 1)[1],
        "pseudonym": key,
        "name": NAME,
        "stored comment": stored_comment,
        "stored conversation reference": reference.reference,
        **traces.file_offer,
        **traces.attribute,
    }


@EVERY_PLATFORM
def test_after_erase_the_persons_bytes_are_nowhere_in_the_sqlite_files(
    core: LearnPulse, database_url: str, person: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("file bytes are a SQLite matter")
    path = Path(database_url.removeprefix("sqlite:///"))
    database_files = (path, Path(f"{path}-wal"), Path(f"{path}-shm"))

    def on_disk() -> bytes:  # the files as they are; nothing is checkpointed or vacuumed here
        return b"".join(file.read_bytes() for file in database_files if file.exists())

    traces = _leave_traces(core, person)
    identifiers = {
        name: value.encode() for name, value in _identifiers(core, person, traces).items()
    }
    before = on_disk()
    assert {name for name, value in identifiers.items() if value not in before} == set()
    erase(core, person)
    after = on_disk()
    assert {name for name, value in identifiers.items() if value in after} == set()
    assert core.vault.respondent_key(_other(person)).encode() in after  # the others' stay


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


@EVERY_PLATFORM
def test_erase_leaves_no_identifier_in_any_text_column_of_any_table(
    core: LearnPulse, engine: Engine, person: str
) -> None:
    traces = _leave_traces(core, person)
    identifiers = _identifiers(core, person, traces)
    with core.session() as session:
        person_id = session.exec(select(PersonRecord.id).where(PersonRecord.ref == person)).one()
    found = {name for _, _, name in _where_found(engine, identifiers)}
    assert found == set(identifiers)  # the scan sees each of them before
    erase(core, person)
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
