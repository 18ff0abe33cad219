"""Attacks on the segment figures: whatever a reader combines (two values of two attributes,
a value and the pilot, a digest and a review or a later digest of the same week), no two shown
figures tell fewer than ``min_responses`` people apart.

The shown figures are read back from what a reader sees (the digest's lines) and mapped to the
people behind them, so the check does not trust the rule it checks."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import combinations

from sqlmodel import select

from bot.app import LearnPulse
from storage.tables import ShownFigure
from surveys.digest import Digest, build_digests, scheduled_period
from surveys.review import build_review, current_period
from surveys.review_render import as_html, as_report
from surveys.segment_privacy import OTHER, Cell, decide
from tests.bot.test_report_support import text_of
from tests.surveys.segment_support import answer, population, segment_by

KEY = "respect-treated-with-respect"
THIS_WEEK = date(2026, 11, 24)  # in the scheduled period Sat 21 .. Fri 27 Nov
MINIMUM = 5
FIGURE = re.compile(r"([A-Za-z][A-Za-z ]*): [0-9.]+ / 5 \((\d+) people")


def _digest(core: LearnPulse, period_of: Digest | None = None) -> Digest:
    ws = core.require_program().workstream("respect")
    assert ws is not None
    period = period_of.period if period_of else scheduled_period(core, ws)
    [built] = build_digests(core, [(ws, period)])
    return built


def _shown_sets(
    built: Digest, attributes: Mapping[str, Mapping[str, str]]
) -> dict[str, frozenset[str]]:
    """Every figure of the key measure the digest shows, as the set of people behind it:
    ``attributes`` is each person's values (what an attacker who knows everyone's department
    and location knows)."""
    section = next(s for s in built.report.sections if s.heading.startswith("By segment"))
    everyone = frozenset(attributes)
    out: dict[str, frozenset[str]] = {"whole": everyone}
    for line in section.lines:
        title, _, rest = line.partition(": ")
        attribute = title.lower()
        named: set[str] = set()
        for label, people in FIGURE.findall(rest):
            if label == "Other":
                continue
            members = frozenset(p for p, v in attributes.items() if v.get(attribute) == label)
            assert len(members) == int(people)
            out[f"{attribute}={label}"] = members
            named.add(label)
        if "Other: " in rest:
            other = frozenset(p for p, v in attributes.items() if v.get(attribute) not in named)
            count = int(re.search(r"Other: [0-9.]+ / 5 \((\d+) people", rest).group(1))  # type: ignore[union-attr]
            assert len(other) == count
            out[f"{attribute}=other"] = other
    return out


def _no_pair_isolates(figures: Mapping[str, frozenset[str]]) -> None:
    for (name_a, a), (name_b, b) in combinations(figures.items(), 2):
        for apart in (len(a - b), len(b - a)):
            assert apart == 0 or apart >= MINIMUM, (name_a, name_b, apart)


def _people(
    core: LearnPulse, groups: Sequence[tuple[dict[str, str], int]]
) -> dict[str, dict[str, str]]:
    refs = population(core, groups)
    values = [attrs for attrs, size in groups for _ in range(size)]
    return dict(zip(refs, values, strict=True))


def test_department_and_location_cannot_be_subtracted(core: LearnPulse) -> None:
    segment_by(core, "respect", ["department", "location"])
    people = _people(
        core,
        [
            ({"department": "Engineering", "location": "Paris"}, 8),
            ({"department": "Engineering", "location": "Lisbon"}, 1),
            ({"department": "Sales", "location": "Paris"}, 1),
            ({"department": "Sales", "location": "Lisbon"}, 5),
            ({"department": "Legal", "location": "Lisbon"}, 5),
        ],
    )
    answer(core, "respect", KEY, THIS_WEEK, {ref: 1 + i % 5 for i, ref in enumerate(people)})
    shown = _shown_sets(_digest(core), people)
    # Engineering (9) and Paris (9) are one person apart each way, Sales (6) and Lisbon (11)
    # one apart too: Engineering and Sales are folded into Other, Paris and Lisbon stay.
    assert set(shown) == {
        "whole", "department=Legal", "department=other", "location=Paris", "location=Lisbon",
    }  # fmt: skip
    _no_pair_isolates(shown)


def test_a_value_one_person_short_of_the_pilot_is_hidden(core: LearnPulse) -> None:
    segment_by(core, "respect", ["department"])
    people = _people(
        core,
        [({"department": "Engineering"}, 9), ({"department": "Sales"}, 6),
         ({"department": "Legal"}, 5)],
    )  # fmt: skip
    refs = list(people)
    pilot = frozenset(refs[:10])  # Engineering and one of Sales
    answer(core, "respect", KEY, THIS_WEEK, {r: 1 + i % 5 for i, r in enumerate(refs)}, pilot)
    built = _digest(core)
    text = text_of(built.report)
    assert "Pilot group: " in text and "(10) · everyone else: " in text
    shown = _shown_sets(built, people)
    assert "department=Engineering" not in shown
    shown["pilot"] = pilot
    shown["rest"] = frozenset(refs) - pilot
    _no_pair_isolates(shown)


def test_a_digest_a_review_and_a_later_digest_of_the_week_never_differ_by_a_few(
    core: LearnPulse,
) -> None:
    segment_by(core, "respect", ["department"])
    sizes = {"Support": 2, "Legal": 4, "Sales": 5, "Engineering": 9}
    people = _people(core, [({"department": name}, n) for name, n in sizes.items()])
    answer(core, "respect", KEY, THIS_WEEK, {r: 1 + i % 5 for i, r in enumerate(people)})
    first = _digest(core)
    shown = _shown_sets(first, people)
    assert set(shown) == {"whole", "department=Engineering", "department=Sales", "department=other"}
    review = build_review(core, current_period(core))
    respect = next(w for w in review.workstreams if w.id == "respect")
    assert respect.heatmap is not None and respect.heatmap.period == first.period
    rows = {row.label: row.cells[0].people for row in respect.heatmap.rows}
    assert rows == {"Engineering": 9, "Sales": 5, "Other": 6}  # the digest's figures again
    chat = text_of(as_report(review))
    assert re.search(r"By segment: “[^”]+”: Department: Engineering \S+ / 5 ✗ · Sales ", chat)
    html = as_html(review, "now")
    assert 'class="heatmap"' in html and "Department: Sales" in html
    # two more people of Sales answer the same week: Sales would be 7, everyone 22
    more = _people(core, [({"department": "Sales"}, 2)])
    answer(core, "respect", KEY, THIS_WEEK, dict.fromkeys(more, 5.0))
    later = _digest(core, first)
    lines = next(s for s in later.report.sections if s.heading.startswith("By segment")).lines
    assert lines[0].startswith("Department: not shown")
    assert "(7 people" not in text_of(later.report)
    again = build_review(core, current_period(core))
    heat = next(w for w in again.workstreams if w.id == "respect").heatmap
    assert heat is not None and heat.rows == ()
    with core.session() as session:
        recorded = session.exec(
            select(ShownFigure).where(ShownFigure.workstream_id == "respect")
        ).all()
    counts: dict[tuple[str, str, date], set[int]] = {}
    for row in recorded:
        counts.setdefault((row.subject, row.part, row.period_start), set()).add(row.people)
    for key, seen in counts.items():
        for a, b in combinations(sorted(seen), 2):
            assert b - a >= MINIMUM, (key, seen)


def test_random_populations_never_show_a_pair_a_few_apart() -> None:
    rng = random.Random(20261130)
    for _ in range(300):
        cells = []
        for department in "abcde":
            for location in "xyz":
                for in_pilot in (False, True):
                    n = rng.choice([0, 0, 0, 1, 1, 2, 3, 4, 6, 9])
                    if n:
                        cells.append(Cell({"department": department, "location": location},
                                          in_pilot, n))  # fmt: skip
        decided = decide(cells, ["department", "location"], MINIMUM, pilot_split=True)
        people: dict[str, frozenset[int]] = {"whole": frozenset(range(len(cells)))}
        pilot = frozenset(i for i, c in enumerate(cells) if c.in_pilot)
        size = {i: c.people for i, c in enumerate(cells)}

        def count(members: frozenset[int], size: Mapping[int, int] = size) -> int:
            return sum(size[i] for i in members)

        if min(count(pilot), count(people["whole"] - pilot)) >= MINIMUM:
            people["pilot"], people["rest"] = pilot, people["whole"] - pilot
        for attribute, breakdown in decided.items():
            shown_total = 0
            for key in [*breakdown.shown, *([OTHER] if breakdown.other else [])]:
                keys = breakdown.members(key)
                members = frozenset(i for i, c in enumerate(cells) if c.values[attribute] in keys)
                assert count(members) >= MINIMUM
                assert count(people["whole"] - members) >= MINIMUM
                people[f"{attribute}={key}"] = members
                shown_total += count(members)
            unshown = count(people["whole"]) - shown_total
            assert unshown == 0 or unshown >= MINIMUM
        for (a_name, a), (b_name, b) in combinations(people.items(), 2):
            for apart in (count(a - b), count(b - a)):
                assert apart == 0 or apart >= MINIMUM, (a_name, b_name)


def test_the_heatmap_leaves_a_cell_blank_where_one_measure_may_not_show_a_value(
    core: LearnPulse,
) -> None:
    segment_by(core, "respect", ["department"])
    sizes = {"Support": 2, "Legal": 4, "Sales": 5, "Engineering": 9}
    people = _people(core, [({"department": name}, n) for name, n in sizes.items()])
    everyone = list(people)
    answer(core, "respect", KEY, THIS_WEEK, dict.fromkeys(everyone, 5.0))
    # the second key measure: Sales (5) and Legal (4) only reach Other together there
    second = "respect-safe-to-speak-up"
    answer(core, "respect", second, THIS_WEEK, dict.fromkeys(everyone[2:], 2.0))
    review = build_review(core, current_period(core))
    heat = next(w for w in review.workstreams if w.id == "respect").heatmap
    assert heat is not None
    cells = {row.label: [(c.tone, c.people) for c in row.cells] for row in heat.rows}
    assert cells == {
        "Engineering": [("met", 9), ("below", 9)],
        "Sales": [("met", 5), ("hidden", 0)],
        "Other": [("met", 6), ("below", 9)],
    }
    html = as_html(review, "now")
    assert '<td class="hidden" title="Not shown for privacy"></td>' in html
    assert "A blank cell is not shown for privacy" in html
