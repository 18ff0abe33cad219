"""The review's heatmap: a workstream's key measures by segment in its latest finished period.

Rows are the values (and "Other") of each attribute the workstream segments by, columns its key
measures; a cell is coloured by the figure against the question's target. A cell is blank when
its figure may not be shown (too few people, or it would let a reader tell a smaller group
apart); the page says so under the table. The figures are the digest's (same period, same
disclosure keys), so review and digest tell one story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from surveys import measures
from surveys.context import Reporting
from surveys.disclosure import FigureKey
from surveys.periods import Period
from surveys.program import Workstream
from surveys.segment_report import (
    Breakdown,
    SegmentFigure,
    attribute_title,
    breakdowns,
    figures,
    segmented_measures,
)
from surveys.tally_model import PeriodTally

HIDDEN_NOTE = (
    "A blank cell is not shown for privacy: fewer than {minimum} people, or a figure that "
    "together with another would tell a group of fewer than {minimum} apart."
)
ANONYMOUS_NOTE = (
    "Results by segment are not available: the program is anonymous, so answers carry no segment."
)


@dataclass(frozen=True)
class HeatCell:
    text: str  # the figure as written, "" when hidden
    tone: str  # "met", "below", "plain" (no target) or "hidden"
    people: int


@dataclass(frozen=True)
class HeatRow:
    attribute: str  # its title (Department)
    label: str  # the value (Engineering, Other)
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class Heatmap:
    period: Period
    questions: tuple[str, ...]
    rows: tuple[HeatRow, ...]
    note: str
    compact: str  # one line for the chat review


def heatmap(
    workstream: Workstream,
    found: Sequence[Breakdown],
    admitted: frozenset[FigureKey],
    minimum: int,
) -> Heatmap | None:
    """The heatmap of one workstream, from its breakdowns of one period."""
    questions = segmented_measures(workstream)
    if not questions or not found:
        return None
    by_question = {b.question.id: b for b in found}
    rows: list[HeatRow] = []
    compact: list[str] = []
    for attribute in workstream.segments:
        shown: dict[str, dict[str, SegmentFigure]] = {}
        order: list[tuple[str, str]] = []
        for question in questions:
            breakdown = by_question.get(question.id)
            each = figures(breakdown, attribute, admitted) if breakdown else []
            shown[question.id] = {f.key: f for f in each}
            order += [(f.key, f.label) for f in each if (f.key, f.label) not in order]
            if question is questions[0] and each:
                compact.append(
                    f"{attribute_title(attribute)}: "
                    + " · ".join(_short(question.kind, question.target, f) for f in each)
                )
        order.sort(key=lambda item: (item[0] == "other", item[1].lower()))
        for key, label in order:
            cells = tuple(_cell(q.kind, q.target, shown[q.id].get(key)) for q in questions)
            rows.append(HeatRow(attribute_title(attribute), label, cells))
    period = found[0].period
    first = questions[0].ask
    return Heatmap(
        period,
        tuple(q.ask for q in questions),
        tuple(rows),
        HIDDEN_NOTE.format(minimum=minimum),
        f"“{first}”: " + " — ".join(compact) if compact else "No segment may be shown this period.",
    )


def anonymous_heatmap(workstream: Workstream, period: Period) -> Heatmap | None:
    if not segmented_measures(workstream):
        return None
    return Heatmap(period, (), (), ANONYMOUS_NOTE, ANONYMOUS_NOTE)


def _cell(kind: str, target: float | None, one: SegmentFigure | None) -> HeatCell:
    if one is None or one.value is None:
        return HeatCell("", "hidden", 0)
    text = f"{measures.written(kind, one.value)} ({one.people})"
    if target is None:
        return HeatCell(text, "plain", one.people)
    return HeatCell(text, "met" if measures.target_met(one.value, target) else "below", one.people)


def _short(kind: str, target: float | None, one: SegmentFigure) -> str:
    if one.value is None:
        return f"{one.label} n/a"
    mark = "" if target is None else (" ✓" if measures.target_met(one.value, target) else " ✗")
    return f"{one.label} {measures.written(kind, one.value)}{mark}"


def count(
    core: Reporting, latest: Sequence[tuple[Workstream, PeriodTally]], minimum: int
) -> list[Breakdown]:
    """The breakdowns of each workstream's latest finished period (none when anonymous)."""
    if core.require_program().anonymity.mode == "anonymous":
        return []
    with core.reading() as session:
        return breakdowns(session, core.vault, latest, minimum)


def of_workstream(
    core: Reporting,
    workstream: Workstream,
    period: Period | None,
    found: Sequence[Breakdown],
    admitted: frozenset[FigureKey],
    minimum: int,
) -> Heatmap | None:
    if period is None:
        return None
    if core.require_program().anonymity.mode == "anonymous":
        return anonymous_heatmap(workstream, period)
    own = [b for b in found if b.workstream.id == workstream.id]
    return heatmap(workstream, own, admitted, minimum)
