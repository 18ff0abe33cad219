"""The program review (step 9): months of data on one page, for a leadership meeting.

The review covers a span of months (``review.every_months``) and compares it with the span
before. Its figures are the digests' figures: each workstream's key measures, participation and
comment sentiment per period of that workstream's own digest grid, each passing
``surveys.disclosure`` like any other surface, so digest, status and review tell one story. On
top of those it shows only what follows from figures already shown: the latest finished
period's figure (the one status shows) against its target, red/amber/green; the mean of the
span's shown periods against the span before; and flags, ranked, each backed by enough people.
Self-assessment areas and outcome measures (the built-in banks) are counted per calendar month.
Rendering is in ``surveys.review_render``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from surveys import actions, measures, segment_heatmap, segment_report, theme_section
from surveys.actions import ActionView
from surveys.banks import OUTCOMES, SELF_ASSESSMENT, load_bank
from surveys.chart import Series, trend_chart, trend_png
from surveys.context import Reporting
from surveys.disclosure import ALL, COMMENTS, Bundle, Candidate, FigureKey, admit, candidate
from surveys.periods import Period, months, period_containing, previous, review_period
from surveys.program import Program, Question, Workstream
from surveys.review_flags import ranked_flags
from surveys.review_model import (
    ActionReview,
    AreaIndex,
    MeasureView,
    Point,
    Review,
    WorkstreamReview,
)
from surveys.tallies import tally
from surveys.tally_model import PeriodTally
from surveys.theme_tallies import ThemeTallies, count_themes
from surveys.thresholds import Thresholds

KIND = "review"


def scheduled_period(core: Reporting) -> Period | None:
    """The latest finished review period, or None without a ``review`` block."""
    program = core.require_program()
    if program.review is None:
        return None
    local_now = core.clock.now().astimezone(program.zone)
    return review_period(program.review.every_months, local_now, program.review.at)


def current_period(core: Reporting) -> Period:
    """On demand: the last ``every_months`` calendar months, up to today."""
    program = core.require_program()
    count = program.review.every_months if program.review else 6
    today = core.clock.now().astimezone(program.zone).date()
    first = _months_back(date(today.year, today.month, 1), count)[0]
    return Period(first.start, today)


def period_before(period: Period) -> Period:
    """The span of as many calendar months right before ``period``."""
    count = len(_month_spans(period))
    start = _months_back(date(period.start.year, period.start.month, 1), count + 1)[0].start
    return Period(start, period.start - timedelta(days=1))


def _months_back(last_month: date, count: int) -> list[Period]:
    year, month = last_month.year, last_month.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return months(date(year, month, 1), count)


def _month_spans(period: Period) -> list[Period]:
    spans = [m for m in months(period.start, 25) if m.start <= period.end]
    spans[-1] = Period(spans[-1].start, min(spans[-1].end, period.end))
    return spans


def grid(schedule: Any, span: Period, today: date) -> list[Period]:
    """A workstream's digest periods that end inside ``span`` and are finished by ``today``."""
    last_day = min(span.end, today - timedelta(days=1))
    out: list[Period] = []
    period = period_containing(schedule, last_day)
    if period.end > last_day:
        period = previous(schedule, period)
    while period.end >= span.start:
        out.append(period)
        period = previous(schedule, period)
    return out[::-1]


@dataclass
class _Counted:
    workstream: Workstream
    earlier: list[PeriodTally]
    span: list[PeriodTally]
    actions: list[ActionView] = field(default_factory=list)
    themes: ThemeTallies | None = None


