"""A person's own trend, for their eyes only: self-assessment by area and their key measures.

Shown in the App Home and sent monthly as a private message on platforms without one. Found by
the person's pseudonymous respondent key, so it exists only in ``confidential`` mode; in
``anonymous`` mode nothing links answers to anyone and the section says so. No threshold
applies: these are the person's own answers, shown to no one else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from bot.messages import Report, Section
from surveys import measures
from surveys.banks import SELF_ASSESSMENT, load_bank
from surveys.context import Reporting
from surveys.periods import Period, months
from surveys.tally_model import ANSWERS, period_index

MONTHS = 6
HEADING = "Your own trend"


@dataclass(frozen=True)
class OwnLine:
    name: str
    kind: str
    values: tuple[float | None, ...]


def _recent_months(today: date) -> list[Period]:
    year, month = today.year, today.month - (MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    spans = months(date(year, month, 1), MONTHS)
    spans[-1] = Period(spans[-1].start, today)
    return spans


def _own_scores(
    session: Session, key: str, question_ids: list[str], spans: list[Period]
) -> dict[str, list[tuple[float, int] | None]]:
    """Per question, per month: (sum of own scores, count), counted by the database."""
    a = ANSWERS.c
    bucket = period_index(a.answered_on, spans).label("bucket")
    stmt = (
        select(a.question_id, bucket, func.sum(a.score), func.count(a.score))
        .where(
            a.respondent_key == key,
            a.question_id.in_(question_ids),
            a.answered_on >= spans[0].start,
            a.answered_on <= spans[-1].end,
            a.score.is_not(None),
        )
        .group_by(a.question_id, bucket)
    )
    out: dict[str, list[tuple[float, int] | None]] = defaultdict(lambda: [None] * len(spans))
    for question_id, index, total, count in session.execute(stmt):
        if index is not None and count:
            out[question_id][int(index)] = (float(total), int(count))
    return out


def own_trend(core: Reporting, person: str) -> list[OwnLine] | None:
    """The person's lines (areas, then key measures), or None in anonymous mode."""
    program = core.require_program()
    if program.anonymity.mode == "anonymous":
        return None
    spans = _recent_months(core.clock.now().astimezone(program.zone).date())
    bank = load_bank(SELF_ASSESSMENT) if program.self_assessment is not None else None
    key_measures = [
        q for w in program.workstreams for q in w.key_measures if q.kind in measures.SCALES
    ]
    ids = [q.id for q in key_measures] + ([q.id for q in bank.questions] if bank else [])
    with core.reading() as session:
        scores = _own_scores(session, core.vault.respondent_key(person), ids, spans)
    lines: list[OwnLine] = []
    if bank is not None:
        for area, name in bank.areas.items():
            members = [q.id for q in bank.questions if q.area == area and q.id in scores]
            values = []
            for i in range(len(spans)):
                cells = [c for q in members if (c := scores[q][i]) is not None]
                total, count = sum(c[0] for c in cells), sum(c[1] for c in cells)
                values.append(total / count if count else None)
            if any(v is not None for v in values):
                lines.append(OwnLine(name, "scale", tuple(values)))
    for question in key_measures:
        if question.id not in scores:
            continue
        values = []
        for cell in scores[question.id]:
            if cell is None:
                values.append(None)
            else:
                mean = cell[0] / cell[1]
                values.append(100 * mean if question.kind == "yes_no" else mean)
        lines.append(OwnLine(question.ask, question.kind, tuple(values)))
    return lines


def _written(line: OwnLine) -> str:
    parts = []
    for value in line.values:
        if value is None:
            parts.append("·")
        elif line.kind == "scale":
            parts.append(f"{value:.1f}")
        else:
            parts.append(f"{value:.0f}{'%' if line.kind == 'yes_no' else ''}")
    return " → ".join(parts)


def own_trend_section(core: Reporting, person: str) -> Section:
    """The App Home section: month by month, oldest first, only the person's own answers."""
    lines = own_trend(core, person)
    if lines is None:
        return Section(
            HEADING,
            ("Answers are anonymous in this program, so there is no personal trend to show.",),
        )
    if not lines:
        return Section(HEADING, ("Once you have answered a few questions, your trend shows here.",))
    program = core.require_program()
    spans = _recent_months(core.clock.now().astimezone(program.zone).date())
    header = "Months: " + ", ".join(f"{s.start:%b}" for s in spans) + " (· = no answer)"
    fields = tuple((line.name, _written(line)) for line in lines)
    return Section(HEADING, (header, "Only you can see this."), fields)


def own_trend_report(core: Reporting, person: str) -> Report:
    """The monthly private message: the same section as the App Home."""
    return Report(title="Your monthly learning trend", sections=(own_trend_section(core, person),))
