"""The review report: monthly trends, flags, self-assessment and outcomes, and its HTML file."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import LearnPulse
from bot.clock import ManualClock
from surveys.banks import OUTCOMES, SELF_ASSESSMENT, load_bank
from surveys.periods import Period
from surveys.review import (
    Review,
    as_html,
    as_report,
    build_review,
    current_period,
    scheduled_period,
)
from tests.bot.test_report_support import answers, deliveries, text_of

KEY = "respect-treated-with-respect"  # target 4.3


def _review(core: LearnPulse, period: Period | None = None) -> Review:
    with core.session() as session:
        return build_review(core, session, period or current_period(core))


def test_periods_follow_every_months(core: LearnPulse, clock: ManualClock) -> None:
    assert current_period(core) == Period(date(2026, 6, 1), date(2026, 11, 30))
    assert scheduled_period(core) == Period(date(2026, 1, 1), date(2026, 6, 30))
    clock.set(datetime(2027, 1, 1, 15, 30, tzinfo=UTC))
    assert scheduled_period(core) == Period(date(2026, 7, 1), date(2026, 12, 31))


def test_flags_what_needs_attention(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 9, 7), ["5"] * 5, comments=["great"] * 5,
            sentiments=[0.8] * 5)  # fmt: skip
    answers(core, "respect", KEY, date(2026, 11, 9), ["3"] * 5, comments=["bad"] * 5,
            sentiments=[-0.7] * 5)  # fmt: skip
    september = answers(core, "respect", KEY, date(2026, 9, 8), [])
    deliveries(core, september, ["answered"] * 9 + ["expired"])
    november = answers(core, "respect", KEY, date(2026, 11, 10), [])
    deliveries(core, november, ["answered"] * 5 + ["expired"] * 5)
    review = _review(core)
    respect = next(w for w in review.workstreams if w.id == "respect")
    trend = respect.measures[0]
    assert trend.values == [None, None, None, 5.0, None, 3.0]
    assert trend.describe() == "3.0 / 5 (▼ -2.0 over the period); target 4.3 / 5 not met"
    assert any(f.startswith("below target:") for f in respect.flags)
    assert "falling participation: 90% to 50%" in respect.flags
    assert "negative comment trend: sentiment +0.80 to -0.70" in respect.flags
    text = text_of(as_report(review))
    assert "Needs attention" in text and "falling participation" in text


def test_self_assessment_and_outcomes_by_area_with_thresholds(core: LearnPulse) -> None:
    bank = load_bank(SELF_ASSESSMENT)
    first, second = [q for q in bank.questions if q.area == "culture-alignment"][:2]
    answers(core, SELF_ASSESSMENT, first.id, date(2026, 10, 1), ["4"] * 5)
    answers(core, SELF_ASSESSMENT, second.id, date(2026, 10, 1), ["2"] * 5)
    values_shown = bank.questions[-1]  # another area, only four people
    answers(core, SELF_ASSESSMENT, values_shown.id, date(2026, 10, 1), ["5"] * 4)
    outcome = load_bank(OUTCOMES).questions[0]
    answers(core, OUTCOMES, outcome.id, date(2026, 11, 15), ["4"] * 6)
    review = _review(core)
    areas = {a.area: a.trend for a in review.self_assessment}
    assert areas["culture-alignment"].values[4] == 3.0
    assert areas[values_shown.area].latest is None
    assert {a.area: a.trend.latest for a in review.outcomes}[outcome.area] == 4.0
    assert review.self_assessment_chart is not None


def test_the_html_file_stands_alone_with_embedded_charts(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 10, 12), ["4"] * 5)
    html = as_html(_review(core), "2026-11-30 08:00 UTC")
    assert html.startswith("<!doctype html>")
    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html
    assert "Program review: Northwind Components Culture of Learning" in html
