"""The no-subtraction rule, in one place, for every surface that shows a figure.

A figure is what some people's answers add up to: one question's (or a bank area's, or the
comments') result for one group of a workstream (everyone, the pilot, everyone else) in one
period of the workstream's grid. A reader who sees two figures of the same question, group and
period a few answers apart (a review, one more answer, the review again) learns what those few
said. So a figure is shown only if

- the people behind it reach the threshold (``min_responses``, or ``min_comments`` for
  comments), and
- its counts (people, and the answers it is made of) each equal, or differ by at least the
  threshold from, the counts of every figure already shown for the same question, group and
  period, by any surface: digests posted or previewed, status, the review in chat and HTML,
  chart points, announcements.

``admit`` decides and remembers in one short write transaction (``shown_figure``), so two
surfaces asked at the same moment cannot both show counts one apart. Figures that only make
sense together (a pilot and the rest; a change between two periods, which reveals the earlier
period's figure too) are decided as a bundle: all of them or none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, or_, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import write_gate
from storage.tables import ShownFigure, table_of
from surveys.periods import Period
from surveys.tally_model import QuestionTally

ALL = "all"
PILOT = "pilot"
REST = "rest"
COMMENTS = "comments"

SHOWN = table_of(ShownFigure)
_LOCK = 7_311_024  # PostgreSQL advisory lock: one decision at a time across replicas


@dataclass(frozen=True)
class FigureKey:
    """Which figure: workstream (or bank), subject (question, area or comments), group, period."""

    workstream_id: str
    subject: str
    part: str
    period: Period


@dataclass(frozen=True)
class Candidate:
    """A figure a surface would like to show, with the counts behind it."""

    key: FigureKey
    people: int
    answers: int
    minimum: int


Bundle = Sequence[Candidate]


def differs_safely(count: int, earlier: int, minimum: int) -> bool:
    """Equal, or at least ``minimum`` apart: subtracting never isolates a small group."""
    return count == earlier or abs(count - earlier) >= minimum


def passes(candidate: Candidate, shown: Iterable[tuple[int, int]]) -> bool:
    """The rule for one figure against the (people, answers) shown before for its key."""
    if candidate.people < candidate.minimum:
        return False
    return all(
        differs_safely(candidate.people, people, candidate.minimum)
        and differs_safely(candidate.answers, answers, candidate.minimum)
        for people, answers in shown
    )


def admit(engine: Engine, bundles: Sequence[Bundle], now: datetime) -> frozenset[FigureKey]:
    """The figures that may be shown, recorded as shown in the same transaction.

    Bundles are decided in order, each against what was shown before and what the bundles
    before it admitted. A bundle may repeat a figure it depends on: admitted earlier in the same
    call (same key and counts) it passes again, refused earlier it refuses the bundle."""
    candidates = [c for bundle in bundles for c in bundle]
    if not candidates:
        return frozenset()
    with write_gate(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        shown = _shown(connection, {c.key for c in candidates})
        admitted: dict[FigureKey, tuple[int, int]] = {}
        refused: set[FigureKey] = set()
        for bundle in bundles:
            fresh = [c for c in bundle if admitted.get(c.key) != (c.people, c.answers)]
            if all(
                c.key not in admitted and c.key not in refused and passes(c, shown[c.key])
                for c in fresh
            ):
                for c in fresh:
                    admitted[c.key] = (c.people, c.answers)
            else:
                refused.update(c.key for c in bundle)
        _remember(connection, admitted, now)
    return frozenset(admitted)


def _shown(connection: Connection, keys: set[FigureKey]) -> dict[FigureKey, set[tuple[int, int]]]:
    s = SHOWN.c
    by_workstream: dict[str, list[FigureKey]] = defaultdict(list)
    for key in keys:
        by_workstream[key.workstream_id].append(key)
    out: dict[FigureKey, set[tuple[int, int]]] = defaultdict(set)
    for workstream_id, wanted in by_workstream.items():
        stmt = select(s.subject, s.part, s.period_start, s.period_end, s.people, s.answers).where(
            s.workstream_id == workstream_id,
            or_(
                *[
                    and_(s.period_start == start, s.period_end == end)
                    for start, end in {(k.period.start, k.period.end) for k in wanted}
                ]
            ),
            tuple_(s.subject, s.part).in_({(k.subject, k.part) for k in wanted}),
        )
        for subject, part, start, end, people, answers in connection.execute(stmt):
            key = FigureKey(workstream_id, subject, part, Period(start, end))
            out[key].add((int(people), int(answers)))
    return out


def _remember(
    connection: Connection, admitted: dict[FigureKey, tuple[int, int]], now: datetime
) -> None:
    if not admitted:
        return
    rows = [
        {
            "workstream_id": key.workstream_id,
            "subject": key.subject,
            "part": key.part,
            "period_start": key.period.start,
            "period_end": key.period.end,
            "people": people,
            "answers": answers,
            "first_shown_at": now,
        }
        for key, (people, answers) in admitted.items()
    ]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SHOWN).on_conflict_do_nothing()
    connection.execute(statement, rows)


def shown_counts(
    engine: Engine, keys: Iterable[FigureKey]
) -> dict[FigureKey, set[tuple[int, int]]]:
    """What was shown for ``keys`` (for tests and diagnostics; surfaces call ``admit``)."""
    with engine.connect() as connection:
        return dict(_shown(connection, set(keys)))


def candidate(
    workstream_id: str, question_id: str, part: str, period: Period, counted: QuestionTally,
    minimum: int,
) -> Candidate:  # fmt: skip
    """The figure of one question, group and period, as the disclosure rule sees it."""
    people, answers = {
        ALL: (counted.people, counted.answers),
        PILOT: (counted.pilot_people, counted.pilot_answers),
        REST: (counted.rest_people, counted.rest_answers),
    }[part]
    return Candidate(FigureKey(workstream_id, question_id, part, period), people, answers, minimum)
