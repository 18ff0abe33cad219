"""The program file: a good file loads; every class of mistake is reported with its exact line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from surveys.program_file import ProgramError, load_program, parse_program
from tests.factories import EXAMPLE_PROGRAM
from tests.support import MONDAY_MORNING, base_env, run_bot

GOOD = """\
program: Culture of Learning
timezone: America/New_York
working_days: [mon, tue, wed, thu, fri]
working_hours: ["09:00", "17:00"]
holidays: ["2026-12-25"]
max_prompts_per_week: 5
anonymity: {min_responses: 5, min_comments: 5, mode: confidential}
admins: ["slack:U0ADMIN01"]
self_assessment: {cadence: monthly, on: 1, at: "10:00"}
review: {every_months: 6, to: "slack:channel:C0REVIEW"}
workstreams:
  - id: lms
    name: LMS rollout
    lead: slack:U0LEAD001
    digest_to: slack:channel:C0LMSLEAD
    digest: {cadence: weekly, on: fri, at: "16:00"}
    phase: pilot
    pilot: [slack:U0000001, slack:U0000002]
    audience: [slack:channel:C0ALLHAND]
    questions:
      - id: lms-confidence
        ask: How confident are you using the LMS?
        kind: scale
        cadence: weekly
        on: mon
        at: "10:00"
        key_measure: true
        target: 4.0
        comment: optional
      - id: lms-blockers
        ask: What got in the way?
        kind: text
        cadence: weekly
        on: wed
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "p.yaml")
    return caught.value.problems


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            count += 1
            if count == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the text")


def test_good_file_loads_with_typed_values() -> None:
    program = parse_program(GOOD)
    ws = program.workstreams[0]
    assert ws.questions[0].on == "mon"  # not YAML 1.1's True
    assert ws.questions[0].at == "10:00"  # not sexagesimal 600
    assert ws.key_measures[0].target == 4.0
    assert program.anonymity.min_responses == 5
    assert program.self_assessment is not None and program.self_assessment.day_of_month == 1


