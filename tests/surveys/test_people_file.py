"""The people file as the program names it (``people:``), as ``serve`` imports it on start,
and the tenure bands derived from ``start_date``."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.ports import Member
from surveys.people_file import PeopleFileError, parse_people
from surveys.people_import import import_people, import_program_people
from surveys.person_attributes import attributes_of
from surveys.program_file import ProgramError, load_program
from surveys.roster import upsert_people
from surveys.tenure import BANDS, NOT_STARTED, tenure_band
from tests.factories import build_app, write_program
from tests.fakes import FakeChat
from tests.support import MONDAY_MORNING
from tests.surveys.engine_support import program_text, question

KEY_QUESTION = question("q", "weekly", "mon", "10:00", key=True)


def _program(tmp_path: Path, people: str | None) -> Path:
    text = program_text([KEY_QUESTION])
    if people is not None:
        text = f"people: {people}\n{text}"
    return write_program(tmp_path, text)


def test_the_people_key_is_relative_to_the_program_file(tmp_path: Path) -> None:
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "people.csv").write_text("email,department\na@x.example,Sales\n")
    program = load_program(_program(tmp_path, "hr/people.csv"))
    assert program.people == str(tmp_path / "hr" / "people.csv")
    assert load_program(_program(tmp_path, None)).people is None


def test_a_missing_or_malformed_people_file_refuses_the_program(tmp_path: Path) -> None:
    path = _program(tmp_path, "people.csv")
    with pytest.raises(ProgramError) as missing:
        load_program(path)
    assert missing.value.problems == [
        f"{path}:1: people: 'people.csv' is not a file (relative to {path})"
    ]
    people = tmp_path / "people.csv"
    people.write_text("email,department\na@x.example,Sales,extra\nnot-an-address,Sales\n")
    with pytest.raises(ProgramError) as malformed:
        load_program(path)
    assert malformed.value.problems == [
        f"{path}:1: people: 'people.csv' was refused (its problems follow)",
        f"{people}:2: 3 columns where the header has 2",
        f"{people}:3: the email is not an address (name@domain)",
    ]


async def test_serve_imports_the_programs_people_and_logs_who_matched_nobody(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "email,department,start_date\n"
        "ana@northwind.example,Engineering,2020-02-03\n"
        "left.last.year@northwind.example,Sales,2011-05-06\n"
    )
    chat = FakeChat(emails={"ana@northwind.example": Member("slack:UANA000001")})
    core = build_app(
        database_url,
        program=_program(tmp_path, "people.csv"),
        clock=ManualClock(MONDAY_MORNING),
        adapters=[chat],
    )
    with caplog.at_level(logging.INFO, logger="learnpulse.people"):
        report = await import_program_people(core)
    assert report is not None and (report.people, report.skipped_lines) == (1, (3,))
    stored = core.engine.connect()
    ids = [pid for (pid,) in stored.exec_driver_sql("SELECT id FROM person").all()]
    stored.close()
    assert attributes_of(core.engine, core.vault, ids) == {
        ids[0]: {"department": "Engineering", "start_date": "2020-02-03"}
    }
    logged = caplog.text
    assert f"{people}:3: unknown person: nobody in chat matches this row" in logged
    assert "Sales" not in logged and "2011" not in logged and "left.last" not in logged

    people.write_text("email,department\nana@northwind.example,Sales\nana@northwind.example,x\n")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="learnpulse.people"):
        assert await import_program_people(core) is None
    assert f"{people}:3: duplicate person (also on line 2)" in caplog.text
    assert attributes_of(core.engine, core.vault, ids)[ids[0]]["department"] == "Engineering"


@pytest.mark.parametrize(
    ("start", "band"),
    [
        ("2026-12-01", "< 1 year"),
        ("2025-12-04", "< 1 year"),
        ("2025-12-03", BANDS[1]),
        ("2023-12-04", BANDS[1]),
        ("2023-12-03", BANDS[2]),
        ("2021-12-04", BANDS[2]),
        ("2021-12-03", "5+ years"),
        ("1999-02-28", "5+ years"),
        ("2027-01-04", NOT_STARTED),
    ],
)
def test_tenure_bands_turn_at_each_anniversary(start: str, band: str) -> None:
    assert tenure_band(start, date(2026, 12, 3)) == band


def test_a_leap_day_start_has_its_anniversary_on_28_february() -> None:
    assert tenure_band("2024-02-29", date(2025, 2, 27)) == "< 1 year"
    assert tenure_band(date(2024, 2, 29), date(2025, 2, 28)) == BANDS[1]
    assert BANDS[1] == "1\N{EN DASH}3 years"


@pytest.mark.parametrize(
    ("header", "cell", "problem"),
    [
        ("aad_object_id", "not-a-guid", "the aad_object_id is not an object id (8-4-4-4-12 "
         "hexadecimal digits)"),
        ("person", "U0123ABC", "the person is not a person reference (slack:U…, "
         "teams:<aad-object-id>)"),
        ("person", "slack:channel:C0ALL", "the person is not a person reference (slack:U…, "
         "teams:<aad-object-id>)"),
        ("upn", "", "no upn in the first column"),
    ],
)  # fmt: skip
def test_each_way_of_naming_a_person_is_checked(header: str, cell: str, problem: str) -> None:
    with pytest.raises(PeopleFileError) as refused:
        parse_people(f"{header},department\n{cell},Sales\n", "hr.csv")
    assert refused.value.problems == [f"hr.csv:2: {problem}"]


def test_keys_are_compared_without_case_and_teams_references_lower_cased() -> None:
    parsed = parse_people(
        "person,department\nteams:5B1C7F3E-9A41-4D0E-8C55-0E6F1D2A7B93,Sales\nslack:U0ABC,\n"
    )
    assert [(row.key, row.attributes) for row in parsed.rows] == [
        ("teams:5b1c7f3e-9a41-4d0e-8c55-0e6f1d2a7b93", {"department": "Sales"}),
        ("slack:U0ABC", {"department": ""}),
    ]
    with pytest.raises(PeopleFileError) as refused:
        parse_people("person,email,x\n")
    assert refused.value.problems == [
        "people.csv:1: column 'email': only the first column names the person",
        "people.csv:1: the people file has a header but no people",
    ]


async def test_two_rows_reaching_one_account_and_references_nobody_has_are_refused(
    database_url: str, tmp_path: Path
) -> None:
    ana = Member("slack:UANA000001")
    chat = FakeChat(emails={"ana@northwind.example": ana, "ana.alias@northwind.example": ana})
    core = build_app(database_url, program=_program(tmp_path, None), adapters=[chat])
    people = tmp_path / "people.csv"
    people.write_text(
        "email,department\nana@northwind.example,Sales\nana.alias@northwind.example,Sales\n"
    )
    with pytest.raises(PeopleFileError) as refused:
        await import_people(core, people)
    assert refused.value.problems == [f"{people}:3: duplicate person (the same as line 2)"]
    # By reference: a stored person, one the enabled platform has, one nobody serves.
    upsert_people(core.engine, [Member("slack:USTORED001")])
    people.write_text(
        "person,department\nslack:USTORED001,Sales\nslack:UNEW000001,Sales\n"
        "teams:0c6e2d94-3f57-4b8a-a1d2-7e9f4c3b5a60,Sales\n"
    )
    with pytest.raises(PeopleFileError) as unknown:
        await import_people(core, people)
    assert unknown.value.problems == [
        f"{people}:4: unknown person: not stored and not found in chat"
    ]
    report = await import_people(core, people, skip_unknown=True)
    assert (report.people, report.skipped_lines) == (2, (4,))
