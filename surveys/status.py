"""``/learning-status``: the program overview, or one workstream in detail.

Per workstream: phase, audience, response rate this period (in progress) and last period, each
key measure against its target with its trend, and deliveries that failed and why (counted by
reason, never naming anyone). Admins see every workstream, a lead only their own.

Scores are shown for *finished* periods only, the same figures the period's digest shows, each
with the number of people behind it; every figure passes ``surveys.disclosure`` (thresholds and
the no-subtraction rule), like every other surface. Response counts carry no answer, so they are
shown for the period in progress too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from bot.messages import Report, Section
from storage.tables import DeliveryStatus, PostedDigest
from surveys import measures
from surveys.comments import scrub
from surveys.context import Reporting
from surveys.disclosure import ALL, Bundle, FigureKey, admit, candidate
from surveys.periods import Period, period_containing, recent
from surveys.program import Question, Workstream
from surveys.response_tallies import audience_sizes
from surveys.roles import Roles
from surveys.tallies import tally
from surveys.tally_model import DELIVERIES, OCCURRENCES, PeriodTally
from surveys.thresholds import Thresholds


def failures(
    session: Session, workstream_ids: Sequence[str], since: Period
) -> dict[str, list[tuple[str, int]]]:
    """Per workstream, failed deliveries since ``since.start`` counted by reason."""
    d, o = DELIVERIES.c, OCCURRENCES.c
    stmt = (
        select(o.workstream_id, d.last_error, func.count())
        .select_from(DELIVERIES.join(OCCURRENCES, o.id == d.occurrence_id))
        .where(
            d.status == DeliveryStatus.FAILED,
            o.workstream_id.in_(workstream_ids),
            o.local_date >= since.start,
        )
        .group_by(o.workstream_id, d.last_error)
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for ws, reason, count in session.execute(stmt):
        out[ws][scrub(reason or "unknown reason")] += int(count)
    return {
        ws: sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        for ws, reasons in out.items()
    }


def _last_posted(session: Session, workstream_ids: Sequence[str]) -> dict[str, Any]:
    stmt = (
        select(col(PostedDigest.workstream_id), func.max(PostedDigest.posted_at))
        .where(
            col(PostedDigest.kind) == "digest", col(PostedDigest.workstream_id).in_(workstream_ids)
        )
        .group_by(PostedDigest.workstream_id)
    )
    return {ws: at for ws, at in session.execute(stmt)}


def _rate(t: PeriodTally) -> str:
    if t.response_rate is None:
        return "nothing sent"
    return f"{100 * t.response_rate:.0f}% ({t.responded} of {t.asked} people)"


def _bundles(
    workstream: Workstream, questions: Sequence[Question], tallies: list[PeriodTally],
    minimum: int,
) -> list[Bundle]:  # fmt: skip
    """Each question's figure of the last finished period, and its change from the one before."""
    before, last, _current = tallies
    bundles: list[Bundle] = []
    for question in questions:
        main = candidate(
            workstream.id, question.id, ALL, last.period, last.question(question.id), minimum
        )
        earlier = candidate(
            workstream.id, question.id, ALL, before.period, before.question(question.id), minimum
        )
        bundles += [(main,), (main, earlier)]
    return bundles


def _measure(
    workstream: Workstream,
    question: Question,
    tallies: list[PeriodTally],
    thresholds: Thresholds,
    admitted: frozenset[FigureKey],
) -> str:
    before, last, _current = tallies
    now = last.question(question.id)
    minimum = thresholds.min_responses
    if FigureKey(workstream.id, question.id, ALL, last.period) not in admitted:
        if now.people < minimum:
            return f"not enough responses last period ({minimum} needed)"
        return f"not enough new responses since last shown ({minimum} needed)"
    value = measures.figure(question.kind, now.scores)
    people = f"{now.people} people"
    if value is None:
        return people
    text = f"{measures.written(question.kind, value)} ({people})"
    if question.target is not None:
        met = measures.target_met(value, question.target)
        text += f" vs target {measures.written(question.kind, question.target)} "
        text += "✓" if met else "✗"
    previous = measures.figure(question.kind, before.question(question.id).scores)
    if (
        previous is not None
        and FigureKey(workstream.id, question.id, ALL, before.period) in admitted
    ):
        text += f", trend {measures.change_written(question.kind, value - previous)}"
    return text