def test_example_program_is_valid() -> None:
    program = load_program(EXAMPLE_PROGRAM)
    assert len(program.workstreams) == 6
    kinds = {q.kind for w in program.workstreams for q in w.questions}
    cadences = {q.cadence for w in program.workstreams for q in w.questions}
    assert kinds == {"scale", "enps", "choice", "yes_no", "text"}
    assert cadences == {"daily", "weekly", "monthly"}
    assert all(
        w.key_measures and all(q.target is not None for q in w.key_measures)
        for w in program.workstreams
    )


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "    phase: pilot\n",
            "    phase: pilot\n    colour: blue\n",
            "colour: blue",
            "unknown key 'colour'",
        ),
        (
            "lead: slack:U0LEAD001",
            "lead: bob@example.com",
            "lead: bob",
            "is not a known reference format",
        ),
        (
            "lead: slack:U0LEAD001",
            "lead: slack:channel:C0LEADS",
            "lead: slack:channel",
            "expected a person",
        ),
        (
            "audience: [slack:channel:C0ALLHAND]",
            "audience: [discord:1234]",
            "audience:",
            "not a known reference",
        ),
        (
            "        key_measure: true\n        target: 4.0\n",
            "",
            "    questions:",
            "has no key measure",
        ),
        (
            "- id: lms-blockers",
            "- id: lms-confidence",
            "- id: lms-confidence",
            "duplicate question id",
        ),
        ('        at: "10:00"', '        at: "25:00"', 'at: "25:00"', "is not a time of day"),
        ('        at: "10:00"', '        at: "18:30"', 'at: "18:30"', "outside working_hours"),
        (
            "min_responses: 5",
            "min_responses: 2",
            "min_responses: 2",
            "below 3 would identify people",
        ),
        ("kind: scale", "kind: stars", "kind: stars", "is not one of"),
        ("        on: wed", "        on: someday", "on: someday", "is not a weekday"),
        ("target: 4.0", "target: 9.0", "target: 9.0", "outside 1..5 for scale"),
        (
            "timezone: America/New_York",
            "timezone: Mars/Olympus",
            "timezone:",
            "not an IANA time zone",
        ),
        ('holidays: ["2026-12-25"]', 'holidays: ["2026-13-45"]', "holidays:", "is not a date"),
        ("    name: LMS rollout\n", "", "  - id: lms", "missing key 'name'"),
        (
            'working_hours: ["09:00", "17:00"]',
            'working_hours: ["17:00", "09:00"]',
            "working_hours",
            "not before",
        ),
        (
            "        kind: text\n",
            "        kind: text\n        target: 3\n",
            "target: 3",
            "only for key measures",
        ),
        ("phase: pilot", "phase: everyone", "phase: everyone", "is not one of"),
        ("mode: confidential", "mode: public", "anonymity:", "is not one of"),
    ],
)
def test_each_mistake_is_reported_at_its_line(
    old: str, new: str, needle: str, message: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    problems = _problems(text)
    expected_line = (
        _line_of(text, needle) if needle != "- id: lms-confidence" else _line_of(text, needle, 2)
    )
    matching = [p for p in problems if message in p]
    assert matching, problems
    assert matching[0].startswith(f"p.yaml:{expected_line}: "), problems


def test_duplicate_workstream_ids_and_keys_are_reported() -> None:
    lines = GOOD.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  - id: lms"))
    block = (
        "".join(lines[start:])
        .replace("lms-confidence", "x-confidence")
        .replace("lms-blockers", "x-blockers")
    )
    text = GOOD + block + "program: again\n"
    problems = _problems(text)
    second = [n for n, line in enumerate(text.splitlines(), 1) if line == "  - id: lms"][1]
    assert f"p.yaml:{second}: duplicate workstream id 'lms'" in problems
    assert f"p.yaml:{_line_of(text, 'program: again')}: duplicate key 'program'" in problems


def test_a_choice_without_options_and_a_text_key_measure() -> None:
    text = GOOD.replace("kind: text", "kind: choice").replace(
        "        kind: scale\n", "        kind: text\n"
    )
    problems = _problems(text)
    assert any(
        p.startswith(f"p.yaml:{_line_of(text, 'kind: choice')}:") and "two options" in p
        for p in problems
    )
    assert any(
        p.startswith(f"p.yaml:{_line_of(text, 'key_measure: true')}:")
        and "cannot be a key measure" in p
        for p in problems
    )


def test_yaml_syntax_error_reports_its_line() -> None:
    text = GOOD.replace("    phase: pilot\n", "    phase: [pilot\n")
    problems = _problems(text)
    assert (
        len(problems) == 1 and problems[0].startswith("p.yaml:") and "not valid YAML" in problems[0]
    )


def test_not_a_mapping_and_unreadable_file(tmp_path: Path) -> None:
    assert _problems("- a\n- b\n") == ["p.yaml:1: the program file must be a mapping of keys"]
    with pytest.raises(ProgramError) as caught:
        load_program(tmp_path / "missing.yaml")
    assert caught.value.problems[0].startswith(f"{tmp_path / 'missing.yaml'}:1: cannot read")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env=base_env(MONDAY_MORNING), timeout=60)


def test_validate_cli_ok_and_three_mistakes(tmp_path: Path) -> None:
    ok = _cli("validate", str(EXAMPLE_PROGRAM))
    assert ok.returncode == 0, ok.stderr
    assert "6 workstreams" in ok.stdout

    bad = GOOD.replace("lead: slack:U0LEAD001", "lead: bob").replace("kind: scale", "kind: stars")
    bad = bad.replace("min_responses: 5", "min_responses: 1")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    result = _cli("validate", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert lines == sorted(lines, key=lambda line: int(line.split(":")[1]))
    assert [int(line.split(":")[1]) for line in lines] == [
        _line_of(bad, "min_responses: 1"),
        _line_of(bad, "lead: bob"),
        _line_of(bad, "kind: stars"),
    ]
    assert all(line.startswith(f"{path}:") for line in lines)
