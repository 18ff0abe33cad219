"""The reporting commands through the real command registry: who may ask, what they get.

What Slack receives when a command posts or sends a file is tested through the fake Web API in
``tests/adapters/slack/test_reports.py``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.commands.context import NOT_ALLOWED
from bot.commands.table import run_command
from tests.bot.test_report_support import answers, deliveries, text_of
from tests.fakes import FakeChat

ADMIN = "slack:U0ADMIN001"
RESPECT_LEAD = "slack:U0LEAD0003"
EMPLOYEE = "slack:U0EMPLOYE1"
KEY = "respect-treated-with-respect"
LAST_WEEK = date(2026, 11, 24)  # the last finished period on Mon 30 Nov


async def test_status_overview_for_an_admin_shows_every_workstream(core: LearnPulse) -> None:
    occurrence = answers(core, "respect", KEY, LAST_WEEK, ["4", "4", "5", "5", "3"])
    deliveries(core, occurrence, ["answered"] * 5 + ["failed", "failed", "expired"])
    report = await run_command(core, ADMIN, "learning-status", "", None)
    text = text_of(report)
    for workstream in core.require_program().workstreams:
        assert f"({workstream.id})" in text
    assert "4.2 / 5 (5 people) vs target 4.3 / 5 ✗" in text
    assert "last period 83% (5 of 6 people)" in text  # failed deliveries were never asked
    assert "Deliveries failing: 2: channel_not_found (2)" in text


async def test_a_lead_sees_only_their_own_workstream(core: LearnPulse) -> None:
    report = await run_command(core, RESPECT_LEAD, "learning-status", "", None)
    headings = [s.heading for s in report.sections]
    assert len(headings) == 1 and headings[0].endswith("(respect)")
    refused = await run_command(core, RESPECT_LEAD, "learning-status", "lms", None)
    assert refused.summary == NOT_ALLOWED
    detail = await run_command(core, RESPECT_LEAD, "learning-status", "respect", None)
    assert "Other questions, last period" in [s.heading for s in detail.sections]


async def test_others_are_not_allowed_and_learn_nothing(core: LearnPulse) -> None:
    answers(core, "respect", KEY, LAST_WEEK, ["1"] * 5)
    for name in ("learning-status", "learning-digest", "learning-review"):
        report = await run_command(core, EMPLOYEE, name, "respect", None)
        assert report.summary == NOT_ALLOWED
        assert "1.0" not in text_of(report)


async def test_status_never_shows_scores_of_the_period_in_progress(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 11, 30), ["5"] * 9)  # this week, in progress
    text = text_of(await run_command(core, ADMIN, "learning-status", "respect", None))
    assert "5.0 / 5" not in text
    assert "not enough responses last period" in text


async def test_learning_mydata_erase_asks_for_confirmation(core: LearnPulse) -> None:
    answers(core, "respect", KEY, LAST_WEEK, ["4"], people=[EMPLOYEE])
    first = await run_command(core, EMPLOYEE, "learning-mydata", "erase", None)
    assert "cannot be undone" in (first.summary or "")
    done = await run_command(core, EMPLOYEE, "learning-mydata", "erase confirm", None)
    assert (done.summary or "").startswith("Done: 1 answers")
    overview = await run_command(core, EMPLOYEE, "learning-mydata", "", None)
    assert "Your answers (stored under a pseudonym, not your name): 0" in text_of(overview)


async def test_status_withholds_a_figure_a_digest_showed_with_fewer_answers(
    core: LearnPulse, clock: ManualClock
) -> None:
    from bot.reporting import post_digest

    core.adapters.register(FakeChat())
    answers(core, "respect", KEY, LAST_WEEK, ["4"] * 5)
    clock.set(datetime(2026, 11, 27, 22, 0, tzinfo=UTC))
    assert (await post_digest(core, "respect", scheduled=True)).posted
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    answers(core, "respect", KEY, LAST_WEEK, ["1", "1"])  # late answers after the digest
    text = text_of(await run_command(core, ADMIN, "learning-status", "respect", None))
    assert "not enough new responses since last shown" in text
    assert "3.1 / 5" not in text


async def test_status_names_every_question_in_full(core: LearnPulse) -> None:
    overview = text_of(await run_command(core, ADMIN, "learning-status", "", None))
    program = core.require_program()
    for workstream in program.workstreams:
        for question in workstream.key_measures:
            assert f"Key measure: {question.ask}:" in overview
    lms = program.workstream("lms")
    assert lms is not None
    detail = text_of(await run_command(core, ADMIN, "learning-status", "lms", None))
    for question in lms.questions:
        assert f"{question.ask}:" in detail
    assert "…" not in overview + detail