def _section(
    workstream: Workstream,
    tallies: list[PeriodTally],
    audience: tuple[int, int],
    failed: list[tuple[str, int]],
    thresholds: Thresholds,
    detail: bool,
    last_posted: Any,
    admitted: frozenset[FigureKey],
) -> list[Section]:
    _before, last, current = tallies
    size, pilot = audience
    fields: list[tuple[str, str]] = [
        ("Phase", workstream.phase),
        ("Audience", f"{size}" + (f" (pilot group {pilot})" if pilot else "")),
        (
            "Response rate",
            f"this period so far {_rate(current)} · last period {_rate(last)}",
        ),
    ]
    for question in workstream.key_measures:
        fields.append(
            (
                f"Key measure: {question.ask}",
                _measure(workstream, question, tallies, thresholds, admitted),
            )
        )
    total_failed = sum(n for _, n in failed)
    fields.append(
        (
            "Deliveries failing",
            "none"
            if not failed
            else f"{total_failed}: " + "; ".join(f"{reason} ({n})" for reason, n in failed),
        )
    )
    heading = f"{workstream.name} ({workstream.id})"
    lines = (f"Last period: {last.period.label()} · this period: {current.period.label()}",)
    sections = [Section(heading, lines, tuple(fields))]
    if detail:
        posted_line = "Last digest posted: " + (
            last_posted.strftime("%a %d %b %Y %H:%M UTC") if last_posted else "never"
        )
        other = [q for q in workstream.questions if not q.key_measure]
        question_fields = tuple(
            (q.ask, _measure(workstream, q, tallies, thresholds, admitted)) for q in other
        )
        sections.append(Section("Other questions, last period", (posted_line,), question_fields))
    return sections


def status_report(core: Reporting, roles: Roles, workstream_id: str | None = None) -> Report:
    """The overview (``workstream_id`` None) or one workstream's detail, for ``roles``."""
    program = core.require_program()
    visible = [w for w in program.workstreams if roles.may_steer(w.id)]
    if workstream_id is not None:
        visible = [w for w in visible if w.id == workstream_id]
    thresholds = Thresholds.of(program)
    today = core.clock.now().astimezone(program.zone).date()
    groups: dict[Any, list[Workstream]] = defaultdict(list)
    for workstream in visible:
        groups[workstream.digest].append(workstream)
    counted: dict[str, list[PeriodTally]] = {}
    failed: dict[str, list[tuple[str, int]]] = {}
    with core.reading() as session:
        ids = [w.id for w in visible]
        sizes = audience_sizes(session, ids)
        posted = _last_posted(session, ids) if workstream_id else {}
        for schedule, members in groups.items():
            periods = recent(schedule, period_containing(schedule, today), 3)
            member_ids = [w.id for w in members]
            counted.update(tally(session, member_ids, periods))
            failed.update(failures(session, member_ids, periods[1]))
    bundles = [
        bundle
        for w in visible
        for bundle in _bundles(
            w,
            w.questions if workstream_id else w.key_measures,
            counted[w.id],
            thresholds.min_responses,
        )
    ]
    admitted = admit(core.engine, bundles, core.clock.now())
    sections: list[Section] = []
    for workstream in visible:
        sections.extend(
            _section(
                workstream,
                counted[workstream.id],
                sizes[workstream.id],
                failed.get(workstream.id, []),
                thresholds,
                workstream_id is not None,
                posted.get(workstream.id),
                admitted,
            )
        )
    scope = "all workstreams" if roles.is_admin else "your workstreams"
    title = (
        f"Status: {visible[0].name}" if workstream_id and visible else f"Status: {program.program}"
    )
    return Report(
        title=title,
        summary=f"{len(visible)} of {len(program.workstreams)} workstreams ({scope}); "
        f"scores are for the last finished period (the same figures as its digest), shown only "
        f"with at least {thresholds.min_responses} people.",
        sections=tuple(sections),
    )
