"""Rendering a digest: the headline, a section per question (key measures first) with its
figure, the people behind it, distribution, change and target, the comments' sentiment and a few
quotes, and a chart of the key measures over the last periods.

Only figures the disclosure rule admitted are shown; anything else says "not enough responses
yet", and a chart point that was withheld is a gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from bot.messages import Choice, Report, Section
from surveys import conversations, digest_actions, measures, segment_report
from surveys.chart import Series, trend_chart
from surveys.digest_model import Counted, Digest, charted
from surveys.disclosure import ALL, COMMENTS, PILOT, FigureKey
from surveys.program import Question, Workstream
from surveys.tally_model import PeriodTally, QuestionTally
from surveys.thresholds import Thresholds


def render(
    one: Counted,
    thresholds: Thresholds,
    admitted: frozenset[FigureKey],
    zone: ZoneInfo,
    *,
    chart: bool,
) -> Digest:
    """The digest of one counted workstream, showing only the figures in ``admitted``; what
    is shown is noted in its ``summary``."""
    workstream, now = one.workstream, one.now
    summary: dict[str, Any] = {
        "asked": now.asked,
        "responded": now.responded,
        "responses": {},
        "figures": {},
        "pilot": {},
        "rest": {},
        "comments": 0,
    }
    ordered = sorted(workstream.questions, key=lambda q: not q.key_measure)
    sections = [
        _question_section(q, one, thresholds, admitted, one.texts.get(q.id, []), summary)
        for q in ordered
    ]
    sections.extend(segment_report.sections(one.breakdowns, admitted, thresholds.min_responses))
    if one.segment_note:
        sections.append(segment_report.ANONYMOUS_SECTION)
    shown_comments = FigureKey(workstream.id, COMMENTS, ALL, now.period) in admitted
    sections.append(_comment_section(one, thresholds, shown_comments, summary))
    if one.theme_section is not None:
        sections.append(one.theme_section)
    acted = digest_actions.section(one, zone, admitted)
    if acted is not None:
        sections.append(acted)
    labels = [t.period.short_label() for t in one.tallies]
    drawn = (
        trend_chart(f"{workstream.name}: key measures", labels, list(_series(one, admitted)))
        if chart
        else None
    )
    return Digest(
        workstream_id=workstream.id,
        period=now.period,
        destination=workstream.digest_to,
        report=Report(
            title=f"{workstream.name}: digest",
            summary=_headline(workstream, one),
            sections=tuple(sections),
            image_png=drawn.png if drawn is not None else None,
            image_alt=f"Key measures of {workstream.name} over the last {len(one.tallies)} periods",
            actions=(Choice(f"/learning-action {workstream.id} plan", "Plan an action"),),
        ),
        summary=summary,
        chart=drawn,
    )


def _rate(tally_: PeriodTally) -> str:
    rate = tally_.response_rate
    if rate is None:
        return "no prompts sent"
    return f"{100 * rate:.0f}% ({tally_.responded} of {tally_.asked} people asked)"


def _headline(workstream: Workstream, one: Counted) -> str:
    now, before = one.now, one.before
    size, pilot = one.audience
    people = f"audience {size}" + (f" (pilot group {pilot})" if pilot else "")
    rate = f"response rate {_rate(now)}"
    if one.partial:
        label = f"{now.period.label()} (in progress)"
    else:
        label = now.period.label()
        if now.response_rate is not None and before.response_rate is not None:
            delta = 100 * (now.response_rate - before.response_rate)
            rate += f", {measures.change_written('yes_no', delta)} vs the previous period"
    return f"{label} · phase: {workstream.phase} · {people} · {rate}"


def _people(counted: QuestionTally) -> str:
    if counted.answers != counted.people:
        return f"{counted.people} ({counted.answers} answers)"
    return str(counted.people)


def _question_section(
    question: Question,
    one: Counted,
    thresholds: Thresholds,
    admitted: frozenset[FigureKey],
    texts: list[str],
    summary: dict[str, Any],
) -> Section:
    ws_id, period = one.workstream.id, one.now.period
    now = one.now.question(question.id)
    heading = ("Key measure: " if question.key_measure else "") + question.ask
    minimum = thresholds.min_responses
    if FigureKey(ws_id, question.id, ALL, period) not in admitted:
        if now.people < minimum:
            return Section(heading, (f"Not enough responses yet ({minimum} needed).",))
        return Section(
            heading,
            (
                "Not enough new responses since this period's figure was last shown "
                f"({minimum} needed) — shown again once there are.",
            ),
        )
    summary["responses"][question.id] = now.people
    fields: list[tuple[str, str]] = [("People", _people(now))]
    lines: list[str] = []
    value = measures.figure(question.kind, now.scores)
    if value is not None:
        summary["figures"][question.id] = round(value, 3)
        fields.append(("Result", measures.written(question.kind, value)))
        if question.target is not None:
            met = measures.target_met(value, question.target)
            target = measures.written(question.kind, question.target)
            fields.append(("Target", f"{target} — {'met ✓' if met else 'not met ✗'}"))
        fields.append(("Change", _change(question, one, admitted, value)))
    distribution = _distribution(question, now)
    if distribution:
        lines.append(distribution)
    if question.kind == "text":
        if now.people >= thresholds.min_comments:
            lines.append("Latest answers:")
            lines.extend(f"“{text}”" for text in texts)
        else:
            lines.append(f"Answers are quoted once {thresholds.min_comments} have answered.")
    if FigureKey(ws_id, question.id, PILOT, period) in admitted:
        summary["pilot"][question.id] = now.pilot_people
        summary["rest"][question.id] = now.rest_people
        lines.append(_pilot_line(question, now))
    return Section(heading, tuple(lines), tuple(fields))


def _change(question: Question, one: Counted, admitted: frozenset[FigureKey], value: float) -> str:
    if one.partial:
        return "no comparison while the period is in progress"
    before = one.before
    previous = measures.figure(question.kind, before.question(question.id).scores)
    key = FigureKey(one.workstream.id, question.id, ALL, before.period)
    if previous is None or key not in admitted:
        return "no comparison (not enough responses last period)"
    return measures.change_written(question.kind, value - previous) + " vs the previous period"


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%"


def _distribution(question: Question, now: QuestionTally) -> str | None:
    total = now.answers
    if question.kind == "scale":
        return "Distribution: " + " · ".join(
            f"{s}: {_share(now.scores.get(float(s), 0), total)}" for s in range(1, 6)
        )
    if question.kind == "yes_no":
        yes = now.scores.get(1.0, 0)
        return f"Yes {_share(yes, total)} · no {_share(total - yes, total)}"
    if question.kind == "enps":
        promoters = sum(n for s, n in now.scores.items() if s >= 9)
        detractors = sum(n for s, n in now.scores.items() if s <= 6)
        passives = total - promoters - detractors
        return (
            f"Promoters (9-10) {_share(promoters, total)} · passives (7-8) "
            f"{_share(passives, total)} · detractors (0-6) {_share(detractors, total)}"
        )
    if question.kind == "choice":
        options = list(question.options or []) + sorted(
            set(now.choices) - set(question.options or [])
        )
        return " · ".join(f"{o}: {_share(now.choices.get(o, 0), total)}" for o in options)
    return None


def _pilot_line(question: Question, now: QuestionTally) -> str:
    """Pilot group vs everyone else (admitted only when both sides pass on their own)."""
    pilot = measures.figure(question.kind, now.pilot_scores) or 0.0
    rest = measures.figure(question.kind, now.rest_scores) or 0.0
    return (
        f"Pilot group: {measures.written(question.kind, pilot)} ({now.pilot_people}) · "
        f"everyone else: {measures.written(question.kind, rest)} ({now.rest_people})"
    )


NO_REPLIES = (
    "Replies to comments are not offered: in anonymous mode nothing links a comment to the "
    "person who wrote it."
)


def _comment_section(
    one: Counted, thresholds: Thresholds, shown: bool, summary: dict[str, Any]
) -> Section:
    minimum = thresholds.min_comments
    comments = one.now.comments
    if not shown:
        return Section("Comments", (f"Not enough comments yet ({minimum} people needed).",))
    summary["comments"] = comments.people
    polarity = comments.polarity or 0.0
    tone = "positive" if polarity > 0.1 else "negative" if polarity < -0.1 else "neutral"
    fields = (
        ("People who commented", str(comments.people)),
        ("Overall sentiment", f"{polarity:+.2f} ({tone}, -1..1)"),
        (
            "Share",
            f"{_share(comments.positive, comments.comments)} positive · "
            f"{_share(comments.neutral, comments.comments)} neutral · "
            f"{_share(comments.negative, comments.comments)} negative",
        ),
    )
    lines = tuple(f"“{q.text}” ({q.tone})" for q in one.quotes)
    if not one.replies:
        lines += (NO_REPLIES,)
    buttons = tuple(
        Choice(conversations.reply_command(one.reply_tokens[q.answer_id]),
               f"Reply to the {q.tone} comment")
        for q in one.quotes
        if q.answer_id in one.reply_tokens
    )  # fmt: skip
    return Section("Comments", lines, fields, buttons)


def _series(one: Counted, admitted: frozenset[FigureKey]) -> Iterator[Series]:
    """The key measures' points, each with the people behind it: a figure only where it was
    admitted, a gap elsewhere."""
    for question in charted(one.workstream):
        scale = measures.SCALES[question.kind]
        values: list[float | None] = []
        people: list[int | None] = []
        for period_tally in one.tallies:
            key = FigureKey(one.workstream.id, question.id, ALL, period_tally.period)
            counted = period_tally.question(question.id)
            shown = key in admitted
            values.append(measures.figure(question.kind, counted.scores) if shown else None)
            people.append(counted.people if shown else None)
        yield Series(
            question.ask, values, question.target, scale.low, scale.high, scale.unit, people
        )
