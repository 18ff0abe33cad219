"""The program's questions and workstreams, read once per program load and kept in memory.

Rendering a prompt or recording a click needs a question's kind, options and text on every
request; they only change when the program file is loaded again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.tables import Occurrence, QuestionRecord, WorkstreamRecord


@dataclass(frozen=True)
class Catalog:
    questions: dict[str, QuestionRecord]
    banks: dict[str, tuple[QuestionRecord, ...]]
    workstream_names: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> Catalog:
        """Snapshot every question (retired ones too: old prompts still show them)."""
        rows = list(
            session.exec(select(QuestionRecord).order_by(col(QuestionRecord.position))).all()
        )
        for row in rows:
            session.expunge(row)
        banks: dict[str, list[QuestionRecord]] = {}
        for row in rows:
            if row.bank is not None and not row.retired:
                banks.setdefault(row.bank, []).append(row)
        names = {w.id: w.name for w in session.exec(select(WorkstreamRecord)).all()}
        return cls({r.id: r for r in rows}, {k: tuple(v) for k, v in banks.items()}, names)

    def questions_of(self, occurrence: Occurrence) -> list[QuestionRecord]:
        """The questions an occurrence asks, in order: one question, or a bank's items."""
        return self.questions_for(occurrence.question_id, occurrence.bank)

    def questions_for(self, question_id: str | None, bank: str | None) -> list[QuestionRecord]:
        if question_id is not None:
            question = self.questions.get(question_id)
            return [question] if question is not None else []
        return list(self.banks.get(bank or "", ()))
