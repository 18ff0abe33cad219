"""Segments: tenure bands, the program's ``segments`` key, assignment in sets, answers that
carry their person's segment, and the per-attribute privacy rule in digests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import select as select_model

from bot.app import LearnPulse
from bot.events import AnswerGiven
from bot.ports import Member
from storage.tables import Answer, PersonRecord
from surveys import answers, roster, segments
from surveys.digest import Digest, build_digests, scheduled_period
from surveys.person_attributes import store_attributes
from surveys.program_file import ProgramError, parse_program
from surveys.segment_privacy import OTHER, decide_attribute
from surveys.segments import SEGMENTS
from tests.bot.test_report_support import text_of
from tests.surveys.engine_support import make_core, program_text, question, run
from tests.surveys.segment_support import TODAY, answer, population, segment_by

KEY = "respect-treated-with-respect"  # scale key measure of "respect", target 4.3
THIS_WEEK = date(2026, 11, 24)  # in the scheduled period Sat 21 .. Fri 27 Nov


def _digest(core: LearnPulse) -> Digest:
    ws = core.require_program().workstream("respect")
    assert ws is not None
    [built] = build_digests(core, [(ws, scheduled_period(core, ws))])
    return built


def _segment_lines(built: Digest) -> list[str]:
    """The lines under the first key measure broken down (``KEY``)."""
    found = [s for s in built.report.sections if s.heading.startswith("By segment")]
    return list(found[0].lines)


def _with_segments(line: str) -> str:
    text = program_text([question("q", "weekly", "mon", "10:00", key=True)])
    return text.replace(
        "    audience: [slack:channel:C0ALL]\n", f"    audience: [slack:channel:C0ALL]\n{line}"
    )


def test_the_program_names_segments_and_bad_ones_are_refused_by_line() -> None:
    program = parse_program(_with_segments("    segments: [department, tenure]\n"))
    assert program.workstreams[0].segments == ["department", "tenure"]
    with pytest.raises(ProgramError) as refused:
        parse_program(_with_segments("    segments: [Department, start_date, tenure, tenure]\n"))
    problems = refused.value.problems
    line = next(n for n, text in enumerate(_with_segments("    segments: [x]\n").splitlines(), 1)
                if "segments:" in text)  # fmt: skip
    assert len(problems) == 4
    assert all(p.startswith(f"program.yaml:{line}: workstream 'lms': segments: ") for p in problems)
    assert "'Department' is not an attribute name" in problems[0]
    assert "use tenure" in problems[1]
    assert "'tenure' is listed twice" in problems[2]
    assert "at most 3 attributes" in problems[3]


def test_people_sharing_values_share_a_segment_named_by_value_ids(core: LearnPulse) -> None:
    segment_by(core, "respect", ["department", "location", "tenure"])
    a, b, c, d = population(
        core,
        [
            ({"department": "Sales", "location": "Lisbon", "start_date": "2024-01-15"}, 2),
            ({"department": "Sales", "location": "Denver", "start_date": "2018-03-01"}, 1),
            ({"manager": "Ann"}, 1),
        ],
    )
    with core.session() as session:
        people = {p.ref: p for p in session.exec(select_model(PersonRecord)).all()}
    with core.engine.connect() as connection:
        found = connection.execute(select(SEGMENTS.c.id, SEGMENTS.c.signature))
        stored = {int(segment_id): str(text) for segment_id, text in found}
    assert people[a].segment_id == people[b].segment_id is not None
    assert people[c].segment_id not in (None, people[a].segment_id)
    assert people[d].segment_id is None  # none of the segmented attributes
    signature = stored[people[a].segment_id or 0]
    assert "Sales" not in signature and "Lisbon" not in signature
    assert segments.parse_signature(signature)["tenure"] == "t1"  # 2 years 10 months
    assert segments.parse_signature(stored[people[c].segment_id or 0])["tenure"] == "t3"
    with core.engine.begin() as connection:
        names = segments.value_labels(
            connection, core.vault, [("tenure", "t1"), ("department", "")]
        )
    assert names == {("tenure", "t1"): "1\u20133 years", ("department", ""): "not recorded"}
    store_attributes(core.engine, core.vault, {people[b].id or 0: {"department": "Legal"}})
    assert segments.assign(core.engine, core.vault, core.program, TODAY) == 1  # only b moved
    assert segments.assign(core.engine, core.vault, core.program, TODAY) == 0


def test_a_program_that_segments_nothing_takes_everyones_segment_away(core: LearnPulse) -> None:
    segment_by(core, "respect", ["department"])
    refs = population(core, [({"department": "Sales"}, 2), ({"department": "Legal"}, 1)])
    with core.session() as session:
        people = session.exec(select_model(PersonRecord)).all()
        assert all(p.segment_id for p in people if p.ref in refs)
        carrying = sum(p.segment_id is not None for p in people)
    unsegmented = parse_program(program_text([question("q", "weekly", "mon", "10:00", key=True)]))
    assert carrying >= 3
    assert segments.assign(core.engine, core.vault, unsegmented, TODAY) == carrying
    with core.session() as session:
        assert all(p.segment_id is None for p in session.exec(select_model(PersonRecord)).all())
    assert segments.assign(core.engine, core.vault, unsegmented, TODAY) == 0


def test_sizes_2_4_5_9_show_9_and_5_and_merge_2_and_4() -> None:
    decided = decide_attribute("department", {"a": 2, "b": 4, "c": 5, "d": 9}, 5)
    assert decided.shown == ["d", "c"]
    assert decided.other == frozenset({"a", "b"})
    assert decided.unshown_values == 2


def test_other_too_small_hides_the_smallest_shown_value_instead() -> None:
    # 2 alone cannot be Other, and 16 - 9 - 5 = 2 would be revealed: 5 joins 2 in Other (7)
    decided = decide_attribute("department", {"a": 2, "c": 5, "d": 9}, 5)
    assert (decided.shown, decided.other) == (["d"], frozenset({"a", "c"}))
    # 9 of 13 leaves a rest of 4: nothing can be shown, not even Other (13 = everyone)
    decided = decide_attribute("department", {"b": 4, "d": 9}, 5)
    assert (decided.shown, decided.other) == ([], None)
    # two values of 9 and one of 2: the second 9 goes to Other with the 2
    decided = decide_attribute("department", {"a": 2, "d": 9, "e": 9}, 5)
    assert (decided.shown, decided.other) == (["e"], frozenset({"a", "d"}))
    # a refused Other leaves 2 and 4 hidden: 6 people unshown, which reveals no one
    decided = decide_attribute("department", {"a": 2, "b": 4, "c": 5, "d": 9}, 5,
                               frozenset({OTHER}))  # fmt: skip
    assert decided.other is None and decided.shown == ["d", "c"]
    # with 1 and 3 instead, the 4 unshown would be: 5 is hidden too (9 unshown)
    decided = decide_attribute("department", {"a": 1, "b": 3, "c": 5, "d": 9}, 5,
                               frozenset({OTHER}))  # fmt: skip
    assert decided.other is None and decided.shown == ["d"]


def test_the_digest_shows_9_5_and_other_matching_the_raw_answers(core: LearnPulse) -> None:
    segment_by(core, "respect", ["department"])
    sizes = {"Support": 2, "Legal": 4, "Sales": 5, "Engineering": 9}
    refs = population(core, [({"department": name}, n) for name, n in sizes.items()])
    scores: dict[str, float] = {}
    for i, ref in enumerate(refs):
        scores[ref] = [5, 4, 3, 2, 1][i % 5]
    answer(core, "respect", KEY, THIS_WEEK, scores)
    by_department: dict[str, list[float]] = {}
    for i, (name, n) in enumerate(sizes.items()):
        start = sum(list(sizes.values())[:i])
        by_department[name] = [scores[r] for r in refs[start : start + n]]
    built = _digest(core)
    [line, note] = _segment_lines(built)
    mean = {name: sum(v) / len(v) for name, v in by_department.items()}
    other = by_department["Support"] + by_department["Legal"]
    assert line == (
        f"Department: Engineering: {mean['Engineering']:.1f} / 5 (9 people, below target ✗)"
        f" · Sales: {mean['Sales']:.1f} / 5 (5 people, below target ✗)"
        f" · Other: {sum(other) / len(other):.1f} / 5 (6 people, below target ✗)"
    )
    assert note.startswith("Department: 2 values not shown by name (2 in Other")
    text = text_of(built.report)
    assert "Support" not in text and "Legal" not in text


@pytest.mark.parametrize("mode", ["confidential", "anonymous"])
def test_answers_copy_their_persons_segment_only_when_confidential(
    database_url: str, tmp_path: Path, mode: str
) -> None:
    people = [Member(f"slack:USEGC{i:04d}", timezone="America/New_York") for i in range(3)]
    text = program_text([question("q", "weekly", "mon", "10:00", key=True)], mode=mode)
    text = text.replace(
        "    audience: [slack:channel:C0ALL]\n",
        "    audience: [slack:channel:C0ALL]\n    segments: [department]\n",
    )
    core, chat, _clock = make_core(
        database_url, tmp_path, text, datetime(2026, 11, 30, 15, tzinfo=UTC), people
    )
    stored = roster.upsert_people(core.engine, people)
    attributes = {stored[m.person].id: {"department": "Sales"} for m in people}
    store_attributes(core.engine, core.vault, attributes)
    run(core)  # refreshes the audience, which assigns the segments
    for member in people:
        delivery = chat.prompts[member.person][0].delivery_id
        [outcome] = answers.record_all(core, [AnswerGiven(member.person, delivery, "q", "4")])
        assert outcome.accepted
    refs = {m.person for m in people}
    with core.session() as session:
        rows = session.exec(select_model(PersonRecord)).all()
        segment_ids = {p.segment_id for p in rows if p.ref in refs}
        carried = {a.segment_id for a in session.exec(select_model(Answer)).all()}
    assert len(segment_ids) == 1 and None not in segment_ids
    assert carried == (segment_ids if mode == "confidential" else {None})


def test_an_anonymous_program_says_once_that_segments_are_unavailable(core: LearnPulse) -> None:
    program = core.require_program()
    core.program = program.model_copy(
        update={"anonymity": program.anonymity.model_copy(update={"mode": "anonymous"})}
    )
    segment_by(core, "respect", ["department"])
    refs = population(core, [({"department": "Sales"}, 6)])
    answer(core, "respect", KEY, THIS_WEEK, dict.fromkeys(refs, 4.0))
    built = _digest(core)
    headings = [s.heading for s in built.report.sections]
    assert headings.count("Results by segment") == 1
    assert not any(h.startswith("By segment") for h in headings)
    assert "Sales" not in text_of(built.report)
