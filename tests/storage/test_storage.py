"""Migrations, program sync and the database settings, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel, select

from bot.app import LearnPulse
from bot.logsafe import describe
from storage.crypto import Vault
from storage.db import make_engine, read_session, session_scope
from storage.migrate import upgrade
from storage.tables import Answer, Occurrence, QuestionRecord, WorkstreamRecord, table_of
from surveys.program_file import load_program, parse_program
from surveys.sync import sync_program
from tests.factories import EXAMPLE_PROGRAM

MOMENT = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_migrations_match_the_tables(engine: Engine) -> None:
    """The migrated schema is exactly what the tables declare (no forgotten revision)."""
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5000
    engine.dispose()


def test_a_long_read_never_holds_the_write_lock_that_answers_need(tmp_path: Path) -> None:
    """A digest or an export reading for a long time does not keep another writer (another
    process: the CLI, a second replica) from SQLite's write lock; a unit of work that may write
    does hold it, from its first statement."""
    path = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)

    def another_writer() -> None:
        other = sqlite3.connect(path, timeout=0.3, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("COMMIT")
        finally:
            other.close()

    with read_session(engine) as session:
        session.exec(select(QuestionRecord)).all()  # the read transaction is open
        another_writer()
    with session_scope(engine) as session:
        session.exec(select(QuestionRecord)).all()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            another_writer()
    engine.dispose()


def test_a_read_only_unit_of_work_cannot_write_on_postgresql(postgres_engine: Engine) -> None:
    with read_session(postgres_engine) as session:
        session.exec(select(QuestionRecord)).all()
        with pytest.raises(DBAPIError, match="read-only transaction"):
            session.connection().execute(text("DELETE FROM answer"))


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    program = load_program(EXAMPLE_PROGRAM)
    moment = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    with session_scope(engine) as session:
        sync_program(session, program, moment)
    with session_scope(engine) as session:
        from storage.tables import ProgramRecord

        record = session.get(ProgramRecord, 1)
        assert (
            record is not None
            and record.loaded_at == moment
            and record.loaded_at.tzinfo is not None
        )


def test_replicas_starting_together_each_sync_the_program_without_error(
    database_url: str, engine: Engine
) -> None:
    """Several processes loading the program into an empty database at the same moment: one
    adds it, the others find it there (none fails on a row another has just written)."""
    program = load_program(EXAMPLE_PROGRAM)
    engines = [make_engine(database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    changed: list[bool] = []
    failures: list[str] = []

    def load(one: Engine) -> None:
        start.wait()
        try:
            with session_scope(one) as session:
                changed.append(sync_program(session, program, MOMENT).changed)
        except Exception as exc:
            failures.append(describe(exc))

    threads = [threading.Thread(target=load, args=(one,)) for one in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for one in engines:
        one.dispose()
    assert failures == []
    assert sorted(changed) == [False, False, False, True]


def test_loading_twice_changes_nothing(core: LearnPulse) -> None:
    report = core.load_program()
    assert not report.changed
    with core.session() as session:
        workstreams = session.exec(select(WorkstreamRecord)).all()
        questions = session.exec(select(QuestionRecord)).all()
    # six workstreams from the file plus the two built-in banks
    assert {w.id for w in workstreams} >= {"lms", "leadership", "culture-of-learning", "outcomes"}
    assert len(workstreams) == 8
    assert sum(1 for q in questions if q.bank is None) == 27


def test_a_removed_question_is_retired_and_its_answers_kept(
    core: LearnPulse, tmp_path: Path
) -> None:
    now = core.clock.now()
    with core.session() as session:
        occurrence = Occurrence(
            key="lms-blockers@2026-11-30",
            workstream_id="lms",
            question_id="lms-blockers",
            cadence="weekly",
            local_date=now.date(),
            created_at=now,
        )
        session.add(occurrence)
        session.flush()
        assert occurrence.id is not None
        session.add(
            Answer(
                occurrence_id=occurrence.id,
                question_id="lms-blockers",
                workstream_id="lms",
                respondent_key="k",
                value="time",
                answered_on=now.date(),
            )
        )
    text_without = EXAMPLE_PROGRAM.read_text()
    assert "id: lms-blockers" in text_without
    lines = text_without.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "id: lms-blockers" in line)
    end = next(
        i
        for i in range(start + 1, len(lines))
        if lines[i].lstrip().startswith(("- id:", "#")) or not lines[i].strip()
    )
    edited = tmp_path / "program.yaml"
    edited.write_text("".join(lines[:start] + lines[end:]))
    parse_program(edited.read_text())  # still a valid file
    report = core.load_program(edited)
    assert report.retired == ["question lms-blockers"]
    assert report.updated == ["program"]
    with core.session() as session:
        question = session.get(QuestionRecord, "lms-blockers")
        assert question is not None and question.retired
        assert len(session.exec(select(Answer)).all()) == 1
    report = core.load_program(EXAMPLE_PROGRAM)
    assert "question lms-blockers" in report.updated and not report.retired


def test_respondent_keys_are_stable_and_secret_dependent() -> None:
    one, other = Vault("a"), Vault("b")
    assert one.respondent_key("slack:U1") == one.respondent_key("slack:U1")
    assert one.respondent_key("slack:U1") != one.respondent_key("slack:U2")
    assert one.respondent_key("slack:U1") != other.respondent_key("slack:U1")
    token = one.encrypt("a comment")
    assert "comment" not in token and one.decrypt(token) == "a comment"
    with pytest.raises(ValueError, match="LEARNPULSE_SECRET_KEY"):
        other.decrypt(token)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        session.add(
            Occurrence(
                key="x",
                workstream_id="lms",
                cadence="daily",
                local_date=datetime(2026, 1, 1).date(),
                created_at=datetime(2026, 1, 1) + timedelta(0),
            )
        )


def test_a_failed_write_is_logged_without_the_values_written(engine: Engine) -> None:
    """PostgreSQL quotes a failing row in its error text; the log line must not."""
    secret_value = "my-very-private-answer"
    statement = text(
        "INSERT INTO answer (occurrence_id, question_id, workstream_id, value, answered_on) "
        "VALUES (:o, :q, :w, :v, :d)"
    )
    with pytest.raises(Exception) as caught, engine.begin() as connection:
        connection.execute(
            statement, {"o": 1, "q": "q", "w": "w", "v": secret_value, "d": "2026-01-01"}
        )
    line = describe(caught.value)
    assert secret_value not in line
    assert line.startswith("sqlalchemy.exc.") and "Error at " in line


def test_table_of_is_the_table_a_model_is_stored_in() -> None:
    for model in (Answer, Occurrence, QuestionRecord, WorkstreamRecord):
        assert table_of(model) is SQLModel.metadata.tables[str(model.__tablename__)]
