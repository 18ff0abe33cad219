"""The program file: ``program.yaml`` loaded into the typed models of ``surveys.program``,
every mistake reported by line.

``load_program`` returns a ``Program`` or raises ``ProgramError`` whose ``problems`` each read
``FILE:LINE: message``; a bad file is refused as a whole. The models' own validation finds
unknown, missing and mistyped keys; the checks here find what needs more than one value or a
rule of its own: references, ids, targets, times of day, thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from surveys import references, theme_rules
from surveys.people_file import PeopleFileError, read_people_file
from surveys.person_attributes import valid_attribute
from surveys.program import KINDS, WEEKDAYS, Program
from surveys.references import RefKind
from surveys.yamlsource import Path, SourceMap, YamlSyntaxError, load

TARGET_RANGES: dict[str, tuple[float, float]] = {
    "scale": (1.0, 5.0),
    "enps": (-100.0, 100.0),
    "yes_no": (0.0, 100.0),
}
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
START_DATE = "start_date"  # segmented by as tenure bands
MAX_SEGMENTS = 3


class ProgramError(ValueError):
    """The program file was refused; ``problems`` are ``FILE:LINE: message`` lines in order."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_program(path: str | FilePath) -> Program:
    """Read and validate a program file; raise ``ProgramError`` listing every problem."""
    path = FilePath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgramError([f"{path}:1: cannot read the program file ({exc.strerror})"]) from None
    return parse_program(text, str(path))


def parse_program(text: str, filename: str = "program.yaml") -> Program:
    """Validate program text; every structural and semantic problem is collected first."""
    try:
        data, source = load(text)
    except YamlSyntaxError as exc:
        raise ProgramError([f"{filename}:{exc.line}: {exc.message}"]) from None
    found: list[tuple[Path, str]] = []
    if not isinstance(data, dict):
        raise ProgramError([f"{filename}:1: the program file must be a mapping of keys"])
    found.extend((p, f"duplicate key {p[-1]!r}") for p, _ in source.duplicates)
    program: Program | None = None
    try:
        program = Program.model_validate(data)
    except ValidationError as exc:
        found.extend(_structural(exc))
    found.extend(_semantic(data))
    people_file, people_problems = _check_people(data.get("people"), filename)
    found.extend(people_problems)
    if found:
        problems = _format(found, source, filename)
        raise ProgramError(problems + (people_file.problems if people_file else []))
    assert program is not None
    if program.people is not None:
        program = program.model_copy(update={"people": str(people_path(program.people, filename))})
    return program


def people_path(value: str, program_filename: str) -> FilePath:
    """The people file named by the program's ``people:`` key: relative to the program file."""
    return FilePath(program_filename).parent / value


def _check_people(
    value: Any, filename: str
) -> tuple[PeopleFileError | None, list[tuple[Path, str]]]:
    """The people file must exist and read cleanly; its own problems are its FILE:LINE lines.
    Whether its people are in chat is known only when it is imported."""
    if not isinstance(value, str) or not value:
        return None, []
    path = people_path(value, filename)
    if not path.is_file():
        return None, [(("people",), f"people: {value!r} is not a file (relative to {filename})")]
    try:
        read_people_file(path)
    except PeopleFileError as exc:
        return exc, [(("people",), f"people: {value!r} was refused (its problems follow)")]
    return None, []


def _format(found: list[tuple[Path, str]], source: SourceMap, filename: str) -> list[str]:
    seen: set[tuple[int, str]] = set()
    lines: list[tuple[int, str]] = []
    for path, message in found:
        entry = (source.line_of(path), message)
        if entry not in seen:
            seen.add(entry)
            lines.append(entry)
    lines.sort(key=lambda e: e[0])
    return [f"{filename}:{line}: {message}" for line, message in lines]


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "program"


def _structural(exc: ValidationError) -> Iterator[tuple[Path, str]]:
    for error in exc.errors():
        loc = tuple(
            p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function"))
        )
        kind = error["type"]
        where = _dotted(loc[:-1]) if loc else "program"
        if kind == "extra_forbidden":
            yield loc, f"unknown key {loc[-1]!r} in {where}"
        elif kind == "missing":
            yield loc[:-1], f"missing key {loc[-1]!r} in {where}"
        elif kind == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            yield loc, f"{_dotted(loc)}: {error['input']!r} is not one of {expected}"
        else:
            yield loc, f"{_dotted(loc)}: {error['msg'].lower()}"


