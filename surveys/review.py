"""The program review (step 9): months of data on one page, for a leadership meeting.

Per workstream: each key measure month by month, participation month by month, comment
sentiment, and flags for what needs attention (below target, falling participation, a negative
comment trend). Then the self-assessment index per area (bank ``culture-of-learning``) and the
outcome measures (bank ``outcomes``). The same figures are rendered twice: as a chat ``Report``
and as a standalone HTML file with the charts embedded. Every monthly figure passes the
anonymity thresholds; a month that fails is blank, never estimated.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from bot.messages import Report, Section
from surveys import measures
from surveys.banks import OUTCOMES, SELF_ASSESSMENT, load_bank
from surveys.chart import Series, trend_png
from surveys.periods import Period, months, review_period
from surveys.program import Program, Workstream
from surveys.tallies import PeriodTally, tally
from surveys.thresholds import Thresholds

if TYPE_CHECKING:
    from bot.app import LearnPulse

KIND = "review"
FALLING_PARTICIPATION = 0.10  # a drop of 10 points in response rate, first to last month
NEGATIVE_TREND = -0.10  # sentiment falling this much, or ending below it

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class MeasureTrend:
    """One figure month by month (None where withheld), with its target."""

    name: str
    kind: str
    values: list[float | None]
    target: float | None = None

    @property
    def shown(self) -> list[float]:
        return [v for v in self.values if v is not None]

    @property
    def latest(self) -> float | None:
        return self.shown[-1] if self.shown else None

    @property
    def change(self) -> float | None:
        shown = self.shown
        return shown[-1] - shown[0] if len(shown) >= 2 else None

    def describe(self) -> str:
        if self.latest is None:
            return "not enough responses yet"
        text = measures.written(self.kind, self.latest)
        if self.change is not None:
            text += f" ({measures.change_written(self.kind, self.change)} over the period)"
        if self.target is not None:
            met = measures.target_met(self.latest, self.target)
            text += f"; target {measures.written(self.kind, self.target)} "
            text += "met" if met else "not met"
        return text


@dataclass
class WorkstreamReview:
    id: str
    name: str
    phase: str
    measures: list[MeasureTrend]
    participation: list[float | None]
    sentiment: list[float | None]
    flags: list[str] = field(default_factory=list)
    chart: bytes | None = None


@dataclass
class AreaIndex:
    area: str
    trend: MeasureTrend


@dataclass
class Review:
    """Everything the review shows, before rendering."""

    program: str
    period: Period
    months: list[Period]
    workstreams: list[WorkstreamReview]
    self_assessment: list[AreaIndex]
    outcomes: list[AreaIndex]
    self_assessment_chart: bytes | None = None
    outcomes_chart: bytes | None = None

    @property
    def flags(self) -> list[str]:
        return [f"{w.name}: {flag}" for w in self.workstreams for flag in w.flags]


def scheduled_period(core: LearnPulse) -> Period | None:
    """The latest finished review period, or None without a ``review`` block."""
    program = core.require_program()
    if program.review is None:
        return None
    local_now = core.clock.now().astimezone(program.zone)
    return review_period(program.review.every_months, local_now, program.review.at)


def current_period(core: LearnPulse) -> Period:
    """On demand: the last ``every_months`` calendar months, up to today."""
    program = core.require_program()
    count = program.review.every_months if program.review else 6
    today = core.clock.now().astimezone(program.zone).date()
    first = months(date(today.year, today.month, 1), 1)[0]
    span = _months_back(first, count)
    return Period(span[0].start, today)


def _months_back(last: Period, count: int) -> list[Period]:
    year, month = last.start.year, last.start.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return months(date(year, month, 1), count)


def build_review(core: LearnPulse, session: Session, period: Period) -> Review:
    """Count the months of ``period`` and assemble the review (two grouped queries per set)."""
    program = core.require_program()
    thresholds = Thresholds.of(program)
    spans = [m for m in months(period.start, 13) if m.start <= period.end]
    spans[-1] = Period(spans[-1].start, min(spans[-1].end, period.end))
    ids = [w.id for w in program.workstreams]
    choices = [q.id for w in program.workstreams for q in w.questions if q.kind == "choice"]
    banks = [b for b in (SELF_ASSESSMENT, OUTCOMES) if _bank_on(program, b)]
    tallies = tally(session, ids + banks, spans, choices)
    reviews = [_workstream(w, tallies[w.id], thresholds) for w in program.workstreams]
    labels = [m.start.strftime("%b %Y") for m in spans]
    for one in reviews:
        series = [
            Series(m.name, m.values, m.target, *_range(m.kind))
            for m in one.measures
            if m.kind in measures.SCALES
        ]
        one.chart = trend_png(f"{one.name}: key measures", labels, series)
    self_assessment = _areas(SELF_ASSESSMENT, tallies.get(SELF_ASSESSMENT), thresholds)
    outcomes = _areas(OUTCOMES, tallies.get(OUTCOMES), thresholds)
    return Review(
        program=program.program,
        period=period,
        months=spans,
        workstreams=reviews,
        self_assessment=self_assessment,
        outcomes=outcomes,
        self_assessment_chart=_area_chart("Self-assessment index by area", labels, self_assessment),
        outcomes_chart=_area_chart("Outcome measures by area", labels, outcomes),
    )


def _bank_on(program: Program, bank: str) -> bool:
    return (program.self_assessment if bank == SELF_ASSESSMENT else program.outcomes) is not None


def _range(kind: str) -> tuple[float, float, str]:
    scale = measures.SCALES[kind]
    return scale.low, scale.high, scale.unit


def _workstream(
    workstream: Workstream, tallies: list[PeriodTally], thresholds: Thresholds
) -> WorkstreamReview:
    trends = []
    for question in workstream.key_measures:
        values = [
            measures.figure(question.kind, t.question(question.id).scores)
            if thresholds.scores_shown(t.question(question.id).responses)
            else None
            for t in tallies
        ]
        trends.append(MeasureTrend(question.ask, question.kind, values, question.target))
    participation = [t.response_rate for t in tallies]
    sentiment = [
        t.comments.polarity if thresholds.comments_shown(t.comments.count) else None
        for t in tallies
    ]
    review = WorkstreamReview(
        workstream.id, workstream.name, workstream.phase, trends, participation, sentiment
    )
    review.flags = _flags(review)
    return review


def _flags(review: WorkstreamReview) -> list[str]:
    flags: list[str] = []
    for trend in review.measures:
        latest, target = trend.latest, trend.target
        if latest is not None and target is not None and not measures.target_met(latest, target):
            flags.append(
                f"below target: {_short(trend.name)} at "
                f"{measures.written(trend.kind, latest)} "
                f"(target {measures.written(trend.kind, target)})"
            )
    rates = [r for r in review.participation if r is not None]
    if len(rates) >= 2 and rates[0] - rates[-1] >= FALLING_PARTICIPATION:
        flags.append(f"falling participation: {100 * rates[0]:.0f}% to {100 * rates[-1]:.0f}%")
    tones = [s for s in review.sentiment if s is not None]
    if tones and (
        tones[-1] < NEGATIVE_TREND or (len(tones) >= 2 and tones[-1] - tones[0] <= NEGATIVE_TREND)
    ):
        flags.append(f"negative comment trend: sentiment {tones[0]:+.2f} to {tones[-1]:+.2f}")
    return flags


def _areas(
    bank_id: str, tallies: list[PeriodTally] | None, thresholds: Thresholds
) -> list[AreaIndex]:
    """Per area, the mean of its statements month by month (1-5)."""
    if tallies is None:
        return []
    bank = load_bank(bank_id)
    out: list[AreaIndex] = []
    for area, name in bank.areas.items():
        questions = [q.id for q in bank.questions if q.area == area]
        values: list[float | None] = []
        for month in tallies:
            combined: Counter[float] = Counter()
            people = 0
            for question in questions:
                counted = month.question(question)
                combined.update(counted.scores)
                people = max(people, counted.responses)  # at least this many people answered
            values.append(measures.mean(combined) if thresholds.scores_shown(people) else None)
        out.append(AreaIndex(area, MeasureTrend(name, "scale", values)))
    return out


def _area_chart(title: str, labels: list[str], areas: list[AreaIndex]) -> bytes | None:
    if not any(a.trend.shown for a in areas):
        return None
    return trend_png(
        title, labels, [Series(a.trend.name, a.trend.values, None, 1, 5) for a in areas]
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rates(values: list[float | None]) -> str:
    return " → ".join("n/a" if v is None else f"{100 * v:.0f}%" for v in values)


def _tones(values: list[float | None]) -> str:
    return " → ".join("n/a" if v is None else f"{v:+.2f}" for v in values)


def as_report(review: Review) -> Report:
    """The review as a chat message: flags first, then each workstream and the two banks."""
    flags = review.flags
    sections = [
        Section(
            "Needs attention",
            tuple(flags) or ("Nothing flagged: every key measure is on target.",),
        )
    ]
    for ws in review.workstreams:
        fields = [(f"Key measure: {_short(m.name)}", m.describe()) for m in ws.measures]
        fields.append(("Participation by month", _rates(ws.participation)))
        fields.append(("Comment sentiment by month", _tones(ws.sentiment)))
        sections.append(Section(f"{ws.name} ({ws.phase})", (), tuple(fields)))
    for title, areas in (
        ("Self-assessment index", review.self_assessment),
        ("Outcomes", review.outcomes),
    ):
        if areas:
            sections.append(
                Section(title, (), tuple((a.trend.name, a.trend.describe()) for a in areas))
            )
    months_label = f"{review.months[0].start:%b %Y} to {review.months[-1].end:%b %Y}"
    return Report(
        title=f"Program review: {review.program}",
        summary=f"{months_label} · {len(review.workstreams)} workstreams · "
        f"{len(flags)} flag{'s' if len(flags) != 1 else ''}",
        sections=tuple(sections),
        image_png=review.self_assessment_chart,
        image_alt="Self-assessment index by area, month by month",
    )


def as_html(review: Review, generated: str) -> str:
    """A standalone HTML page (charts embedded as data URIs) for a leadership meeting."""
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    environment.filters["png"] = lambda data: (
        "data:image/png;base64," + base64.b64encode(data).decode("ascii") if data else ""
    )
    environment.filters["rates"] = _rates
    environment.filters["tones"] = _tones
    template = environment.get_template("review.html.j2")
    return template.render(review=review, report=as_report(review), generated=generated)
