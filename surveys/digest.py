"""The digest of a workstream for one period, as a platform-neutral ``Report``.

Per workstream and period: phase, audience, response rate and its change, then every question
(key measures first) with its figure, distribution, change and target, then comment sentiment
and a few quotes, and a chart of the key measures over the last periods. Every figure passes the
anonymity thresholds of ``surveys.thresholds`` first; what fails says "not enough responses
yet". Figures come from ``surveys.tallies`` (SQL ``GROUP BY``), for many workstreams at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.messages import Report, Section
from surveys import measures
from surveys.chart import Chart, Series, trend_chart
from surveys.comments import Quote, latest_text_answers, representative
from surveys.periods import Period, due_period, period_containing, recent
from surveys.posted import DIGEST, ShownBefore, shown_before
from surveys.program import Program, Question, Workstream
from surveys.tallies import CommentTally, PeriodTally, QuestionTally, audience_sizes, tally
from surveys.thresholds import Thresholds

if TYPE_CHECKING:
    from bot.app import LearnPulse

CHART_PERIODS = 8
KIND = DIGEST


@dataclass(frozen=True)
class Digest:
    """A built digest: where it goes, what it shows, and the aggregates it revealed (its
    chart's points among them: ``chart.series``)."""

    workstream_id: str
    period: Period
    destination: str
    report: Report
    summary: dict[str, Any] = field(default_factory=dict)
    chart: Chart | None = None


def digest_key(workstream_id: str, period: Period) -> str:
    """The unique key of the scheduled digest of a period (``posted_digest.key``)."""
    return f"{KIND}:{workstream_id}:{period.start.isoformat()}"


def local_today(core: LearnPulse) -> date:
    return core.clock.now().astimezone(core.require_program().zone).date()


def current_period(core: LearnPulse, workstream: Workstream) -> Period:
    """The period in progress: what an on-demand digest covers."""
    return period_containing(workstream.digest, local_today(core))


def scheduled_period(core: LearnPulse, workstream: Workstream) -> Period:
    """The latest period whose digest time has passed: what the schedule posts."""
    local_now = core.clock.now().astimezone(core.require_program().zone)
    return due_period(workstream.digest, local_now)


def build_digests(
    core: LearnPulse,
    session: Session,
    requests: Sequence[tuple[Workstream, Period]],
    *,
    chart: bool = True,
) -> list[Digest]:
    """Digests for many (workstream, period) pairs; workstreams sharing a schedule and period
    are counted together, in the same few queries."""
    program = core.require_program()
    groups: dict[tuple[Any, Period], list[Workstream]] = defaultdict(list)
    for workstream, period in requests:
        groups[(workstream.digest, period)].append(workstream)
    built: dict[str, Digest] = {}
    for (schedule, period), workstreams in groups.items():
        periods = recent(schedule, period, CHART_PERIODS)
        ids = [w.id for w in workstreams]
        questions = [q for w in workstreams for q in w.questions]
        tallies = tally(
            session,
            ids,
            periods,
            [q.id for q in questions if q.kind == "choice"],
            detailed=2,  # this period and the one before; earlier ones only feed the chart
            trend_questions=[q.id for q in questions if q.key_measure],
        )
        quotes = representative(session, core.vault, ids, period)
        texts = latest_text_answers(
            session, core.vault, [q.id for q in questions if q.kind == "text"], period
        )
        sizes = audience_sizes(session, ids)
        shown = shown_before(session, ids, Period(periods[0].start, period.end))
        for workstream in workstreams:
            built[workstream.id] = _digest(
                program,
                workstream,
                tallies[workstream.id],
                quotes[workstream.id],
                sizes[workstream.id],
                shown.get(workstream.id) or ShownBefore(),
                texts,
                chart=chart,
            )
    return [built[w.id] for w, _ in requests if w.id in built]


def _digest(
    program: Program,
    workstream: Workstream,
    tallies: list[PeriodTally],
    quotes: list[Quote],
    audience: tuple[int, int],
    shown: ShownBefore,
    texts: dict[str, list[str]],
    *,
    chart: bool,
) -> Digest:
    thresholds = Thresholds.of(program)
    now, before = tallies[-1], tallies[-2] if len(tallies) > 1 else PeriodTally(tallies[-1].period)
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
        _question_section(
            q,
            now.question(q.id),
            before.question(q.id),
            thresholds,
            shown.counts(now.period, "responses", q.id),
            (shown.counts(now.period, "pilot", q.id), shown.counts(now.period, "rest", q.id)),
            thresholds.differs_safely(
                before.question(q.id).responses,
                shown.counts(before.period, "responses", q.id),
                thresholds.min_responses,
            ),
            workstream.phase,
            texts.get(q.id, []),
            summary,
        )
        for q in ordered
    ]
    earlier_comments = shown.counts(now.period, "comments")
    sections.append(_comment_section(now.comments, quotes, thresholds, earlier_comments, summary))
    drawn = _chart(workstream, tallies, thresholds, summary, shown) if chart else None
    return Digest(
        workstream_id=workstream.id,
        period=now.period,
        destination=workstream.digest_to,
        report=Report(
            title=f"{workstream.name}: digest",
            summary=_headline(workstream, now, before, audience),
            sections=tuple(sections),
            image_png=drawn.png if drawn is not None else None,
            image_alt=f"Key measures of {workstream.name} over the last {len(tallies)} periods",
        ),
        summary=summary,
        chart=drawn,
    )


