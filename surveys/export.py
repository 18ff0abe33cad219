"""Export of the stored answers (``learnpulse export``), honouring the privacy mode.

- No person reference or platform user id is ever exported: answer rows hold none.
- ``confidential``: each row carries ``respondent``, the stored pseudonym, so one respondent's
  answers can be followed over time without knowing who they are. ``anonymous``: no such column.
- Comments (and free-text answers) are decrypted only where at least ``min_comments`` people
  (not comments) wrote one on the same question of the same occurrence; elsewhere the text is
  replaced by ``[withheld: fewer than N people commented]``, as a digest would withhold it.

Rows are streamed from the database in batches, so the export's memory stays flat.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import case, distinct, func, select

from storage.db import reading
from storage.tables import QuestionRecord
from surveys.choices import readable_value
from surveys.context import Reporting
from surveys.tally_model import ANSWERS

FORMATS = ("csv", "json")
BATCH = 2000
COLUMNS = (
    "workstream",
    "question",
    "kind",
    "date",
    "value",
    "score",
    "in_pilot",
    "comment",
    "comment_sentiment",
)


def _text_counts(core: Reporting, text_questions: set[str]) -> dict[tuple[int, str], int]:
    """Per (occurrence, question): how many people wrote a text (a comment or a free-text
    answer): distinct pseudonyms, and each anonymous text on its own (one per person and
    asking at most)."""
    a = ANSWERS.c
    has_text = (a.comment.is_not(None)) | (a.question_id.in_(text_questions) & (a.value != ""))
    people = func.count(distinct(a.respondent_key)) + func.sum(
        case((a.respondent_key.is_(None), 1), else_=0)
    )
    stmt = (
        select(a.occurrence_id, a.question_id, people)
        .where(has_text)
        .group_by(a.occurrence_id, a.question_id)
    )
    with reading(core.engine).connect() as connection:
        return {(int(o), str(q)): int(n) for o, q, n in connection.execute(stmt)}


def rows(core: Reporting) -> Iterator[dict[str, Any]]:
    """Every answer as an export row, oldest first, in the program's privacy shape."""
    program = core.require_program()
    confidential = program.anonymity.mode == "confidential"
    minimum = program.anonymity.min_comments
    withheld = f"[withheld: fewer than {minimum} people commented]"
    with core.reading() as session:
        kinds = {q.id: q.kind for q in session.scalars(select(QuestionRecord))}
    text_questions = {q for q, k in kinds.items() if k == "text"}
    counts = _text_counts(core, text_questions)
    a = ANSWERS.c
    stmt = select(
        a.occurrence_id,
        a.workstream_id,
        a.question_id,
        a.answered_on,
        a.value,
        a.score,
        a.in_pilot,
        a.comment,
        a.sentiment,
        a.respondent_key,
    ).order_by(a.answered_on, a.id)
    with reading(core.engine).connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        for occ, ws, qid, day, value, score, in_pilot, comment, sentiment, key in result:
            enough = counts.get((int(occ), str(qid)), 0) >= minimum
            text = None
            if comment:
                text = _decrypt(core, comment) if enough else withheld
            if qid in text_questions and value:
                value = readable_value(core.vault, "text", value) if enough else withheld
            row: dict[str, Any] = {
                "workstream": ws,
                "question": qid,
                "kind": kinds.get(qid, ""),
                "date": day.isoformat() if hasattr(day, "isoformat") else str(day),
                "value": value,
                "score": score,
                "in_pilot": bool(in_pilot),
                "comment": text,
                "comment_sentiment": sentiment,
            }
            if confidential:
                row["respondent"] = key
            yield row


def _decrypt(core: Reporting, token: str) -> str:
    try:
        return core.vault.decrypt(token)
    except ValueError:
        return "[cannot be decrypted with LEARNPULSE_SECRET_KEY]"


def write(core: Reporting, out: IO[str], format: str) -> int:
    """Write the export to ``out`` as ``csv`` or ``json``; returns the number of answers."""
    if format not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    program = core.require_program()
    confidential = program.anonymity.mode == "confidential"
    columns = [*COLUMNS, "respondent"] if confidential else list(COLUMNS)
    count = 0
    if format == "csv":
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows(core):
            writer.writerow(row)
            count += 1
        return count
    header = {
        "program": program.program,
        "exported_at": core.clock.now().isoformat(),
        "privacy_mode": program.anonymity.mode,
        "min_comments": program.anonymity.min_comments,
        "columns": columns,
    }
    out.write(json.dumps(header, indent=1)[:-2] + ',\n "answers": [')
    for row in rows(core):
        out.write(("\n  " if count == 0 else ",\n  ") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n ]\n}\n")
    return count
