"""The digest of a workstream for one period, as a platform-neutral ``Report``.

Per workstream and period: phase, audience, response rate (people) and its change, then every
question (key measures first) with its figure, the number of people behind it, distribution,
change and target, then comment sentiment and a few quotes, and a chart of the key measures over
the last periods. Built in three steps: count (``surveys.tallies``, SQL ``GROUP BY`` over many
workstreams at once, in a read-only transaction), decide what may be shown (``surveys.disclosure``:
thresholds and the no-subtraction rule, remembered), then render. What may not be shown says
"not enough responses yet".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.messages import Report, Section
from surveys import measures
from surveys.chart import Chart, Series, trend_chart
from surveys.comments import Quote, latest_text_answers, representative
from surveys.context import Reporting
from surveys.disclosure import ALL, COMMENTS, PILOT, REST, Bundle, Candidate, FigureKey, admit
from surveys.periods import Period, due_period, period_containing, recent
from surveys.program import Program, Question, Workstream
from surveys.response_tallies import audience_sizes
from surveys.tallies import tally
from surveys.tally_model import PeriodTally, QuestionTally
from surveys.thresholds import Thresholds

CHART_PERIODS = 8
KIND = "digest"


@dataclass(frozen=True)
class Digest:
    """A built digest: where it goes, what it shows, and the aggregates it revealed (its
    chart's points among them: ``chart.series``, None where a point was withheld)."""

    workstream_id: str
    period: Period
    destination: str
    report: Report
    summary: dict[str, Any] = field(default_factory=dict)
    chart: Chart | None = None


@dataclass
class _Counted:
    """What the database said about one workstream, before anything is decided."""

    workstream: Workstream
    tallies: list[PeriodTally]
    quotes: list[Quote]
    audience: tuple[int, int]
    texts: dict[str, list[str]]
    partial: bool  # the period is still in progress

    @property
    def now(self) -> PeriodTally:
        return self.tallies[-1]

    @property
    def before(self) -> PeriodTally:
        return self.tallies[-2] if len(self.tallies) > 1 else PeriodTally(self.now.period)


def digest_key(workstream_id: str, period: Period) -> str:
    """The unique key of the scheduled digest of a period (``posted_digest.key``)."""
    return f"{KIND}:{workstream_id}:{period.start.isoformat()}"


def local_today(core: Reporting) -> date:
    return core.clock.now().astimezone(core.require_program().zone).date()


def current_period(core: Reporting, workstream: Workstream) -> Period:
    """The period in progress: what an on-demand digest covers."""
    return period_containing(workstream.digest, local_today(core))


def scheduled_period(core: Reporting, workstream: Workstream) -> Period:
    """The latest period whose digest time has passed: what the schedule posts."""
    local_now = core.clock.now().astimezone(core.require_program().zone)
    return due_period(workstream.digest, local_now)


def build_digests(
    core: Reporting,
    requests: Sequence[tuple[Workstream, Period]],
    *,
    chart: bool = True,
) -> list[Digest]:
    """Digests for many (workstream, period) pairs; workstreams sharing a schedule and period
    are counted together, in the same few queries, and decided in one transaction."""
    program = core.require_program()
    thresholds = Thresholds.of(program)
    counted = _count(core, requests)
    bundles = [b for one in counted for b in _bundles(one, thresholds, chart)]
    admitted = admit(core.engine, bundles, core.clock.now())
    return [_render(program, one, thresholds, admitted, chart=chart) for one in counted]


def _count(core: Reporting, requests: Sequence[tuple[Workstream, Period]]) -> list[_Counted]:
    today = local_today(core)
    groups: dict[tuple[Any, Period], list[Workstream]] = defaultdict(list)
    for workstream, period in requests:
        groups[(workstream.digest, period)].append(workstream)
    counted: dict[str, _Counted] = {}
    with core.reading() as session:
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
            for workstream in workstreams:
                counted[workstream.id] = _Counted(
                    workstream,
                    tallies[workstream.id],
                    quotes[workstream.id],
                    sizes[workstream.id],
                    texts,
                    partial=period.end >= today,
                )
    return [counted[w.id] for w, _ in requests if w.id in counted]


def candidate(
    workstream_id: str, question_id: str, part: str, period: Period, counted: QuestionTally,
    minimum: int,
) -> Candidate:  # fmt: skip
    """The figure of one question, group and period, as the disclosure rule sees it."""
    people, answers = {
        ALL: (counted.people, counted.answers),
        PILOT: (counted.pilot_people, counted.pilot_answers),
        REST: (counted.rest_people, counted.rest_answers),
    }[part]
    return Candidate(FigureKey(workstream_id, question_id, part, period), people, answers, minimum)


def _bundles(one: _Counted, thresholds: Thresholds, chart: bool) -> Iterator[Bundle]:
    """Every figure the digest would show: each question's, its pilot split and its change,
    the comments', and the chart's points."""
    ws, now, before = one.workstream, one.now, one.before
    minimum = thresholds.min_responses
    changes: list[Bundle] = []
    for question in one.workstream.questions:
        main = candidate(ws.id, question.id, ALL, now.period, now.question(question.id), minimum)
        yield (main,)
        if _split_wanted(question, ws.phase):
            counted = now.question(question.id)
            yield (
                main,
                candidate(ws.id, question.id, PILOT, now.period, counted, minimum),
                candidate(ws.id, question.id, REST, now.period, counted, minimum),
            )
        if question.kind in measures.FIGURE_KINDS and not one.partial:
            earlier = before.question(question.id)
            changes.append(
                (main, candidate(ws.id, question.id, ALL, before.period, earlier, minimum))
            )
    comments = now.comments
    yield (
        Candidate(
            FigureKey(ws.id, COMMENTS, ALL, now.period),
            comments.people,
            comments.comments,
            thresholds.min_comments,
        ),
    )
    yield from changes
    if chart:
        for question in _charted(ws):
            for period_tally in one.tallies[:-1]:
                counted = period_tally.question(question.id)
                yield (candidate(ws.id, question.id, ALL, period_tally.period, counted, minimum),)


def _split_wanted(question: Question, phase: str) -> bool:
    return phase == "organization" and question.kind in measures.FIGURE_KINDS


def _charted(workstream: Workstream) -> list[Question]:
    return [q for q in workstream.key_measures if q.kind in measures.SCALES]


def _render(
    program: Program,
    one: _Counted,
    thresholds: Thresholds,
    admitted: frozenset[FigureKey],
    *,
    chart: bool,
) -> Digest:
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
    shown_comments = FigureKey(workstream.id, COMMENTS, ALL, now.period) in admitted
    sections.append(_comment_section(one, thresholds, shown_comments, summary))
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
        ),
        summary=summary,
        chart=drawn,
    )


def _rate(tally_: PeriodTally) -> str:
    rate = tally_.response_rate
    if rate is None:
        return "no prompts sent"
    return f"{100 * rate:.0f}% ({tally_.responded} of {tally_.asked} people asked)"


def _headline(workstream: Workstream, one: _Counted) -> str:
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
    one: _Counted,
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


def _change(question: Question, one: _Counted, admitted: frozenset[FigureKey], value: float) -> str:
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


def _comment_section(
    one: _Counted, thresholds: Thresholds, shown: bool, summary: dict[str, Any]
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
    return Section("Comments", lines, fields)


def _series(one: _Counted, admitted: frozenset[FigureKey]) -> Iterator[Series]:
    """The key measures' points, each with the people behind it: a figure only where it was
    admitted, a gap elsewhere."""
    for question in _charted(one.workstream):
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