def build_review(core: Reporting, period: Period) -> Review:
    """Count, decide what may be shown (one transaction), and assemble the review."""
    program = core.require_program()
    thresholds = Thresholds.of(program)
    today = core.clock.now().astimezone(program.zone).date()
    before = period_before(period)
    counted, banks = _count(core, program, period, before, today)
    by_workstream: dict[str, list[ActionView]] = defaultdict(list)
    for action in actions.listed(core, [one.workstream.id for one in counted]):
        created = action.created_at.astimezone(program.zone).date()
        finished = action.done_at.astimezone(program.zone).date() if action.done_at else None
        if created <= period.end and (finished is None or finished >= period.start):
            by_workstream[action.workstream_id].append(action)
    for one in counted:
        one.actions = by_workstream.get(one.workstream.id, [])
    bundles = [b for one in counted for b in _bundles(one, thresholds)]
    for bank_id, rows in banks.items():
        bundles += _bank_bundles(bank_id, rows, thresholds)
    latest = [(one.workstream, one.span[-1]) for one in counted if one.span]
    segmented = segment_heatmap.count(core, latest, thresholds.min_responses)
    bundles += segment_report.bundles(segmented, thresholds.min_responses)
    for one in counted:
        if one.themes is not None:
            bundles += theme_section.bundles(one.workstream.id, one.themes, thresholds.min_comments)
    admitted = admit(core.engine, bundles, core.clock.now())
    reviews = [_workstream(one, admitted, thresholds, program.zone) for one in counted]
    for one, review in zip(counted, reviews, strict=True):
        review.heatmap = segment_heatmap.of_workstream(
            core,
            one.workstream,
            one.span[-1].period if one.span else None,
            segmented,
            admitted,
            thresholds.min_responses,
        )
        if one.themes is not None:
            review.themes = theme_section.shown(one.workstream.id, one.themes, admitted)
    self_assessment = _areas(SELF_ASSESSMENT, banks.get(SELF_ASSESSMENT), admitted)
    outcomes = _areas(OUTCOMES, banks.get(OUTCOMES), admitted)
    return Review(
        program=program.program,
        period=period,
        before=before,
        workstreams=reviews,
        self_assessment=self_assessment,
        outcomes=outcomes,
        self_assessment_chart=_area_chart("Self-assessment index by area", self_assessment),
        outcomes_chart=_area_chart("Outcome measures by area", outcomes),
    )


def _count(
    core: Reporting, program: Program, period: Period, before: Period, today: date
) -> tuple[list[_Counted], dict[str, tuple[list[PeriodTally], int]]]:
    groups: dict[Any, list[Workstream]] = defaultdict(list)
    for workstream in program.workstreams:
        groups[workstream.digest].append(workstream)
    counted: dict[str, _Counted] = {}
    banks: dict[str, tuple[list[PeriodTally], int]] = {}
    with core.reading() as session:
        for schedule, members in groups.items():
            earlier, span = grid(schedule, before, today), grid(schedule, period, today)
            if not span and not earlier:
                for w in members:
                    counted[w.id] = _Counted(w, [], [])
                continue
            choices = [q.id for w in members for q in w.questions if q.kind == "choice"]
            tallies = tally(session, [w.id for w in members], earlier + span, choices)
            for w in members:
                rows = tallies[w.id]
                counted[w.id] = _Counted(w, rows[: len(earlier)], rows[len(earlier) :])
        themes = count_themes(
            session, core.vault, [w.id for w in program.workstreams], before, period,
            program.anonymity.min_comments,
        )  # fmt: skip
        for workstream_id, found in themes.items():
            counted[workstream_id].themes = found
        ids = [b for b in (SELF_ASSESSMENT, OUTCOMES) if _bank_on(program, b)]
        if ids:
            earlier_months = _month_spans(before)
            month_spans = [m for m in _month_spans(period) if m.start <= today]
            tallies = tally(session, ids, earlier_months + month_spans)
            for bank_id in ids:
                banks[bank_id] = (tallies[bank_id], len(earlier_months))
    return [counted[w.id] for w in program.workstreams], banks


def _bank_on(program: Program, bank: str) -> bool:
    return (program.self_assessment if bank == SELF_ASSESSMENT else program.outcomes) is not None


def _bundles(one: _Counted, thresholds: Thresholds) -> Iterator[Bundle]:
    ws = one.workstream
    for rows in (one.earlier, one.span):
        for row in rows:
            for question in ws.key_measures:
                counted = row.question(question.id)
                yield (
                    candidate(
                        ws.id, question.id, ALL, row.period, counted, thresholds.min_responses
                    ),
                )
            comments = row.comments
            yield (
                Candidate(
                    FigureKey(ws.id, COMMENTS, ALL, row.period),
                    comments.people,
                    comments.comments,
                    thresholds.min_comments,
                ),
            )


def _points(
    ws_id: str, question: Question, rows: list[PeriodTally], admitted: frozenset[FigureKey]
) -> list[Point]:
    out = []
    for row in rows:
        counted = row.question(question.id)
        shown = FigureKey(ws_id, question.id, ALL, row.period) in admitted
        value = measures.figure(question.kind, counted.scores) if shown else None
        out.append(Point(row.period, value, counted.people if shown else 0))
    return out


def _rates(rows: list[PeriodTally]) -> list[Point]:
    """Response rates per period (people answered of people asked): counts, not answers."""
    return [Point(r.period, r.response_rate, r.asked) for r in rows]


def _tones(ws_id: str, rows: list[PeriodTally], admitted: frozenset[FigureKey]) -> list[Point]:
    out = []
    for row in rows:
        shown = FigureKey(ws_id, COMMENTS, ALL, row.period) in admitted
        out.append(Point(row.period, row.comments.polarity if shown else None, row.comments.people))
    return out


