"""Scores per segment, counted by the database: the cells a breakdown is made of.

One ``GROUP BY`` per group of workstreams and periods: (workstream, question, period, segment,
in pilot, score) with the number of people, over each person's latest answer per question and
period (the rule of ``surveys.answer_tallies``, and its window function only where a question
was asked more than once in a period). Python then folds the segments to the values
of the attributes a workstream segments by. Only ``confidential`` answers carry a segment; in
``anonymous`` mode there is nothing to count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from surveys.answer_tallies import askings_range, counted_with_fallback, latest_per_person
from surveys.periods import Period
from surveys.segment_privacy import Cell
from surveys.segments import signatures_of
from surveys.tally_model import ANSWERS, period_index, span

# (workstream, period index, question) -> (segment id, in pilot) -> scores
Raw = dict[tuple[str, int, str], dict[tuple[int | None, bool], dict[float, int]]]


def count_segments(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    question_ids: Sequence[str],
) -> Raw:
    """Scores per segment and pilot flag, each person's latest answer per period."""
    out: Raw = {}
    if not workstream_ids or not periods or not question_ids:
        return out
    a = ANSWERS.c
    where = [
        a.workstream_id.in_(workstream_ids),
        a.question_id.in_(question_ids),
        a.score.is_not(None),
        a.respondent_key.is_not(None),
        a.value != "",
    ]
    bucket = period_index(a.answered_on, periods).label("bucket")
    grouping = (a.workstream_id, a.question_id, bucket, a.segment_id, a.in_pilot, a.score)
    plain: Select[Any] = (
        select(*grouping, func.count(), *askings_range())
        .where(span(a.answered_on, periods), *where)
        .group_by(*grouping)
    )

    def windowed(workstreams: Sequence[str], questions: Sequence[str]) -> Select[Any]:
        narrowed = [*where, a.workstream_id.in_(workstreams), a.question_id.in_(questions)]
        rows = latest_per_person(
            periods, a.workstream_id, a.question_id, where=narrowed, extra=(a.segment_id,)
        )
        columns: list[Any] = [
            rows.c.workstream_id,
            rows.c.question_id,
            rows.c.bucket,
            rows.c.segment_id,
            rows.c.in_pilot,
            rows.c.score,
        ]
        return select(*columns, func.count()).where(rows.c.latest == 1).group_by(*columns)

    for ws, qid, index, segment, in_pilot, score, n in counted_with_fallback(
        session, plain, windowed
    ):
        if index is None:
            continue
        key = (str(ws), int(index), str(qid))
        cell = (None if segment is None else int(segment), bool(in_pilot))
        scores = out.setdefault(key, {}).setdefault(cell, {})
        scores[float(score)] = scores.get(float(score), 0) + int(n)
    return out


def segment_values(session: Session, raw: Raw) -> dict[int, dict[str, str]]:
    """Segment id -> attribute -> value key, for every segment ``raw`` mentions."""
    ids = {segment for cells in raw.values() for segment, _ in cells if segment is not None}
    return signatures_of(session.connection(), ids)


def fold(
    cells: Mapping[tuple[int | None, bool], Mapping[float, int]],
    values: Mapping[int, Mapping[str, str]],
    attributes: Sequence[str],
) -> list[Cell]:
    """Cells of one question and period, by the values of ``attributes`` only."""
    own_of: dict[int | None, tuple[str, ...]] = {}
    folded: dict[tuple[tuple[str, ...], bool], dict[float, int]] = {}
    for (segment, in_pilot), scores in cells.items():
        own = own_of.get(segment)
        if own is None:
            known = values.get(segment, {}) if segment is not None else {}
            own = own_of[segment] = tuple(known.get(name, "") for name in attributes)
        target = folded.get((own, in_pilot))
        if target is None:
            target = folded[(own, in_pilot)] = {}
        for score, n in scores.items():
            target[score] = target.get(score, 0) + n
    return [
        Cell(dict(zip(attributes, own, strict=True)), in_pilot, sum(scores.values()), scores)
        for (own, in_pilot), scores in sorted(folded.items())
    ]
