"""``learnpulse people import``: a real process reads the CSV, matches e-mail addresses over the
fake Slack Web API and stores the attributes; every bad file exits 2 with ``FILE:LINE: message``
lines and leaves the stored attributes exactly as they were."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from surveys.person_attributes import LINKS, VALUES
from surveys.roster import PEOPLE
from tests.adapters.slack.fake_slack import FakeSlack
from tests.factories import TEST_SECRET_KEY
from tests.support import base_env, free_port, run_bot, running_server
from tests.surveys.engine_support import program_text, question

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
STAFF = {"UPEOPLE001": "ana@northwind.example", "UPEOPLE002": "ben@northwind.example"}
GOOD = (
    "email,department,location,start_date\n"
    "ana@northwind.example,Engineering,Lisbon,2019-04-01\n"
    "ben@northwind.example,Sales,Lisbon,2024-09-16\n"
)
HEADER = "email,department,location,start_date\n"
ANA = "ana@northwind.example,Engineering,Lisbon,2019-04-01\n"
BAD_FILES: dict[str, tuple[bytes, list[str]]] = {
    "unknown person": (
        (HEADER + ANA + "zed@northwind.example,Sales,Denver,\n").encode(),
        ["{f}:3: unknown person: nobody in chat has this email"],
    ),
    "bad date": (
        (HEADER + ANA + "ben@northwind.example,Sales,Denver,16/09/2024\n").encode(),
        ["{f}:3: start_date is not a date (YYYY-MM-DD)"],
    ),
    "duplicate person": (
        (HEADER + ANA + ANA.upper()).encode(),
        ["{f}:3: duplicate person (also on line 2)"],
    ),
    "bad column name": (
        (b"email,Department Name,location\nana@northwind.example,Sales,Lisbon\n"),
        [
            "{f}:1: column 'department name' is not an attribute name (lower-case letters, "
            "digits and _, starting with a letter, up to 40)"
        ],
    ),
    "wrong column count": (
        (HEADER + ANA + "ben@northwind.example,Sales\n").encode(),
        ["{f}:3: 2 columns where the header has 4"],
    ),
    "empty file": (b"\n \n", ["{f}:1: the people file is empty (it needs a header row)"]),
    "unreadable encoding": (
        (HEADER + ANA).encode() + "ben@northwind.example,Sales,Zürich,\n".encode("latin-1"),
        ["{f}:3: not UTF-8 text (save the CSV as UTF-8)"],
    ),
    "first column": (
        b"name,department\nAna,Sales\n",
        [
            "{f}:1: the first column is 'name'; it must name the person: person, email, upn, "
            "aad_object_id"
        ],
    ),
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        for user, email in STAFF.items():
            slack.add_user(user, email=email)
        slack.add_channel("C0ALL", list(STAFF))
        yield slack


def _env(database_url: str, tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    program = tmp_path / "program.yaml"
    program.write_text(program_text([question("q", "weekly", "mon", "10:00", key=True)]))
    return base_env(
        NOW,
        DATABASE_URL=database_url,
        LEARNPULSE_PROGRAM=str(program),
        LEARNPULSE_SECRET_KEY=TEST_SECRET_KEY,
        **fake.settings(),
    )


def _stored(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    """Every attribute link and value row as stored, and how many people there are."""
    with engine.connect() as connection:
        links = [tuple(r) for r in connection.execute(select(LINKS).order_by(*LINKS.c))]
        values = [tuple(r) for r in connection.execute(select(VALUES).order_by(VALUES.c.id))]
        people = len(connection.execute(select(PEOPLE.c.id)).all())
    return links, values, people


async def _import(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = await asyncio.to_thread(run_bot, "people", "import", *args, env=env)
    return done.returncode, done.stdout, done.stderr


async def test_import_stores_then_every_bad_file_changes_nothing(
    database_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    env = _env(database_url, tmp_path, fake)
    people = tmp_path / "people.csv"
    people.write_text(GOOD, encoding="utf-8")
    code, out, err = await _import(env, str(people))
    assert code == 0, err
    assert out.strip() == (
        "imported 2 people: 3 attributes (department, location, start_date), 5 distinct values"
    )
    stored = _stored(engine)
    assert len(stored[0]) == 6 and len(stored[1]) == 5
    for what, (content, expected) in BAD_FILES.items():
        bad = tmp_path / f"{what.replace(' ', '-')}.csv"
        bad.write_bytes(content)
        code, out, err = await _import(env, str(bad))
        assert code == 2, (what, err)
        problems = [line for line in err.splitlines() if line.startswith(str(bad))]
        assert problems == [line.format(f=bad) for line in expected], what
        assert out == ""
        assert _stored(engine) == stored, what  # not one row added, changed or removed
    logged = err
    assert "Lisbon" not in logged and "zed@" not in logged


async def test_skip_unknown_imports_the_rest_and_counts_them(
    database_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    env = _env(database_url, tmp_path, fake)
    people = tmp_path / "people.csv"
    people.write_text(GOOD + "zed@northwind.example,Sales,Denver,\n", encoding="utf-8")
    code, out, err = await _import(env, str(people), "--skip-unknown")
    assert code == 0, err
    assert out.strip().endswith("; 1 rows skipped (nobody in chat matches them)")
    assert out.startswith("imported 2 people:")
    assert len(_stored(engine)[0]) == 6
    missing = tmp_path / "missing.csv"
    code, _out, err = await _import(env, str(missing))
    assert code == 2 and err.strip().startswith(f"{missing}:1: cannot read the people file")


async def test_serve_imports_the_people_file_the_program_names(
    database_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    env = _env(database_url, tmp_path, fake)
    program = Path(env["LEARNPULSE_PROGRAM"])
    program.write_text("people: people.csv\n" + program.read_text())
    (tmp_path / "people.csv").write_text(GOOD, encoding="utf-8")
    port = free_port()
    with running_server(["serve"], {**env, "PORT": str(port)}, port):
        for _ in range(200):  # the import runs in the background once the server listens
            if len(_stored(engine)[0]) == 6:
                break
            await asyncio.sleep(0.05)
    assert len(_stored(engine)[0]) == 6
    assert len(fake.calls_to("users.list")) == 1