def _rate(tally_: PeriodTally) -> str:
    rate = tally_.response_rate
    if rate is None:
        return "no prompts sent"
    return f"{100 * rate:.0f}% ({tally_.responded} of {tally_.asked} asked)"


def _headline(
    workstream: Workstream, now: PeriodTally, before: PeriodTally, audience: tuple[int, int]
) -> str:
    size, pilot = audience
    people = f"audience {size}" + (f" (pilot group {pilot})" if pilot else "")
    rate = f"response rate {_rate(now)}"
    if now.response_rate is not None and before.response_rate is not None:
        delta = 100 * (now.response_rate - before.response_rate)
        rate += f", {measures.change_written('yes_no', delta)} vs the previous period"
    return f"{now.period.label()} · phase: {workstream.phase} · {people} · {rate}"


def _question_section(
    question: Question,
    now: QuestionTally,
    before: QuestionTally,
    thresholds: Thresholds,
    earlier_counts: list[int],
    earlier_split: tuple[list[int], list[int]],
    before_safe: bool,
    phase: str,
    texts: list[str],
    summary: dict[str, Any],
) -> Section:
    heading = ("Key measure: " if question.key_measure else "") + question.ask
    minimum = thresholds.min_responses
    if not thresholds.scores_shown(now.responses):
        return Section(heading, (f"Not enough responses yet ({minimum} needed).",))
    if not thresholds.differs_safely(now.responses, earlier_counts, minimum):
        return Section(
            heading,
            (
                "Not enough new responses since the last digest of this period "
                f"({minimum} needed) — shown again once there are.",
            ),
        )
    summary["responses"][question.id] = now.responses
    fields: list[tuple[str, str]] = [("Responses", str(now.responses))]
    lines: list[str] = []
    value = measures.figure(question.kind, now.scores)
    if value is not None:
        summary["figures"][question.id] = round(value, 3)
        fields.append(("Result", measures.written(question.kind, value)))
        if question.target is not None:
            met = measures.target_met(value, question.target)
            target = measures.written(question.kind, question.target)
            fields.append(("Target", f"{target} — {'met ✓' if met else 'not met ✗'}"))
        previous = measures.figure(question.kind, before.scores)
        if (
            previous is not None
            and before_safe
            and thresholds.change_shown(now.responses, before.responses)
        ):
            fields.append(
                (
                    "Change",
                    measures.change_written(question.kind, value - previous)
                    + " vs the previous period",
                )
            )
        else:
            fields.append(("Change", "no comparison (not enough responses last period)"))
    distribution = _distribution(question, now)
    if distribution:
        lines.append(distribution)
    if question.kind == "text":
        if thresholds.comments_shown(now.responses):
            lines.append("Latest answers:")
            lines.extend(f"“{text}”" for text in texts)
        else:
            lines.append(f"Answers are quoted once {thresholds.min_comments} have answered.")
    pilot_line = _pilot_line(question, now, thresholds, earlier_split, phase)
    if pilot_line:
        summary["pilot"][question.id] = now.pilot_responses
        summary["rest"][question.id] = now.responses - now.pilot_responses
        lines.append(pilot_line)
    return Section(heading, tuple(lines), tuple(fields))


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%"


