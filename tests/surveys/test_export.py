"""``learnpulse export``: CSV and JSON, no user id ever, comments only from large enough groups."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from bot.app import LearnPulse
from bot.cli import app
from surveys.export import write
from tests.bot.test_report_support import answers
from tests.factories import EXAMPLE_PROGRAM, TEST_SECRET_KEY

KEY = "respect-treated-with-respect"
DAY = date(2026, 11, 24)
PEOPLE = [f"slack:U0EXPORT{i:02d}" for i in range(6)]


def _seed(core: LearnPulse) -> None:
    answers(core, "respect", KEY, DAY, ["4"] * 5, people=PEOPLE[:5],
            comments=["one", "two", "three", "four", "five"])  # fmt: skip
    answers(core, "respect", KEY, date(2026, 11, 17), ["2"], people=PEOPLE[5:],
            comments=["a lonely comment"])  # fmt: skip


def _anonymous(core: LearnPulse) -> None:
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})


def test_csv_in_confidential_mode_has_pseudonyms_and_no_user_ids(core: LearnPulse) -> None:
    _seed(core)
    out = io.StringIO()
    assert write(core, out, "csv") == 6
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["kind"] for r in rows} == {"scale"}
    assert {r["respondent"] for r in rows} == {core.vault.respondent_key(p) for p in PEOPLE}
    assert sorted(r["comment"] for r in rows if r["date"] == "2026-11-24") == sorted(
        ["one", "two", "three", "four", "five"]
    )
    [lonely] = [r for r in rows if r["date"] == "2026-11-17"]
    assert lonely["comment"] == "[withheld: fewer than 5 people commented]"
    for person in PEOPLE:
        assert person.split(":")[1] not in out.getvalue()


def test_free_text_answers_follow_the_comment_threshold(core: LearnPulse) -> None:
    question = "respect-one-thing"  # a text question
    answers(core, "respect", question, DAY, ["idea"] * 4, scores=[None] * 4)
    answers(core, "respect", question, DAY, [f"idea {i}" for i in range(5)], scores=[None] * 5)
    out = io.StringIO()
    write(core, out, "csv")
    values = [r["value"] for r in csv.DictReader(io.StringIO(out.getvalue()))]
    assert values.count("[withheld: fewer than 5 people commented]") == 4
    assert "idea 3" in values


def test_json_in_anonymous_mode_has_no_respondent_at_all(core: LearnPulse) -> None:
    _seed(core)
    _anonymous(core)
    out = io.StringIO()
    write(core, out, "json")
    document = json.loads(out.getvalue())
    assert document["privacy_mode"] == "anonymous"
    assert len(document["answers"]) == 6
    assert all("respondent" not in row for row in document["answers"])
    assert "respondent" not in document["columns"]
    for person in PEOPLE:
        assert core.vault.respondent_key(person) not in out.getvalue()


def test_the_cli_writes_the_file_and_refuses_a_bad_format(
    core: LearnPulse, database_url: str, tmp_path: Path
) -> None:
    _seed(core)
    env = {
        "DATABASE_URL": database_url,
        "LEARNPULSE_PROGRAM": str(EXAMPLE_PROGRAM),
        "LEARNPULSE_SECRET_KEY": TEST_SECRET_KEY,
    }
    runner = CliRunner()
    target = tmp_path / "answers.json"
    result = runner.invoke(app, ["export", "--format", "json", "--out", str(target)], env=env)
    assert result.exit_code == 0, result.output
    assert len(json.loads(target.read_text())["answers"]) == 6
    bad = runner.invoke(app, ["export", "--format", "xml"], env=env)
    assert bad.exit_code == 2
    assert "--format must be one of csv, json" in bad.output
