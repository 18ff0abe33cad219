"""Commands through dispatch: role checks, help, pause and resume, survey now, unknown names."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.app import LearnPulse
from bot.commands.context import NOT_ALLOWED
from bot.commands.table import COMMAND_NAMES, COMMANDS
from bot.events import CommandIssued, SnoozeRequested
from bot.ports import Member
from storage.tables import AuditEntry, PersonRecord
from tests.conftest import SHARED
from tests.surveys.engine_support import (
    NEW_YORK,
    TOKYO,
    ChatCore,
    make_core,
    program_text,
    question,
    run,
)

ADMIN, LEAD, EMPLOYEE = "slack:U0ADMIN01", "slack:U0LEAD001", NEW_YORK
MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _core(database_url: str, tmp_path: Path) -> ChatCore:
    people = [Member(TOKYO, timezone="Asia/Tokyo"), Member(NEW_YORK, timezone="America/New_York")]
    text = program_text(
        [
            question("lms-confidence", "weekly", "mon", "10:00", key=True),
            question("lms-other", "weekly", "tue", "10:00"),
        ]
    )
    return make_core(database_url, tmp_path, text, MONDAY_10AM_NY, people)


def _say(core: LearnPulse, person: str, name: str, text: str = "") -> str:
    reply = asyncio.run(core.dispatch(CommandIssued(person, name, text)))
    assert reply is not None
    return "\n".join([reply.summary or "", *(line for s in reply.sections for line in s.lines)])


def test_every_command_of_the_table_is_in_the_contract() -> None:
    contract = (SHARED / "PRODUCT.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        if command.listed:  # the others are reached by buttons only
            assert f"`/{command.name}" in contract, command.name
    assert len(set(COMMAND_NAMES)) == len(COMMANDS)


def test_help_lists_exactly_the_commands_of_the_table(database_url: str, tmp_path: Path) -> None:
    core, _chat, _clock = _core(database_url, tmp_path)
    reply = asyncio.run(core.dispatch(CommandIssued(ADMIN, "learning-help", "")))
    assert reply is not None
    listed = [line for s in reply.sections for line in s.lines if line.startswith("/learning-")]
    assert sorted(listed) == sorted(f"{c.usage} — {c.summary}" for c in COMMANDS if c.listed)


def test_unknown_command_lists_the_known_ones(database_url: str, tmp_path: Path) -> None:
    core, _chat, _clock = _core(database_url, tmp_path)
    reply = _say(core, EMPLOYEE, "/learning-frobnicate")
    assert "Unknown command /learning-frobnicate" in reply and "/learning-status" in reply


def test_survey_now_is_for_admins_and_the_workstreams_lead(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, _clock = _core(database_url, tmp_path)
    assert _say(core, EMPLOYEE, "learning-survey", "lms") == NOT_ALLOWED
    assert chat.count(NEW_YORK) == 0
    reply = _say(core, LEAD, "learning-survey", "lms lms-other")
    assert reply.startswith("Asked LMS rollout now: 1 prompt sent; 1 waiting for their working")
    # New York is inside working hours now; Tokyo (00:00 Tuesday) waits for its morning.
    assert chat.count(NEW_YORK) == 1 and chat.count(TOKYO) == 0
    assert chat.prompts[NEW_YORK][0].items[0].question_id == "lms-other"
    assert "No workstream 'nope'" in _say(core, ADMIN, "learning-survey", "nope")
    assert "No question 'zzz'" in _say(core, ADMIN, "learning-survey", "lms zzz")
    with core.session() as session:
        audit = session.exec(select(AuditEntry)).all()
    assert [(a.actor, a.action, a.detail) for a in audit] == [(LEAD, "survey", "lms-other")]


def test_pause_and_resume_own_prompts(database_url: str, tmp_path: Path) -> None:
    core, chat, clock = _core(database_url, tmp_path)
    assert "Paused: no prompts for 3 days" in _say(core, NEW_YORK, "learning-pause", "3")
    assert "Usage" in _say(core, NEW_YORK, "learning-pause", "soon")
    run(core)  # Monday 10:00 New York: the key measure falls due while paused
    assert chat.count(NEW_YORK) == 0
    assert "prompts are on again" in _say(core, NEW_YORK, "learning-resume")
    reply = asyncio.run(core.dispatch(SnoozeRequested(NEW_YORK, 7)))
    assert reply is not None and "7 days" in (reply.summary or "")
    with core.session() as session:
        person = session.exec(select(PersonRecord).where(PersonRecord.ref == NEW_YORK)).one()
    assert person.snoozed_until is not None and person.snoozed_until > clock.now()


def test_help_says_what_is_stored_and_shows_steering_only_to_leads(
    database_url: str, tmp_path: Path
) -> None:
    core, _chat, _clock = _core(database_url, tmp_path)
    employee = _say(core, EMPLOYEE, "learning-help")
    assert "pseudonymous" in employee and "at least 5 people" in employee
    assert "/learning-survey" not in employee
    assert "/learning-survey" in _say(core, LEAD, "learning-help")
