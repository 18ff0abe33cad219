"""The review report: the digests' periods over the span and the span before, red / amber /
green, ranked flags backed by enough people, self-assessment and outcomes, and its HTML file."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.commands.table import run_command
from surveys.banks import OUTCOMES, SELF_ASSESSMENT, load_bank
from surveys.periods import Period
from surveys.review import build_review, current_period, grid, period_before, scheduled_period
from surveys.review_model import Point, Review, WorkstreamReview
from surveys.review_render import action_text, as_html, as_report, rates_text
from tests.bot.test_report_support import answers, deliveries, text_of

KEY = "respect-treated-with-respect"  # weekly digest (Sat..Fri), target 4.3
LAST_WEEK = date(2026, 11, 24)  # in Sat 21 .. Fri 27 Nov, the last finished period
LAST_WEEK_PERIOD = Period(date(2026, 11, 21), date(2026, 11, 27))


def _review(core: LearnPulse, period: Period | None = None) -> Review:
    return build_review(core, period or current_period(core))


def _respect(review: Review) -> WorkstreamReview:
    return next(w for w in review.workstreams if w.id == "respect")


def test_periods_follow_every_months(core: LearnPulse, clock: ManualClock) -> None:
    assert current_period(core) == Period(date(2026, 6, 1), date(2026, 11, 30))
    assert period_before(current_period(core)) == Period(date(2025, 12, 1), date(2026, 5, 31))
    assert scheduled_period(core) == Period(date(2026, 1, 1), date(2026, 6, 30))
    clock.set(datetime(2027, 1, 1, 15, 30, tzinfo=UTC))
    assert scheduled_period(core) == Period(date(2026, 7, 1), date(2026, 12, 31))


def test_the_review_uses_the_digest_periods_finished_by_today(core: LearnPulse) -> None:
    respect = core.require_program().workstream("respect")
    assert respect is not None
    weeks = grid(respect.digest, current_period(core), date(2026, 11, 30))
    assert weeks[-1] == LAST_WEEK_PERIOD  # the week in progress is not reviewed
    assert weeks[0] == Period(date(2026, 5, 30), date(2026, 6, 5))  # ends inside the span
    assert all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(weeks))


def test_latest_figure_is_the_digests_and_is_rated_against_its_target(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 11, 10), ["5"] * 5)
    answers(core, "respect", KEY, LAST_WEEK, ["4", "4", "4", "4", "5", "5"])
    view = _respect(_review(core)).measures[0]
    latest = view.latest
    assert latest is not None and latest.period == LAST_WEEK_PERIOD
    assert latest.people == 6 and round(latest.value or 0, 2) == 4.33
    assert view.rating == "green"
    text = text_of(as_report(_review(core)))
    assert "🟢 Respectful workplace" in text
    assert "4.3 / 5 (6 people, Sat 21 Nov to Fri 27 Nov 2026)" in text


def test_below_target_is_amber_close_to_it_and_red_further_away(core: LearnPulse) -> None:
    answers(core, "respect", KEY, LAST_WEEK, ["4"] * 5)  # 4.0 against 4.3: within 0.4
    assert _respect(_review(core)).measures[0].rating == "amber"
    answers(core, "respect", KEY, date(2026, 11, 17), ["3"] * 5)  # the week before: older
    answers(core, "respect", KEY, LAST_WEEK, ["2"] * 5)  # 3.0: ten answers, five more
    assert _respect(_review(core)).measures[0].rating == "red"


def test_flags_need_people_behind_them_and_are_ranked(core: LearnPulse) -> None:
    # Participation: 9 of 10 people asked in September, 2 of 4 in November: too few in
    # November for a trend, so it is not flagged; with 10 asked it is.
    september = answers(core, "respect", KEY, date(2026, 9, 8), [])
    deliveries(core, september, ["answered"] * 9 + ["expired"])
    november = answers(core, "respect", KEY, date(2026, 11, 10), [])
    deliveries(core, november, ["answered"] * 2 + ["expired"] * 2)
    respect = _respect(_review(core))
    assert not any("participation" in f.text for f in respect.flags)
    # The span before had 10 asked too: 90% then, against 50% over this span.
    earlier = answers(core, "respect", KEY, date(2026, 3, 10), [])
    deliveries(core, earlier, ["answered"] * 9 + ["expired"])
    later = answers(core, "respect", KEY, date(2026, 11, 17), [])
    deliveries(core, later, ["answered"] * 3 + ["expired"] * 3)
    answers(core, "respect", KEY, LAST_WEEK, ["2"] * 5, comments=["bad"] * 5,
            sentiments=[-0.7] * 5)  # fmt: skip
    respect = _respect(_review(core))
    texts = [f.text for f in respect.flags]
    assert any(t.startswith("below target:") and "2.0 / 5" in t for t in texts)
    assert any(t.startswith("falling participation:") for t in texts)
    assert any(t.startswith("negative comment trend:") for t in texts)
    severities = [f.severity for f in respect.flags]
    assert severities == sorted(severities, reverse=True)
    assert texts[0].startswith("below target:")  # 2.0 against 4.3 is the most severe
    assert len(respect.flags) <= 5


def test_a_measure_from_four_people_is_neither_shown_nor_flagged(core: LearnPulse) -> None:
    answers(core, "respect", KEY, LAST_WEEK, ["1"] * 4)
    respect = _respect(_review(core))
    assert respect.measures[0].latest is None
    assert respect.measures[0].rating == "grey"
    assert respect.flags == []
    assert "1.0 / 5" not in text_of(as_report(_review(core)))


def test_one_more_answer_changes_no_figure_of_a_second_review(core: LearnPulse) -> None:
    """Review, one more (late) answer, review again: nothing differs by one person."""
    yes_no = "technical-applied-on-the-job"  # a yes/no key measure, weekly digest
    answers(core, "technical", yes_no, LAST_WEEK, ["1"] * 5)
    first = as_report(_review(core))
    assert "100% yes (5 people" in text_of(first)
    answers(core, "technical", yes_no, LAST_WEEK, ["0"])  # the sixth says no
    second = text_of(as_report(_review(core)))
    assert "83% yes" not in second and "100% yes (6 people" not in second
    html = as_html(_review(core), "now")
    assert "83%" not in html
    answers(core, "technical", yes_no, LAST_WEEK, ["0"] * 4)  # five more than the first look
    assert "50% yes (10 people" in text_of(as_report(_review(core)))


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
    october = next(p for p in areas["culture-alignment"].points if p.period.start.month == 10)
    assert october.value == 3.0 and october.people == 5
    assert areas[values_shown.area].latest is None
    outcomes = {a.area: a.trend for a in review.outcomes}
    latest = outcomes[outcome.area].latest
    assert latest is not None and latest.value == 4.0
    assert review.self_assessment_chart is not None


def test_the_html_file_stands_alone_with_embedded_charts(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 10, 13), ["4"] * 5)
    html = as_html(_review(core), "2026-11-30 08:00 UTC")
    assert html.startswith("<!doctype html>")
    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html
    assert "Program review: Northwind Components Culture of Learning" in html
    assert "Overview" in html and "compared with" in html


def test_every_key_measure_is_named_in_full_in_chat_and_in_html(core: LearnPulse) -> None:
    answers(core, "respect", KEY, LAST_WEEK, ["2"] * 5)  # below target: flagged, by name
    review = _review(core)
    text, html = text_of(as_report(review)), as_html(review, "now")
    for workstream in core.require_program().workstreams:
        for question in workstream.key_measures:
            assert f"{question.ask} — " in text  # its overview line
            assert f"Key measure: {question.ask}:" in text  # its workstream's section
            assert question.ask.replace("'", "&#39;") in html
    ask = core.catalog.questions[KEY].ask
    flagged = f"Respectful workplace: below target: “{ask}” at"
    assert any(flag.startswith(flagged) for flag in review.flags)
    assert "…" not in text


def test_the_workstream_chart_shows_the_people_behind_each_point(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 11, 10), ["5"] * 5)
    answers(core, "respect", KEY, LAST_WEEK, ["4", "4", "4", "4", "5", "5"])
    answers(core, "respect", KEY, date(2026, 11, 17), ["3"] * 4)  # four people: withheld
    respect = _respect(_review(core))
    assert respect.chart is not None
    series = respect.chart.series[0]  # the key measure answered here
    points = respect.measures[0].points
    assert series.name == respect.measures[0].name
    assert list(series.people) == [p.people for p in points]
    assert list(series.people)[-3:] == [5, 0, 6] and list(series.values)[-2] is None
    texts = respect.chart.texts
    start = texts.index(series.name)
    assert texts[start : start + 6] == (series.name, "target 4.3", "5.0", "n=5", "4.3", "n=6")


def test_participation_of_one_period_says_period() -> None:
    one = [Point(LAST_WEEK_PERIOD, 0.75, 8)]
    assert rates_text(one).startswith("75% of people asked over 1 period; latest 75%")


def test_the_html_file_has_a_card_per_workstream_each_measure_named_in_full(
    core: LearnPulse,
) -> None:
    html = as_html(_review(core), "now")
    cards = re.findall(r'<section class="workstream">\s*<h2>([^<]*) <span', html)
    assert cards == [w.name for w in core.require_program().workstreams]
    assert html.index("<h2>Overview</h2>") < html.index('<div class="workstreams">')
    respect = core.catalog.questions[KEY].ask
    assert f"<h3>Key measure: {respect}</h3>" in html
    assert "text-transform" not in html


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
def test_the_html_file_reads_at_1280_and_1920_pixels(core: LearnPulse) -> None:
    from playwright.sync_api import sync_playwright

    answers(core, "respect", KEY, LAST_WEEK, ["4", "4", "4", "4", "5", "5"])
    html = as_html(_review(core), "now")
    measure = """() => ({
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        columns: new Set([...document.querySelectorAll('section.workstream')]
            .map(s => Math.round(s.getBoundingClientRect().left))).size,
        widest: Math.max(...[...document.querySelectorAll('p, .flags li')].map(
            e => e.getBoundingClientRect().width / parseFloat(getComputedStyle(e).fontSize))),
    })"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_content(html)
            at_1280 = page.evaluate(measure)
            page.set_viewport_size({"width": 1920, "height": 1080})
            at_1920 = page.evaluate(measure)
        finally:
            browser.close()
    for seen, columns in ((at_1280, 2), (at_1920, 3)):
        assert seen["overflow"] == 0
        assert seen["columns"] == columns
        assert seen["widest"] / 0.5 <= 110  # about 110 characters of half an em at most


