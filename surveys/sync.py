"""Mirror the program file into the database, idempotently.

Loading the same file twice changes nothing. A question or workstream that left the file is
retired, never deleted, so its answers and history are kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from storage.db import one_writer_at_a_time
from storage.tables import ProgramRecord, QuestionRecord, WorkstreamRecord
from surveys.banks import OUTCOMES, SELF_ASSESSMENT, load_bank
from surveys.program import Program


@dataclass
class SyncReport:
    """What a sync changed; all empty when the database already matched the file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        if not self.changed:
            return " (database already in sync)"
        counts = (len(self.added), len(self.updated), len(self.retired))
        return " ({} added, {} updated, {} retired)".format(*counts)


def program_hash(program: Program) -> str:
    document = json.dumps(program.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def sync_program(session: Session, program: Program, now: datetime) -> SyncReport:
    """Make the database match ``program``; return what changed."""
    report = SyncReport()
    one_writer_at_a_time(session, "program sync")  # replicas starting together sync in turn
    digest = program_hash(program)
    record = session.get(ProgramRecord, 1)
    if record is None:
        session.add(
            ProgramRecord(
                id=1,
                name=program.program,
                source_hash=digest,
                document=program.model_dump(mode="json"),
                loaded_at=now,
            )
        )
        report.added.append("program")
    elif record.source_hash != digest:
        record.name = program.program
        record.source_hash = digest
        record.document = program.model_dump(mode="json")
        record.loaded_at = now
        session.add(record)
        report.updated.append("program")

    workstreams, questions = _desired(program)
    _apply(session, WorkstreamRecord, workstreams, report, "workstream")
    session.flush()
    _apply(session, QuestionRecord, questions, report, "question")
    session.flush()
    return report


def _desired(program: Program) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    workstreams: dict[str, dict[str, Any]] = {}
    questions: dict[str, dict[str, Any]] = {}
    for position, ws in enumerate(program.workstreams):
        workstreams[ws.id] = {
            "name": ws.name,
            "lead": ws.lead,
            "digest_to": ws.digest_to,
            "phase": ws.phase,
            "builtin": False,
            "position": position,
        }
        for q_position, q in enumerate(ws.questions):
            questions[q.id] = {
                "workstream_id": ws.id,
                "bank": None,
                "area": None,
                "ask": q.ask,
                "kind": q.kind,
                "options": q.options,
                "cadence": q.cadence,
                "key_measure": q.key_measure,
                "target": q.target,
                "comment": q.comment,
                "position": q_position,
            }
    for offset, (bank_id, schedule) in enumerate(
        ((SELF_ASSESSMENT, program.self_assessment), (OUTCOMES, program.outcomes))
    ):
        if schedule is None:
            continue
        bank = load_bank(bank_id)
        workstreams[bank_id] = {
            "name": bank.name,
            "lead": None,
            "digest_to": None,
            "phase": "organization",
            "builtin": True,
            "position": len(program.workstreams) + offset,
        }
        for q_position, bq in enumerate(bank.questions):
            questions[bq.id] = {
                "workstream_id": bank_id,
                "bank": bank_id,
                "area": bq.area,
                "ask": bq.ask,
                "kind": bq.kind,
                "options": None,
                "cadence": schedule.cadence,
                "key_measure": False,
                "target": None,
                "comment": "none",
                "position": q_position,
            }
    return workstreams, questions


def _apply(
    session: Session,
    table: type[Any],
    desired: dict[str, dict[str, Any]],
    report: SyncReport,
    label: str,
) -> None:
    existing: dict[str, Any] = {row.id: row for row in session.exec(select(table)).all()}
    for key, values in desired.items():
        row = existing.get(key)
        if row is None:
            session.add(table(id=key, retired=False, **values))
            report.added.append(f"{label} {key}")
            continue
        changed = row.retired or any(getattr(row, k) != v for k, v in values.items())
        if changed:
            for k, v in values.items():
                setattr(row, k, v)
            row.retired = False
            session.add(row)
            report.updated.append(f"{label} {key}")
    for key, row in existing.items():
        if key not in desired and not row.retired:
            row.retired = True
            session.add(row)
            report.retired.append(f"{label} {key}")
