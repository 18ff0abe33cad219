"""Actions on feedback ("you said, we did"): who may record them, each member told exactly once
(across a restart too), outside the weekly budget, and a figure quoted only when it may be shown.

These are tests of what the core decides and hands to the chat port; how Slack, Teams and the
playground show an announcement is tested with their adapters."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.app import LearnPulse
from bot.events import CommandIssued
from bot.ports import Member
from surveys.announcements import TITLE
from surveys.digest import build_digests, scheduled_period
from tests.bot.test_report_support import answers
from tests.fakes import FakeChat
from tests.surveys.engine_support import ChatCore, make_core, program_text, question, run

ADMIN, LEAD, EMPLOYEE = "slack:U0ADMIN01", "slack:U0LEAD001", "slack:UMEMBER0000"
TUESDAY_10AM_NY = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PEOPLE = [Member(f"slack:UMEMBER{i:04d}", timezone="America/New_York") for i in range(6)]
KEY = "lms-confidence"


def _core(database_url: str, tmp_path: Path, budget: int = 5) -> ChatCore:
    text = program_text(
        [question(KEY, "weekly", "mon", "10:00", key=True),
         question("lms-other", "weekly", "wed", "10:00")],
        budget=budget,
    )  # fmt: skip
    return make_core(database_url, tmp_path, text, TUESDAY_10AM_NY, PEOPLE)


def _say(core: LearnPulse, person: str, text: str) -> str:
    reply = asyncio.run(core.dispatch(CommandIssued(person, "learning-action", text)))
    assert reply is not None
    return "\n".join([reply.summary or "", *(line for s in reply.sections for line in s.lines)])


def _told(chat: FakeChat, person: str) -> list[tuple[str, ...]]:
    return [p.lines for p in chat.prompts.get(person, []) if p.title == TITLE]


def test_only_admins_and_the_workstreams_lead_record_actions(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, _clock = _core(database_url, tmp_path)
    assert "not allowed" in _say(core, EMPLOYEE, "lms Weekly office hours")
    assert all(_told(chat, p.person) == [] for p in PEOPLE)
    assert _say(core, LEAD, "lms Weekly office hours").startswith("Recorded action #1")
    assert "not allowed" in _say(core, "slack:U0SOMEONE", "done 1")
    assert _say(core, ADMIN, "lms Lunch and learn --due 2026-12-18").startswith(
        "Recorded action #2"
    )


def test_each_member_hears_once_across_a_restart_and_outside_the_budget(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, clock = _core(database_url, tmp_path, budget=2)
    run(core)  # Tuesday: Monday's key measure, still open, uses one prompt of each budget
    reply = _say(core, LEAD, "lms Weekly office hours, Thursdays at 14:00")
    assert "announced to 6 people" in reply
    for member in PEOPLE:
        [lines] = _told(chat, member.person)
        assert "What we are doing: Weekly office hours, Thursdays at 14:00" in lines
    run(core)
    (tmp_path / "again").mkdir()
    restarted, restarted_chat, _ = make_core(
        database_url, tmp_path / "again", program_text([question(KEY, "weekly", "mon", "10:00",
                                                                  key=True)], budget=2),
        TUESDAY_10AM_NY + timedelta(minutes=5), PEOPLE,
    )  # fmt: skip
    run(restarted)
    assert all(_told(restarted_chat, p.person) == [] for p in PEOPLE)  # nothing sent twice
    assert all(len(_told(chat, p.person)) == 1 for p in PEOPLE)
    # The second prompt of the budget is still free for Wednesday's question.
    clock.set(TUESDAY_10AM_NY + timedelta(days=1))
    run(core)
    for member in PEOPLE:
        asked = [p.items[0].question_id for p in chat.prompts[member.person]
                 if p.items and not p.is_reminder]  # fmt: skip
        assert asked == [KEY, "lms-other"]
    assert "now done" in _say(core, LEAD, "done 1")
    assert all(len(_told(chat, p.person)) == 2 for p in PEOPLE)
    assert any(line.startswith("Done: ") for line in _told(chat, PEOPLE[0].person)[1])


def test_the_figure_is_quoted_only_when_it_may_be_shown(database_url: str, tmp_path: Path) -> None:
    core, chat, _clock = _core(database_url, tmp_path)
    last_week = date(2026, 11, 24)  # in the last finished weekly period (Sat 21 .. Fri 27 Nov)
    answers(core, "lms", KEY, last_week, ["2", "2", "3", "3"])
    _say(core, LEAD, f"lms Office hours --question {KEY}")
    assert not any(line.startswith("You told us") for line in _told(chat, PEOPLE[0].person)[0])
    answers(core, "lms", KEY, last_week, ["2"])
    _say(core, LEAD, f"lms Shorter courses --question {KEY}")
    quoted = _told(chat, PEOPLE[0].person)[1][0]
    assert quoted.startswith("You told us: “Question lms-confidence?” 2.4 / 5 (5 people")
    answers(core, "lms", KEY, last_week, ["5"])  # one more: 2.4 and then 2.8 would give it away
    _say(core, LEAD, f"lms A mentor each --question {KEY}")
    assert not any(line.startswith("You told us") for line in _told(chat, PEOPLE[0].person)[2])


def test_a_workstream_lists_its_actions_with_buttons_and_a_form(
    database_url: str, tmp_path: Path
) -> None:
    core, _chat, _clock = _core(database_url, tmp_path)
    _say(core, LEAD, "lms Weekly office hours")
    reply = asyncio.run(core.dispatch(CommandIssued(LEAD, "learning-action", "lms")))
    assert reply is not None
    assert "#1 Weekly office hours (planned)" in reply.sections[0].lines
    assert [a.value for a in reply.actions] == [
        "/learning-action start 1", "/learning-action done 1", "/learning-action lms plan",
    ]  # fmt: skip
    form = asyncio.run(core.dispatch(CommandIssued(LEAD, "learning-action", "lms plan")))
    assert form is not None and form.form is not None
    assert [f.name for f in form.form.fields] == ["what", "question", "due"]
    values = {"what": "Mentors", "question": KEY, "due": "2026-12-18"}
    submitted = CommandIssued(LEAD, "learning-action", "lms", options=values)
    done = asyncio.run(core.dispatch(submitted))
    assert done is not None and (done.summary or "").startswith("Recorded action #2")
    # A form sent with its text left empty (a browser's required check got round) records
    # nothing, whatever the form's own words are.
    for fixed in ("lms", "lms plan"):
        empty = CommandIssued(LEAD, "learning-action", fixed, options={"what": " ", "due": ""})
        refused = asyncio.run(core.dispatch(empty))
        assert refused is not None and "needs its text" in (refused.summary or "")
    listing = asyncio.run(core.dispatch(CommandIssued(LEAD, "learning-action", "lms")))
    assert listing is not None and len(listing.sections[0].lines) == 2


def test_the_digest_lists_the_action_with_its_figure_before_and_since(
    database_url: str, tmp_path: Path
) -> None:
    core, _chat, clock = _core(database_url, tmp_path)
    answers(core, "lms", KEY, date(2026, 11, 24), ["2"] * 5)  # the week that ended before it
    _say(core, LEAD, f"lms Weekly office hours --question {KEY}")  # Tuesday 1 December
    answers(core, "lms", KEY, date(2026, 12, 8), ["4"] * 5)  # a whole week after it
    clock.set(datetime(2026, 12, 11, 22, 0, tzinfo=UTC))  # Friday 17:00: that week's digest
    workstream = core.require_program().workstream("lms")
    assert workstream is not None
    [built] = build_digests(core, [(workstream, scheduled_period(core, workstream))])
    [section] = [s for s in built.report.sections if s.heading == "Actions on this feedback"]
    [line] = section.lines
    assert line.startswith("#1 Weekly office hours (planned)")
    assert "before: 2.0 / 5 (5 people, Sat 21 Nov to Fri 27 Nov 2026)" in line
    assert "since: 4.0 / 5 (5 people, Sat 05 Dec to Fri 11 Dec 2026)" in line
    assert ("/learning-action lms plan", "Plan an action") in [
        (a.value, a.label) for a in built.report.actions
    ]