def test_actions_appear_with_their_key_measure_before_and_since_and_unacted_misses_are_flagged(
    core: LearnPulse, clock: ManualClock
) -> None:
    answers(core, "respect", KEY, date(2026, 11, 3), ["3"] * 5)  # the week before the action
    answers(core, "respect", KEY, LAST_WEEK, ["3"] * 5)
    below = _respect(_review(core)).flags
    assert any(f.text.startswith("below target:") and f.text.endswith("no action recorded")
               for f in below)  # fmt: skip
    clock.set(datetime(2026, 11, 9, 15, 0, tzinfo=UTC))  # Monday 9 November

    lead = "slack:U0LEAD0003"
    asyncio.run(run_command(core, lead, "learning-action", f"respect Team charter --question {KEY}",
                            None))  # fmt: skip
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    respect = _respect(_review(core))
    [acted] = respect.actions
    assert acted.before is not None and acted.before.period.end < date(2026, 11, 9)
    assert acted.since is not None and acted.since.period == LAST_WEEK_PERIOD
    text = action_text(acted)
    assert text.startswith("Action #1 Team charter (planned), recorded 09 Nov")
    assert "3.0 / 5 (5 people, Sat 31 Oct to Fri 06 Nov 2026) before" in text
    assert all(not f.text.endswith("no action recorded") for f in respect.flags)
    assert any(f.text.startswith("below target:") for f in respect.flags)
    assert "Team charter" in as_html(_review(core), "now")
