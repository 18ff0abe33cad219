"""Asking now: a preview that sends nothing, one question at a time, never twice to anyone,
within the weekly budget, and a replayed command that opens nothing new."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.app import LearnPulse
from bot.events import CommandIssued
from bot.messages import Report
from bot.ports import Member
from storage.tables import Delivery, Occurrence
from tests.surveys.engine_support import (
    NEW_YORK,
    TOKYO,
    ChatCore,
    make_core,
    program_text,
    question,
    run,
)

ADMIN = "slack:U0ADMIN01"
MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
BERLIN_TOO = "slack:UBERLIN02"


def _core(database_url: str, tmp_path: Path, budget: int = 5) -> ChatCore:
    people = [
        Member(TOKYO, timezone="Asia/Tokyo"),
        Member(NEW_YORK, timezone="America/New_York"),
        Member(BERLIN_TOO, timezone="America/Chicago"),
    ]
    text = program_text(
        [
            question("lms-confidence", "weekly", "mon", "10:00", key=True),
            question("lms-other", "weekly", "tue", "10:00"),
        ],
        budget=budget,
    )
    return make_core(database_url, tmp_path, text, MONDAY_10AM_NY, people)


def _say(core: LearnPulse, text: str) -> Report:
    reply = asyncio.run(core.dispatch(CommandIssued(ADMIN, "learning-survey", text)))
    assert reply is not None
    return reply


def _occurrences(core: LearnPulse) -> int:
    with core.session() as session:
        return len(session.exec(select(Occurrence)).all())


def test_without_a_question_it_previews_and_sends_nothing(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, _clock = _core(database_url, tmp_path)
    run(core)  # the Monday key measure: New York has it, Tokyo waits for its morning, Chicago
    # gets it at 10:00, in an hour
    sent_before = sum(chat.count(p) for p in (TOKYO, NEW_YORK, BERLIN_TOO))
    occurrences = _occurrences(core)
    picker = _say(core, "lms")
    assert _occurrences(core) == occurrences  # nothing was opened
    assert sum(chat.count(p) for p in (TOKYO, NEW_YORK, BERLIN_TOO)) == sent_before
    sections = {s.heading: " ".join(s.lines) for s in picker.sections}
    assert set(sections) == {"Question lms-confidence?", "Question lms-other?"}
    assert "last asked Mon 30 Nov 2026" in sections["Question lms-confidence?"]
    assert (
        "will prompt 0 people (3 already have it open or coming today)"
        in sections["Question lms-confidence?"]
    )
    # Tokyo's Tuesday asking of the other question is only hours away (it is Tuesday there)
    other = "never asked yet · will prompt 2 people (1 already have it open or coming today)"
    assert other in sections["Question lms-other?"]
    assert [a.value for a in picker.actions] == [
        "/learning-survey lms lms-confidence",
        "/learning-survey lms lms-other",
    ]


def test_people_who_have_it_open_are_not_asked_again(database_url: str, tmp_path: Path) -> None:
    core, chat, _clock = _core(database_url, tmp_path)
    run(core)
    assert chat.count(NEW_YORK) == 1
    reply = _say(core, "lms lms-confidence").summary or ""
    assert "0 prompts sent; 3 not asked again (they have it open or coming today)" in reply
    assert chat.count(NEW_YORK) == 1  # still one prompt for the key measure
    with core.session() as session:
        key_measure = {o.id for o in session.exec(select(Occurrence)).all()
                       if o.question_id == "lms-confidence" and o.local_date.day == 30}  # fmt: skip
        per_person = [d.person_id for d in session.exec(select(Delivery)).all()
                      if d.occurrence_id in key_measure and d.status != "skipped"]  # fmt: skip
    assert len(per_person) == len(set(per_person)) == 3


def test_a_replayed_command_opens_nothing_new(database_url: str, tmp_path: Path) -> None:
    core, chat, _clock = _core(database_url, tmp_path)
    first = _say(core, "lms lms-other").summary or ""
    assert first.startswith("Asked LMS rollout now: 2 prompts sent")
    occurrences = _occurrences(core)
    again = _say(core, "lms lms-other").summary or ""
    assert "Nothing new was sent" in again and "open until" in again
    assert "(0 of 3 answered so far)" in again
    assert _occurrences(core) == occurrences
    assert chat.count(NEW_YORK) == 1 and chat.count(BERLIN_TOO) == 1


def test_the_weekly_budget_holds_for_ad_hoc_askings(database_url: str, tmp_path: Path) -> None:
    core, chat, _clock = _core(database_url, tmp_path, budget=1)
    run(core)  # the Monday key measure uses each budget of 1 (Tokyo's is reserved for it)
    preview = {s.heading: " ".join(s.lines) for s in _say(core, "lms").sections}
    assert (
        "will prompt 0 people (1 already have it open or coming today; 2 at their weekly limit)"
        in (preview["Question lms-other?"])
    )
    reply = _say(core, "lms lms-other").summary or ""
    assert "0 prompts sent; 2 held back: weekly prompt budget reached; 1 not asked again" in reply
    assert chat.count(NEW_YORK) == 1 and chat.count(BERLIN_TOO) == 0  # Chicago's is at 10:00
