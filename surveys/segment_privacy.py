"""Which segment figures of one question and period may be shown: privacy first.

A breakdown starts from cells: the people of one segment (a combination of attribute values)
in or out of the pilot, counted by the database. Every figure is a set of cells: a value of an
attribute (everyone whose department is Sales), "other" (the values merged), the whole group,
the pilot and the rest. Per attribute:

- a value is shown only if it has at least ``min_responses`` people and so has the rest of the
  group (whole - value);
- the values below are merged into "other" only if "other" and the rest (whole - other) each
  reach ``min_responses``; otherwise they are hidden;
- if what is left unshown (whole - shown values - other) is more than 0 but fewer than
  ``min_responses`` people, the smallest shown value is hidden too, and so on, so the shown
  figures never add up to the whole but for a handful of people.

Across attributes and the pilot split, no two figures that may be shown (any value, "other", the
whole, the pilot, the rest) differ, as sets of people, by 1 to ``min_responses`` - 1 people on
either side: the sizes of ``X - Y`` and ``Y - X`` come from the cells both cover. The smaller of
two such figures is hidden (its attribute decided again without it) until no pair isolates
anyone. What is left then still passes ``surveys.disclosure`` figure by figure, against what
any surface showed before for the same value and period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

OTHER = "other"


@dataclass(frozen=True)
class Cell:
    """People of one segment, in the pilot or not, and their scores."""

    values: Mapping[str, str]  # attribute -> value key
    in_pilot: bool
    people: int
    scores: Mapping[float, int] = field(default_factory=dict)


@dataclass
class AttributeBreakdown:
    """What one attribute shows: values by key, "other" (the keys merged), and how many
    values are not shown by name (merged or hidden)."""

    attribute: str
    shown: list[str]
    other: frozenset[str] | None
    unshown_values: int
    counts: dict[str, int]

    def members(self, key: str) -> frozenset[str]:
        """The value keys a shown figure covers (``OTHER`` covers the merged ones)."""
        if key == OTHER:
            return self.other or frozenset()
        return frozenset({key})


def per_value(cells: Iterable[Cell], attribute: str) -> dict[str, int]:
    """People per value key of ``attribute``."""
    counts: Counter[str] = Counter()
    for cell in cells:
        counts[cell.values.get(attribute, "")] += cell.people
    return dict(counts)


def decide_attribute(
    attribute: str, counts: Mapping[str, int], minimum: int, refused: frozenset[str] = frozenset()
) -> AttributeBreakdown:
    """The per-attribute rule; ``refused`` keys (a value key, or ``OTHER``) are never shown."""
    whole = sum(counts.values())
    dropped: set[str] = {k for k in refused if k != OTHER}
    while True:
        shown = [
            key
            for key, n in counts.items()
            if key not in dropped and n >= minimum and whole - n >= minimum
        ]
        below = frozenset(key for key in counts if key not in shown)
        merged = sum(counts[key] for key in below)
        other = (
            below
            if below and OTHER not in refused and merged >= minimum and whole - merged >= minimum
            else None
        )
        left = whole - sum(counts[key] for key in shown) - (merged if other else 0)
        if not 0 < left < minimum or not shown:
            break
        dropped.add(min(shown, key=lambda key: (counts[key], key)))
    shown.sort(key=lambda key: (-counts[key], key))
    return AttributeBreakdown(attribute, shown, other, len(counts) - len(shown), dict(counts))


FIXED = ""  # the pseudo-attribute of the whole group, the pilot and the rest


@dataclass(frozen=True)
class Figure:
    """A figure that may be shown: its attribute (``FIXED`` for the whole group, the pilot and
    the rest), its key, the value keys it covers and its people."""

    attribute: str
    key: str
    members: frozenset[str]
    people: int


class _Overlaps:
    """People in both of two figures, from a cross-tabulation of each pair of attributes
    (computed once per pair: the cells are read once, not once per pair of figures)."""

    def __init__(self, cells: Sequence[Cell]) -> None:
        self.cells = cells
        self.tables: dict[tuple[str, str], Counter[tuple[str, str]]] = {}

    def both(self, one: Figure, other: Figure) -> int:
        pair = (one.attribute, other.attribute)
        table = self.tables.get(pair)
        if table is None:
            table = Counter()
            for cell in self.cells:
                table[(_key(cell, one.attribute), _key(cell, other.attribute))] += cell.people
            self.tables[pair] = table
        return sum(table[(a, b)] for a in one.members for b in other.members)


def _key(cell: Cell, attribute: str) -> str:
    if attribute == FIXED:
        return "pilot" if cell.in_pilot else "rest"
    return cell.values.get(attribute, "")


def decide(
    cells: Sequence[Cell], attributes: Sequence[str], minimum: int, pilot_split: bool
) -> dict[str, AttributeBreakdown]:
    """Every attribute's breakdown, after the cross-attribute and pilot check."""
    refused: dict[str, set[str]] = {a: set() for a in attributes}
    overlaps = _Overlaps(cells)
    counts = {a: per_value(cells, a) for a in attributes}
    while True:
        breakdowns = {
            a: decide_attribute(a, counts[a], minimum, frozenset(refused[a])) for a in attributes
        }
        figures = list(_fixed_figures(cells, minimum, pilot_split))
        for attribute, breakdown in breakdowns.items():
            for key in [*breakdown.shown, *([OTHER] if breakdown.other else [])]:
                members = breakdown.members(key)
                people = sum(counts[attribute][k] for k in members)
                figures.append(Figure(attribute, key, members, people))
        clashes = _clashes(overlaps, figures, minimum)
        if not clashes:
            return breakdowns
        for figure in clashes:
            refused[figure.attribute].add(figure.key)


def _fixed_figures(cells: Sequence[Cell], minimum: int, pilot_split: bool) -> Iterable[Figure]:
    """The whole group, and the pilot and the rest where they may be shown."""
    pilot = sum(c.people for c in cells if c.in_pilot)
    whole = sum(c.people for c in cells)
    yield Figure(FIXED, "all", frozenset({"pilot", "rest"}), whole)
    if pilot_split and pilot >= minimum and whole - pilot >= minimum:
        yield Figure(FIXED, "pilot", frozenset({"pilot"}), pilot)
        yield Figure(FIXED, "rest", frozenset({"rest"}), whole - pilot)


def _clashes(overlaps: _Overlaps, figures: Sequence[Figure], minimum: int) -> list[Figure]:
    """Segment figures to hide: for each pair that isolates 1..minimum-1 people, the smaller
    one, pairs already settled by an earlier drop in this pass skipped (the caller decides the
    attributes again and checks anew)."""
    dropped: list[Figure] = []
    for i, one in enumerate(figures):
        for other in figures[i + 1 :]:
            if one.attribute == other.attribute or one in dropped or other in dropped:
                continue  # the per-attribute rule covers values of one attribute
            both = overlaps.both(one, other)
            if any(0 < n - both < minimum for n in (one.people, other.people)):
                dropped.append(_to_drop(one, other))
    return dropped


def _to_drop(one: Figure, other: Figure) -> Figure:
    """Of two clashing figures, the smaller segment figure (fixed groups always stay)."""
    if one.attribute == FIXED:
        return other
    if other.attribute == FIXED:
        return one
    return min((one, other), key=lambda f: (f.people, f.attribute, f.key))