def _workstream(
    one: _Counted, admitted: frozenset[FigureKey], thresholds: Thresholds, zone: ZoneInfo
) -> WorkstreamReview:
    ws = one.workstream
    views = [
        MeasureView(
            q.ask,
            q.kind,
            q.target,
            _points(ws.id, q, one.span, admitted),
            _points(ws.id, q, one.earlier, admitted),
            q.id,
        )
        for q in ws.key_measures
    ]
    review = WorkstreamReview(
        ws.id,
        ws.name,
        ws.phase,
        views,
        _rates(one.span),
        _rates(one.earlier),
        _tones(ws.id, one.span, admitted),
        _tones(ws.id, one.earlier, admitted),
    )
    review.actions = [_acted(action, views, zone) for action in one.actions]
    review.flags = ranked_flags(review, thresholds.min_responses)
    labels = [p.period.short_label() for p in views[0].points] if views else []
    series = [
        Series(
            m.name,
            [p.value for p in m.points],
            m.target,
            *_range(m.kind),
            people=[p.people for p in m.points],
        )
        for m in views
        if m.kind in measures.SCALES
    ]
    review.chart = trend_chart(f"{ws.name}: key measures", labels, series)
    return review


def _acted(action: ActionView, views: list[MeasureView], zone: ZoneInfo) -> ActionReview:
    """An action with its key measure (its own question's, else the workstream's first) in the
    last shown period that ended before it, and in the latest shown period that began after."""
    view = next((v for v in views if v.question_id == action.question_id), None) or (
        views[0] if views else None
    )
    if view is None:
        return ActionReview(action, None, "scale", None, None)
    started = action.created_at.astimezone(zone).date()
    points = [*view.earlier, *view.points]
    before = [p for p in points if p.value is not None and p.period.end < started]
    since = [p for p in points if p.value is not None and p.period.start > started]
    return ActionReview(
        action, view.name, view.kind, before[-1] if before else None, since[-1] if since else None
    )


def _range(kind: str) -> tuple[float, float, str]:
    scale = measures.SCALES[kind]
    return scale.low, scale.high, scale.unit


def _bank_bundles(
    bank_id: str, rows: tuple[list[PeriodTally], int], thresholds: Thresholds
) -> Iterator[Bundle]:
    bank = load_bank(bank_id)
    tallies, _split = rows
    for month in tallies:
        for area in bank.areas:
            people, answers = _area_counts(bank_id, area, month)
            yield (
                Candidate(
                    FigureKey(bank_id, f"area:{area}", ALL, month.period),
                    people,
                    answers,
                    thresholds.min_responses,
                ),
            )


def _area_counts(bank_id: str, area: str, month: PeriodTally) -> tuple[int, int]:
    """People behind an area's index (at least the most who answered any one of its
    statements) and the answers it is made of."""
    questions = [q.id for q in load_bank(bank_id).questions if q.area == area]
    counted = [month.question(q) for q in questions]
    return max((c.people for c in counted), default=0), sum(c.answers for c in counted)


def _areas(
    bank_id: str,
    rows: tuple[list[PeriodTally], int] | None,
    admitted: frozenset[FigureKey],
) -> list[AreaIndex]:
    """Per area, the mean of its statements month by month (1-5), where admitted."""
    if rows is None:
        return []
    tallies, split = rows
    bank = load_bank(bank_id)
    out: list[AreaIndex] = []
    for area, name in bank.areas.items():
        questions = [q.id for q in bank.questions if q.area == area]
        points: list[Point] = []
        for month in tallies:
            combined: Counter[float] = Counter()
            for question in questions:
                combined.update(month.question(question).scores)
            people, _answers = _area_counts(bank_id, area, month)
            shown = FigureKey(bank_id, f"area:{area}", ALL, month.period) in admitted
            value = measures.mean(combined) if shown else None
            points.append(Point(month.period, value, people if shown else 0))
        view = MeasureView(name, "scale", None, points[split:], points[:split])
        out.append(AreaIndex(area, view))
    return out


def _area_chart(title: str, areas: list[AreaIndex]) -> bytes | None:
    if not any(a.trend.latest for a in areas):
        return None
    labels = [p.period.start.strftime("%b %Y") for p in areas[0].trend.points]
    series = [
        Series(
            a.trend.name,
            [p.value for p in a.trend.points],
            None,
            1,
            5,
            people=[p.people for p in a.trend.points],
        )
        for a in areas
    ]
    return trend_png(title, labels, series)