def _semantic(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Checks that need more than one value: references, ids, targets, times, thresholds."""
    yield from _check_time_zone(data.get("timezone"), ("timezone",))
    days = data.get("working_days")
    if isinstance(days, list):
        for i, day in enumerate(days):
            if day not in WEEKDAYS:
                yield (
                    ("working_days", i),
                    f"working_days: {day!r} is not a weekday ({', '.join(WEEKDAYS)})",
                )
    hours = data.get("working_hours", ["09:00", "17:00"])
    checked = _check_hours(hours)
    window: tuple[str, str] | None = None
    if isinstance(checked, str):
        yield ("working_hours",), checked
    else:
        window = checked
    holidays = data.get("holidays")
    if isinstance(holidays, list):
        for i, day in enumerate(holidays):
            try:
                date.fromisoformat(str(day))
            except ValueError:
                yield ("holidays", i), f"holidays: {day!r} is not a date (YYYY-MM-DD)"
    budget = data.get("max_prompts_per_week")
    if isinstance(budget, int) and budget < 1:
        yield ("max_prompts_per_week",), "max_prompts_per_week must be at least 1"
    anonymity = data.get("anonymity")
    if isinstance(anonymity, dict):
        for key in ("min_responses", "min_comments"):
            value = anonymity.get(key)
            if isinstance(value, int) and value < 3:
                yield (
                    ("anonymity", key),
                    f"anonymity.{key} is {value}; below 3 would identify people",
                )
    admins = data.get("admins")
    if isinstance(admins, list):
        for i, ref in enumerate(admins):
            yield from _ref(ref, {RefKind.PERSON}, ("admins", i), "admin")
    for key in ("self_assessment", "outcomes"):
        if isinstance(data.get(key), dict):
            yield from _check_schedule(data[key], (key,), window, key)
    review = data.get("review")
    if isinstance(review, dict):
        every = review.get("every_months")
        if isinstance(every, int) and not 1 <= every <= 12:
            yield ("review", "every_months"), "review.every_months must be between 1 and 12"
        if "to" in review:
            yield from _ref(
                review["to"], {RefKind.CHANNEL, RefKind.PERSON}, ("review", "to"), "review.to"
            )
        if "at" in review:
            yield from _check_at(review["at"], ("review", "at"), None, "review.at")
    yield from theme_rules.check(data.get("themes"))
    workstreams = data.get("workstreams")
    if workstreams is None or workstreams == []:
        yield ("workstreams",), "the program needs at least one workstream"
        return
    if not isinstance(workstreams, list):
        return
    workstream_ids: dict[str, int] = {}
    question_ids: dict[str, Path] = {}
    for wi, ws in enumerate(workstreams):
        if isinstance(ws, dict):
            yield from _check_workstream(
                ws, ("workstreams", wi), window, workstream_ids, question_ids
            )


def _check_workstream(
    ws: dict[str, Any],
    at: Path,
    window: tuple[str, str] | None,
    workstream_ids: dict[str, int],
    question_ids: dict[str, Path],
) -> Iterator[tuple[Path, str]]:
    ws_id = ws.get("id")
    label = f"workstream {ws_id!r}" if ws_id else "workstream"
    if isinstance(ws_id, str):
        if not _ID.match(ws_id):
            yield (*at, "id"), f"{label}: id must be lowercase letters, digits and dashes"
        if ws_id in workstream_ids:
            yield (*at, "id"), f"duplicate workstream id {ws_id!r}"
        workstream_ids[ws_id] = 1
    if "lead" in ws:
        yield from _ref(ws["lead"], {RefKind.PERSON}, (*at, "lead"), f"{label}: lead")
    if "digest_to" in ws:
        yield from _ref(
            ws["digest_to"],
            {RefKind.CHANNEL, RefKind.PERSON},
            (*at, "digest_to"),
            f"{label}: digest_to",
        )
    if "announce_to" in ws:
        yield from _ref(
            ws["announce_to"], {RefKind.CHANNEL}, (*at, "announce_to"), f"{label}: announce_to"
        )
    if isinstance(ws.get("digest"), dict):
        yield from _check_schedule(ws["digest"], (*at, "digest"), None, f"{label}: digest")
    if isinstance(ws.get("segments"), list):
        yield from _check_segments(ws["segments"], (*at, "segments"), label)
    for key, kinds in (("pilot", {RefKind.PERSON}), ("audience", set(RefKind))):
        refs = ws.get(key)
        if isinstance(refs, list):
            for i, ref in enumerate(refs):
                yield from _ref(ref, kinds, (*at, key, i), f"{label}: {key}")
    if ws.get("phase", "pilot") == "pilot" and not ws.get("pilot"):
        yield (*at, "phase"), f"{label}: phase is pilot but the pilot group is empty"
    if "audience" in ws and not ws.get("audience"):
        yield (*at, "audience"), f"{label}: audience is empty"
    questions = ws.get("questions")
    if not isinstance(questions, list) or not questions:
        yield (*at, "questions"), f"{label}: needs at least one question"
        return
    has_key_measure = False
    for qi, question in enumerate(questions):
        if not isinstance(question, dict):
            continue
        qat = (*at, "questions", qi)
        has_key_measure |= question.get("key_measure") is True
        yield from _check_question(question, qat, window, question_ids)
    if not has_key_measure:
        yield (
            (*at, "questions"),
            f"{label}: has no key measure (mark one question key_measure: true)",
        )


def _check_segments(names: list[Any], at: Path, label: str) -> Iterator[tuple[Path, str]]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not isinstance(name, str) or not valid_attribute(name):
            yield (*at, i), f"{label}: segments: {name!r} is not an attribute name (department)"
        elif name == START_DATE:
            yield (*at, i), f"{label}: segments: use tenure (bands of start_date), not start_date"
        elif name in seen:
            yield (*at, i), f"{label}: segments: {name!r} is listed twice"
        seen.add(str(name))
    if len(names) > MAX_SEGMENTS:
        yield at, f"{label}: segments: at most {MAX_SEGMENTS} attributes"


def _check_question(
    q: dict[str, Any], at: Path, window: tuple[str, str] | None, question_ids: dict[str, Path]
) -> Iterator[tuple[Path, str]]:
    q_id = q.get("id")
    label = f"question {q_id!r}" if q_id else "question"
    if isinstance(q_id, str):
        if not _ID.match(q_id):
            yield (*at, "id"), f"{label}: id must be lowercase letters, digits and dashes"
        if q_id in question_ids:
            yield (*at, "id"), f"duplicate question id {q_id!r}"
        question_ids[q_id] = at
    kind = q.get("kind")
    options = q.get("options")
    if kind == "choice":
        if not isinstance(options, list) or len(options) < 2:
            yield (*at, "kind"), f"{label}: a choice question needs at least two options"
        elif len({str(o) for o in options}) != len(options):
            yield (*at, "options"), f"{label}: options repeat"
    elif options is not None:
        yield (*at, "options"), f"{label}: options are only for choice questions"
    if q.get("key_measure") is True:
        if kind in TARGET_RANGES:
            target = q.get("target")
            low, high = TARGET_RANGES[kind]
            if target is None:
                yield (*at, "key_measure"), f"{label}: a key measure needs a target"
            elif isinstance(target, int | float) and not low <= target <= high:
                yield (
                    (*at, "target"),
                    f"{label}: target {target} is outside {low:g}..{high:g} for {kind}",
                )
        elif kind in KINDS:
            yield (*at, "key_measure"), f"{label}: a {kind} question cannot be a key measure"
    elif "target" in q:
        yield (*at, "target"), f"{label}: target is only for key measures"
    yield from _check_schedule(q, at, window, label)


def _check_schedule(
    s: dict[str, Any], at: Path, window: tuple[str, str] | None, label: str
) -> Iterator[tuple[Path, str]]:
    cadence, on = s.get("cadence"), s.get("on")
    if cadence == "daily" and on is not None:
        yield (*at, "on"), f"{label}: 'on' is not for daily cadence"
    elif cadence == "weekly" and on is not None and on not in WEEKDAYS:
        yield (*at, "on"), f"{label}: on {on!r} is not a weekday ({', '.join(WEEKDAYS)})"
    elif cadence == "monthly" and on is not None and not (isinstance(on, int) and 1 <= on <= 31):
        yield (*at, "on"), f"{label}: on {on!r} is not a day of the month (1..31)"
    if "at" in s:
        yield from _check_at(s["at"], (*at, "at"), window, label)


def _check_at(
    value: Any, at: Path, window: tuple[str, str] | None, label: str
) -> Iterator[tuple[Path, str]]:
    if not isinstance(value, str) or not _HHMM.match(value):
        yield at, f"{label}: at {value!r} is not a time of day (HH:MM, 00:00..23:59)"
    elif window and not window[0] <= value < window[1]:
        yield at, f"{label}: at {value} is outside working_hours {window[0]}-{window[1]}"


def _check_hours(hours: Any) -> tuple[str, str] | str:
    if not (isinstance(hours, list | tuple) and len(hours) == 2):
        return 'working_hours must be two times, like ["09:00", "17:00"]'
    start, end = hours
    for value in (start, end):
        if not isinstance(value, str) or not _HHMM.match(value):
            return f"working_hours: {value!r} is not a time of day (HH:MM)"
    if start >= end:
        return f"working_hours: start {start} is not before end {end}"
    return start, end


def _check_time_zone(value: Any, at: Path) -> Iterator[tuple[Path, str]]:
    if value is None:
        return
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        yield at, f"timezone {value!r} is not an IANA time zone (like Europe/Berlin)"


def _ref(ref: Any, kinds: set[RefKind], at: Path, what: str) -> Iterator[tuple[Path, str]]:
    problem = references.check(ref, kinds, what)
    if problem:
        yield at, problem
