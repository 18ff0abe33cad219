"""Key measures by segment, for the digest and the review: counted, decided, written.

``breakdowns`` counts the cells of each workstream's key measures for a period and applies the
per-attribute and cross-figure rule (``surveys.segment_privacy``). ``bundles`` hands each
attribute's figures to ``surveys.disclosure`` as one bundle with the whole group's figure (all or
none, each figure under its own key, ``attribute=value``), so a digest and a later review a few
answers apart cannot be subtracted either. ``figures`` lists what was admitted, with names
decrypted, and ``lines`` writes it for a digest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.messages import Section
from storage.crypto import Vault
from surveys import measures
from surveys.disclosure import ALL, Bundle, Candidate, FigureKey, candidate
from surveys.periods import Period
from surveys.program import Question, Workstream
from surveys.segment_privacy import OTHER, AttributeBreakdown, Cell, decide
from surveys.segment_tallies import count_segments, fold, segment_values
from surveys.segments import value_labels
from surveys.tally_model import PeriodTally, QuestionTally

ATTRIBUTE_NAMES = {"tenure": "Tenure"}


@dataclass
class Breakdown:
    """One key measure of one workstream and period, by each attribute it segments by."""

    workstream: Workstream
    question: Question
    period: Period
    whole: QuestionTally
    cells: list[Cell]
    attributes: dict[str, AttributeBreakdown]
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    # attribute -> value key -> (people, scores), summed once from the cells
    _by_value: dict[str, dict[str, tuple[int, Counter[float]]]] = field(default_factory=dict)

    def by_value(self, attribute: str) -> dict[str, tuple[int, Counter[float]]]:
        found = self._by_value.get(attribute)
        if found is None:
            sums: dict[str, dict[float, int]] = {}
            people: Counter[str] = Counter()
            for cell in self.cells:
                key = cell.values.get(attribute, "")
                people[key] += cell.people
                target = sums.setdefault(key, {})
                for score, n in cell.scores.items():
                    target[score] = target.get(score, 0) + n
            found = {k: (people[k], _counter(v)) for k, v in sums.items()}
            self._by_value[attribute] = found
        return found

    def covered(self, attribute: str, key: str) -> tuple[int, Counter[float]]:
        """People and scores of a shown figure (a value, or ``OTHER``'s merged values)."""
        members = self.attributes[attribute].members(key)
        values = self.by_value(attribute)
        if len(members) == 1:
            return values.get(next(iter(members)), (0, Counter()))
        sums: dict[float, int] = {}
        people = 0
        for member in members:
            n, counted = values.get(member, (0, Counter()))
            people += n
            for score, times in counted.items():
                sums[score] = sums.get(score, 0) + times
        return people, _counter(sums)


@dataclass(frozen=True)
class SegmentFigure:
    """A shown figure of one value (or "other") of an attribute."""

    attribute: str
    key: str
    label: str
    people: int
    value: float | None


def _counter(scores: dict[float, int]) -> Counter[float]:
    out: Counter[float] = Counter()
    dict.update(out, scores)  # a Counter without Counter.update's per-call type checks
    return out


def attribute_title(name: str) -> str:
    return ATTRIBUTE_NAMES.get(name, name.replace("_", " ").capitalize())


def segmented_measures(workstream: Workstream) -> list[Question]:
    """The key measures a workstream breaks down: those with one figure."""
    if not workstream.segments:
        return []
    return [q for q in workstream.key_measures if q.kind in measures.FIGURE_KINDS]


def breakdowns(
    session: Session,
    vault: Vault,
    wanted: Sequence[tuple[Workstream, PeriodTally]],
    minimum: int,
) -> list[Breakdown]:
    """The breakdowns of ``wanted`` (workstreams with segments), counted per period."""
    by_period: dict[Period, list[tuple[Workstream, PeriodTally]]] = defaultdict(list)
    for workstream, tally in wanted:
        if segmented_measures(workstream):
            by_period[tally.period].append((workstream, tally))
    out: list[Breakdown] = []
    for period, group in by_period.items():
        questions = [q.id for w, _ in group for q in segmented_measures(w)]
        raw = count_segments(session, [w.id for w, _ in group], [period], questions)
        values = segment_values(session, raw)
        for workstream, tally in group:
            split = workstream.phase == "organization"
            for question in segmented_measures(workstream):
                whole = tally.question(question.id)
                cells = fold(raw.get((workstream.id, 0, question.id), {}), values,
                             workstream.segments)  # fmt: skip
                if sum(c.people for c in cells) != whole.people:
                    cells = []  # answered between the two counts: nothing is broken down
                decided = decide(cells, workstream.segments, minimum, split) if cells else {}
                out.append(Breakdown(workstream, question, period, whole, cells, decided))
    keys = {(a, k) for b in out for a, d in b.attributes.items() for k in d.shown}
    names = value_labels(session.connection(), vault, keys) if keys else {}
    for breakdown in out:
        breakdown.names = names
    return out


def figure_key(breakdown: Breakdown, attribute: str, key: str) -> FigureKey:
    ws, question = breakdown.workstream, breakdown.question
    return FigureKey(ws.id, question.id, f"{attribute}={key}", breakdown.period)


def bundles(found: Sequence[Breakdown], minimum: int) -> Iterator[Bundle]:
    """Per breakdown and attribute: the whole group's figure and every value it shows."""
    for b in found:
        main = candidate(b.workstream.id, b.question.id, ALL, b.period, b.whole, minimum)
        for attribute, decided in b.attributes.items():
            keys = [*decided.shown, *([OTHER] if decided.other else [])]
            if not keys:
                continue
            parts = []
            for key in keys:
                people = b.covered(attribute, key)[0]
                parts.append(Candidate(figure_key(b, attribute, key), people, people, minimum))
            yield (main, *parts)


def figures(b: Breakdown, attribute: str, admitted: frozenset[FigureKey]) -> list[SegmentFigure]:
    """The admitted figures of one attribute, largest value first and "other" last."""
    decided = b.attributes.get(attribute)
    if decided is None:
        return []
    out = []
    for key in [*decided.shown, *([OTHER] if decided.other else [])]:
        if figure_key(b, attribute, key) not in admitted:
            return []  # decided as a bundle: all or none
        people, scores = b.covered(attribute, key)
        label = "Other" if key == OTHER else b.names.get((attribute, key), "unknown")
        value = measures.figure(b.question.kind, scores)
        out.append(SegmentFigure(attribute, key, label, people, value))
    return out


def unshown_values(b: Breakdown, attribute: str) -> int:
    decided = b.attributes.get(attribute)
    return decided.unshown_values if decided else 0


def figure_text(question: Question, one: SegmentFigure) -> str:
    if one.value is None:
        return f"{one.label}: no figure ({one.people} people)"
    text = f"{one.label}: {measures.written(question.kind, one.value)} ({one.people} people"
    if question.target is not None:
        met = measures.target_met(one.value, question.target)
        text += ", target met ✓" if met else ", below target ✗"
    return text + ")"


def lines(b: Breakdown, admitted: frozenset[FigureKey], minimum: int) -> tuple[str, ...]:
    """A digest's lines for one key measure: each attribute's shown values and a note."""
    out: list[str] = []
    for attribute in b.workstream.segments:
        title = attribute_title(attribute)
        shown = figures(b, attribute, admitted)
        if shown:
            out.append(f"{title}: " + " · ".join(figure_text(b.question, f) for f in shown))
        hidden = (
            unshown_values(b, attribute)
            if shown
            else len({c.values.get(attribute, "") for c in b.cells})
        )
        merged = b.attributes[attribute].other if attribute in b.attributes and shown else None
        if not shown and b.whole.people < minimum:
            out.append(f"{title}: not enough responses yet ({minimum} needed).")
        elif not shown:
            out.append(
                f"{title}: not shown, so that no group of fewer than {minimum} people "
                "can be told apart."
            )
        elif hidden:
            kept = len(merged or ())
            what = f"{kept} in Other, " if kept else ""
            out.append(
                f"{title}: {hidden} value{'s' if hidden != 1 else ''} not shown by name "
                f"({what}groups under {minimum} people or that would reveal one)."
            )
    return tuple(out)


ANONYMOUS_SECTION = Section(
    "Results by segment",
    (
        "Not available: the program is anonymous, so answers carry no department, location or "
        "other segment (in small groups that would tell who answered).",
    ),
)


def sections(
    found: Sequence[Breakdown], admitted: frozenset[FigureKey], minimum: int
) -> list[Section]:
    """One digest section per key measure broken down; none for a measure with too few
    people to show at all (the measure itself already says so)."""
    return [
        Section(f"By segment: {b.question.ask}", lines(b, admitted, minimum))
        for b in found
        if b.whole.people >= minimum
    ]
