"""On-demand digests: each one is recorded, and a later one never gives away what changed since.

What Slack receives of digests and reviews (channels, DMs, charts, errors, replicas) is tested
through the fake Web API in ``tests/adapters/slack/test_reports.py``."""

from __future__ import annotations

from datetime import date

from bot.app import LearnPulse
from bot.reporting import post_digest
from tests.bot.test_report_support import answers, text_of
from tests.fakes import FakeChat

KEY = "respect-treated-with-respect"


async def test_on_demand_digests_are_recorded_and_guard_later_ones(core: LearnPulse) -> None:
    core.adapters.register(FakeChat())
    answers(core, "respect", KEY, date(2026, 11, 30), ["5"] * 5)
    first = await post_digest(core, "respect")
    assert first.posted and first.report is not None
    assert "5.0 / 5" in text_of(first.report)
    answers(core, "respect", KEY, date(2026, 11, 30), ["1"])  # one more person answers
    second = await post_digest(core, "respect")
    assert second.posted and second.report is not None
    later = text_of(second.report)
    assert "Not enough new responses since this period's figure was last shown" in later
    assert "4.3 / 5" not in later  # the one new answer cannot be worked out
    answers(core, "respect", KEY, date(2026, 11, 30), ["1"] * 4)
    third = await post_digest(core, "respect")
    assert third.posted and third.report is not None
    assert "3.0 / 5" in text_of(third.report)
