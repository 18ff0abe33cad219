"""The people file: a CSV from HR, read and checked whole before anything is stored.

The header names the columns: first how each row names its person (``person`` for a reference
such as ``slack:U…`` or ``teams:<aad-object-id>``, or ``email``, ``upn``, ``aad_object_id``),
then one column per attribute (``department``, ``location``, ``manager``, ``start_date`` …, lower
-case words). ``read_people_file`` returns the rows or raises ``PeopleFileError`` whose
``problems`` each read ``FILE:LINE: message``. Messages name the column, never a value: the file
holds personal data, and these lines reach terminals and logs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.ports import LOOKUP_KINDS
from surveys.person_attributes import MAX_VALUE_LENGTH, valid_attribute
from surveys.references import RefKind, kind_of

PERSON_COLUMN = "person"
KEY_COLUMNS = (PERSON_COLUMN, *LOOKUP_KINDS)
DATE_ATTRIBUTES = frozenset({"start_date"})
MAX_BYTES = 50 * 1024 * 1024


class PeopleFileError(ValueError):
    """The people file was refused; ``problems`` are ``FILE:LINE: message`` lines in order."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PeopleRow:
    """One person's line: how they are named (``by`` one of ``KEY_COLUMNS``), the name as
    written (references and AAD ids lower-cased where the platform is case-blind, e-mail
    addresses and UPNs lower-cased), and their attributes (an empty cell: not set)."""

    line: int
    by: str
    key: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class PeopleFile:
    path: str
    by: str
    attributes: tuple[str, ...]
    rows: tuple[PeopleRow, ...]


def read_people_file(path: str | Path) -> PeopleFile:
    """Read and check a people file; raise ``PeopleFileError`` listing every problem."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PeopleFileError([f"{name}:1: cannot read the people file ({exc.strerror})"]) from None
    if len(raw) > MAX_BYTES:
        raise PeopleFileError([f"{name}:1: the people file is larger than 50 MiB"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PeopleFileError([f"{name}:{line}: not UTF-8 text (save the CSV as UTF-8)"]) from None
    return parse_people(text, name)


def parse_people(text: str, name: str = "people.csv") -> PeopleFile:
    """Check the text of a people file; every problem is collected before it is refused."""
    problems: list[tuple[int, str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise PeopleFileError([f"{name}:{reader.line_num}: not valid CSV ({exc})"]) from None
    records = [(line, row) for line, row in records if any(cell.strip() for cell in row)]
    if not records:
        raise PeopleFileError([f"{name}:1: the people file is empty (it needs a header row)"])
    header_line, header = records[0]
    columns = [cell.strip().lower() for cell in header]
    by = columns[0]
    if by not in KEY_COLUMNS:
        problems.append(
            (
                header_line,
                f"the first column is {by!r}; it must name the person: {', '.join(KEY_COLUMNS)}",
            )
        )
    attributes = columns[1:]
    seen: set[str] = set()
    for column in attributes:
        if column in KEY_COLUMNS:
            problems.append(
                (header_line, f"column {column!r}: only the first column names the person")
            )
        elif not valid_attribute(column):
            problems.append(
                (
                    header_line,
                    f"column {column!r} is not an attribute name "
                    "(lower-case letters, digits and _, starting with a letter, up to 40)",
                )
            )
        if column in seen:
            problems.append((header_line, f"column {column!r} appears twice"))
        seen.add(column)
    if len(records) == 1:
        problems.append((header_line, "the people file has a header but no people"))
    rows: list[PeopleRow] = []
    first_line: dict[str, int] = {}
    for line, cells in records[1:]:
        if len(cells) != len(columns):
            problems.append((line, f"{len(cells)} columns where the header has {len(columns)}"))
            continue
        key, problem = _key(by, cells[0].strip())
        if problem:
            problems.append((line, problem))
            continue
        if key in first_line:
            problems.append((line, f"duplicate person (also on line {first_line[key]})"))
            continue
        first_line[key] = line
        values = {column: cell.strip() for column, cell in zip(attributes, cells[1:], strict=True)}
        for column, value in values.items():
            problems.extend((line, p) for p in _value_problems(column, value))
        rows.append(PeopleRow(line, by, key, values))
    if problems:
        problems.sort(key=lambda p: p[0])
        raise PeopleFileError([f"{name}:{line}: {message}" for line, message in problems])
    return PeopleFile(name, by, tuple(attributes), tuple(rows))


def _key(by: str, value: str) -> tuple[str, str | None]:
    """The person's name as matched later, or the problem with it."""
    if not value:
        return "", f"no {by} in the first column"
    if by == PERSON_COLUMN:
        if kind_of(value) is not RefKind.PERSON:
            return "", ("the person is not a person reference (slack:U…, teams:<aad-object-id>)")
        return (value.lower() if value.startswith("teams:") else value), None
    if by in ("email", "upn") and ("@" not in value or any(c.isspace() for c in value)):
        return "", f"the {by} is not an address (name@domain)"
    if by == "aad_object_id" and kind_of(f"teams:{value}") is not RefKind.PERSON:
        return "", "the aad_object_id is not an object id (8-4-4-4-12 hexadecimal digits)"
    return value.lower(), None


def _value_problems(column: str, value: str) -> list[str]:
    if len(value) > MAX_VALUE_LENGTH:
        return [f"{column} is longer than {MAX_VALUE_LENGTH} characters"]
    if column in DATE_ATTRIBUTES and value:
        try:
            date.fromisoformat(value)
        except ValueError:
            return [f"{column} is not a date (YYYY-MM-DD)"]
        if len(value) != 10:
            return [f"{column} is not a date (YYYY-MM-DD)"]
    return []