def _distribution(question: Question, now: QuestionTally) -> str | None:
    total = now.responses
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


def _pilot_line(
    question: Question,
    now: QuestionTally,
    thresholds: Thresholds,
    earlier_split: tuple[list[int], list[int]],
    phase: str,
) -> str | None:
    """Pilot group vs everyone else, only when both sides are large enough on their own."""
    if phase != "organization" or question.kind not in measures.FIGURE_KINDS:
        return None
    if not thresholds.split_shown(now.pilot_responses, now.responses):
        return None
    rest_count = now.responses - now.pilot_responses
    earlier_pilot, earlier_rest = earlier_split
    minimum = thresholds.min_responses
    if not (
        thresholds.differs_safely(now.pilot_responses, earlier_pilot, minimum)
        and thresholds.differs_safely(rest_count, earlier_rest, minimum)
    ):
        return None
    pilot = measures.figure(question.kind, now.pilot_scores)
    rest = measures.figure(question.kind, now.rest_scores)
    if pilot is None or rest is None:
        return None
    return (
        f"Pilot group: {measures.written(question.kind, pilot)} ({now.pilot_responses}) · "
        f"everyone else: {measures.written(question.kind, rest)} ({rest_count})"
    )


def _comment_section(
    comments: CommentTally,
    quotes: list[Quote],
    thresholds: Thresholds,
    earlier: list[int],
    summary: dict[str, Any],
) -> Section:
    minimum = thresholds.min_comments
    if not thresholds.comments_shown(comments.count) or not thresholds.differs_safely(
        comments.count, earlier, minimum
    ):
        return Section("Comments", (f"Not enough comments yet ({minimum} needed).",))
    summary["comments"] = comments.count
    polarity = comments.polarity or 0.0
    tone = "positive" if polarity > 0.1 else "negative" if polarity < -0.1 else "neutral"
    fields = (
        ("Comments", str(comments.count)),
        ("Overall sentiment", f"{polarity:+.2f} ({tone}, -1..1)"),
        (
            "Share",
            f"{_share(comments.positive, comments.count)} positive · "
            f"{_share(comments.neutral, comments.count)} neutral · "
            f"{_share(comments.negative, comments.count)} negative",
        ),
    )
    lines = tuple(f"“{q.text}” ({q.tone})" for q in quotes)
    return Section("Comments", lines, fields)


def _chart(
    workstream: Workstream,
    tallies: list[PeriodTally],
    thresholds: Thresholds,
    summary: dict[str, Any],
    shown: ShownBefore,
) -> Chart | None:
    series: list[Series] = []
    for question in workstream.key_measures:
        if question.kind not in measures.SCALES:
            continue
        scale = measures.SCALES[question.kind]
        values: list[float | None] = []
        for index, period_tally in enumerate(tallies):
            counted = period_tally.question(question.id)
            latest = index == len(tallies) - 1
            allowed = (
                thresholds.scores_shown(counted.responses)
                and (not latest or question.id in summary["responses"])
                and thresholds.differs_safely(
                    counted.responses,
                    shown.counts(period_tally.period, "responses", question.id),
                    thresholds.min_responses,
                )
            )
            values.append(measures.figure(question.kind, counted.scores) if allowed else None)
        series.append(
            Series(question.ask, values, question.target, scale.low, scale.high, scale.unit)
        )
    labels = [t.period.short_label() for t in tallies]
    return trend_chart(f"{workstream.name}: key measures", labels, series)
