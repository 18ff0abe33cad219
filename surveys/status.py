"""``/learning-status``: the program overview, or one workstream in detail.

Per workstream: phase, audience, response rate this period (in progress) and last period, each
key measure against its target with its trend, and deliveries that failed and why (counted by
reason, never naming anyone). Admins see every workstream, a lead only their own.

Scores are shown for *finished* periods only: a period in progress can be asked about again and
again, and two looks a few answers apart would let a reader subtract their way to one person.
Response counts carry no answer, so they are shown for the period in progress too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import Session

from bot.messages import Report, Section
from bot.roles import Roles
from storage.tables import DeliveryStatus, PostedDigest
from surveys import measures
from surveys.comments import scrub
from surveys.periods import Period, period_containing, recent
from surveys.posted import ShownBefore, shown_before
from surveys.program import Question, Workstream
from surveys.tallies import DELIVERIES, OCCURRENCES, PeriodTally, audience_sizes, tally
from surveys.thresholds import Thresholds

if TYPE_CHECKING:
    from bot.app import LearnPulse


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
        select(PostedDigest.workstream_id, func.max(PostedDigest.posted_at))  # type: ignore[call-overload]
        .where(PostedDigest.kind == "digest", PostedDigest.workstream_id.in_(workstream_ids))  # type: ignore[union-attr]
        .group_by(PostedDigest.workstream_id)
    )
    return {ws: at for ws, at in session.execute(stmt)}


def _rate(t: PeriodTally) -> str:
    if t.response_rate is None:
        return "nothing sent"
    return f"{100 * t.response_rate:.0f}% ({t.responded}/{t.asked})"


def _measure(
    question: Question,
    last: PeriodTally,
    before: PeriodTally,
    thresholds: Thresholds,
    shown: ShownBefore,
) -> str:
    now = last.question(question.id)
    minimum = thresholds.min_responses
    if not thresholds.scores_shown(now.responses):
        return f"not enough responses last period ({minimum} needed)"
    if not thresholds.differs_safely(
        now.responses, shown.counts(last.period, "responses", question.id), minimum
    ):
        return f"not enough new responses since its digest ({minimum} needed)"
    value = measures.figure(question.kind, now.scores)
    if value is None:
        return f"{now.responses} responses"
    text = measures.written(question.kind, value)
    if question.target is not None:
        met = measures.target_met(value, question.target)
        text += f" vs target {measures.written(question.kind, question.target)} "
        text += "✓" if met else "✗"
    earlier = before.question(question.id)
    previous = measures.figure(question.kind, earlier.scores)
    earlier_safe = thresholds.differs_safely(
        earlier.responses, shown.counts(before.period, "responses", question.id), minimum
    )
    if (
        previous is not None
        and earlier_safe
        and thresholds.change_shown(now.responses, earlier.responses)
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
    shown: ShownBefore,
) -> list[Section]:
    before, last, current = tallies
    size, pilot = audience
    fields: list[tuple[str, str]] = [
        ("Phase", workstream.phase),
        ("Audience", f"{size}" + (f" (pilot group {pilot})" if pilot else "")),
        ("Response rate", f"this period {_rate(current)} · last period {_rate(last)}"),
    ]
    for question in workstream.key_measures:
        fields.append(
            (
                f"Key measure: {_short(question.ask)}",
                _measure(question, last, before, thresholds, shown),
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
    sections = [Section(f"{workstream.name} ({workstream.id})", (), tuple(fields))]
    if detail:
        lines = [
            f"This period: {current.period.label()} · last period: {last.period.label()}",
            "Last digest posted: "
            + (last_posted.strftime("%a %d %b %Y %H:%M UTC") if last_posted else "never"),
        ]
        other = [q for q in workstream.questions if not q.key_measure]
        question_fields = tuple(
            (_short(q.ask), _measure(q, last, before, thresholds, shown)) for q in other
        )
        sections.append(Section("Other questions, last period", tuple(lines), question_fields))
    return sections


def status_report(core: LearnPulse, roles: Roles, workstream_id: str | None = None) -> Report:
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
    sections: list[Section] = []
    built: dict[str, list[Section]] = {}
    with core.reading() as session:
        ids = [w.id for w in visible]
        sizes = audience_sizes(session, ids)
        posted = _last_posted(session, ids) if workstream_id else {}
        for schedule, members in groups.items():
            periods = recent(schedule, period_containing(schedule, today), 3)
            member_ids = [w.id for w in members]
            counted = tally(session, member_ids, periods)
            failed = failures(session, member_ids, periods[1])
            posted_figures = shown_before(
                session, member_ids, Period(periods[0].start, periods[1].end)
            )
            for workstream in members:
                built[workstream.id] = _section(
                    workstream,
                    counted[workstream.id],
                    sizes[workstream.id],
                    failed.get(workstream.id, []),
                    thresholds,
                    workstream_id is not None,
                    posted.get(workstream.id),
                    posted_figures.get(workstream.id) or ShownBefore(),
                )
    for workstream in visible:
        sections.extend(built[workstream.id])
    scope = "all workstreams" if roles.is_admin else "your workstreams"
    title = (
        f"Status: {visible[0].name}" if workstream_id and visible else f"Status: {program.program}"
    )
    return Report(
        title=title,
        summary=f"{len(visible)} of {len(program.workstreams)} workstreams ({scope}); "
        f"scores are for the last finished period, shown only with at least "
        f"{thresholds.min_responses} responses.",
        sections=tuple(sections),
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
