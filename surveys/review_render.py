"""The review, rendered: a chat ``Report`` and a standalone HTML page with its charts embedded.

Both open with the overview (workstreams by key measures, red / amber / green against target),
then what needs attention, ranked, then each workstream and the two banks. Every figure says
which period and how many people it covers.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.messages import Report, Section
from surveys import measures, theme_section
from surveys.review_model import ActionReview, Average, MeasureView, Point, Review

_TEMPLATES = Path(__file__).with_name("templates")
RATING_MARK = {"green": "🟢", "amber": "🟠", "red": "🔴", "grey": "⚪"}
RATING_WORD = {
    "green": "on target",
    "amber": "just below target",
    "red": "below target",
    "grey": "no figure yet",
}


def span_label(review: Review) -> str:
    period, before = review.period, review.before
    return (
        f"{period.start:%d %b %Y} to {period.end:%d %b %Y} "
        f"(compared with {before.start:%d %b %Y} to {before.end:%d %b %Y})"
    )


def latest_text(view: MeasureView) -> str:
    """The latest shown period's figure, its people and period, and the target."""
    latest = view.latest
    if latest is None or latest.value is None:
        return "not enough responses yet"
    text = (
        f"{measures.written(view.kind, latest.value)} ({latest.people} people, "
        f"{latest.period.label()})"
    )
    if view.target is not None:
        text += f"; target {measures.written(view.kind, view.target)}"
    return text


def span_text(view: MeasureView) -> str:
    """The span's mean of shown periods against the span before."""
    span, before = view.span, view.before
    if span is None:
        return "no period of this review had enough responses"
    text = f"{measures.written(view.kind, span.value)} over {_periods(span)}"
    if before is not None:
        change = measures.change_written(view.kind, span.value - before.value)
        text += f"; {change} against {measures.written(view.kind, before.value)} before"
    return text


def _periods(average: Average) -> str:
    plural = "s" if average.periods != 1 else ""
    return f"{average.periods} period{plural} ({average.people} responses)"


def rates_text(points: list[Point]) -> str:
    shown = [p for p in points if p.value is not None]
    if not shown:
        return "nothing sent"
    asked = sum(p.people for p in shown)
    answered = sum((p.value or 0.0) * p.people for p in shown)
    last = shown[-1]
    return (
        f"{100 * answered / asked:.0f}% of people asked over {len(shown)} "
        f"period{'s' if len(shown) != 1 else ''}; "
        f"latest {100 * (last.value or 0.0):.0f}% ({last.period.label()})"
    )


def tones_text(points: list[Point]) -> str:
    average = Average.of(points)
    if average is None:
        return "not enough comments yet"
    return f"{average.value:+.2f} (-1..1) over {_periods(average)}".replace(
        "responses)", "people commenting)"
    )


def action_text(one: ActionReview) -> str:
    """``Action #3 Office hours (done, recorded 01 Dec): LMS … 2.0 / 5 before, 4.0 / 5 since``."""
    action = one.action
    text = f"Action {action.line()}, recorded {action.created_at:%d %b}"
    parts = []
    for label, point in (("before", one.before), ("since", one.since)):
        if point is not None and point.value is not None:
            parts.append(f"{_point_text(one, point)} {label}")
    if parts and one.measure:
        text += f": “{one.measure}” " + ", ".join(parts)
    return text


def _point_text(one: ActionReview, point: Point) -> str:
    value = measures.written(one.kind, point.value) if point.value is not None else "n/a"
    return f"{value} ({point.people} people, {point.period.label()})"


def overview_lines(review: Review) -> tuple[str, ...]:
    lines = []
    for ws in review.workstreams:
        for view in ws.measures:
            lines.append(
                f"{RATING_MARK[view.rating]} {ws.name} · {view.name} — {latest_text(view)}"
            )
    return tuple(lines) or ("No key measures in the program.",)


def as_report(review: Review) -> Report:
    """The review as a chat message: overview, flags, then each workstream and the banks."""
    flags = review.flags
    sections = [
        Section("Overview", overview_lines(review)),
        Section(
            "Needs attention",
            tuple(flags) or ("Nothing flagged: every key measure is on target.",),
        ),
    ]
    for ws in review.workstreams:
        fields: list[tuple[str, str]] = []
        for view in ws.measures:
            fields.append((f"Key measure: {view.name}", latest_text(view)))
            fields.append(("Over the review period", span_text(view)))
        fields.append(("Participation", rates_text(ws.participation)))
        fields.append(("Comment sentiment", tones_text(ws.sentiment)))
        if ws.heatmap is not None:
            fields.append(("By segment", ws.heatmap.compact))
        fields += [("Theme", theme_section.with_quote(line)) for line in ws.themes]
        acted = tuple(action_text(one) for one in ws.actions)
        sections.append(Section(f"{ws.name} ({ws.phase})", acted, tuple(fields)))
    for title, areas in (
        ("Self-assessment index", review.self_assessment),
        ("Outcomes", review.outcomes),
    ):
        if areas:
            sections.append(
                Section(title, (), tuple((a.trend.name, span_text(a.trend)) for a in areas))
            )
    return Report(
        title=f"Program review: {review.program}",
        summary=f"{span_label(review)} · {len(review.workstreams)} workstreams · "
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
    environment.globals.update(
        latest_text=latest_text,
        action_text=action_text,
        span_text=span_text,
        rates_text=rates_text,
        tones_text=tones_text,
        rating_mark=RATING_MARK,
        rating_word=RATING_WORD,
        span_label=span_label(review),
    )
    template = environment.get_template("review.html.j2")
    return template.render(review=review, report=as_report(review), generated=generated)
