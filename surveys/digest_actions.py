"""The digest's "Actions" section: what is being done about the feedback, and for an action
tied to a question, its figure in the period before the action and in the digest's period since.

Both figures pass the disclosure rule like every other figure of the digest; a figure that may
not be shown, or a period the digest did not count, is simply not quoted.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from bot.messages import Section
from surveys import measures
from surveys.actions import ActionView
from surveys.digest_model import Counted
from surveys.disclosure import ALL, Bundle, FigureKey, candidate
from surveys.tally_model import PeriodTally


def _question(one: Counted, action: ActionView) -> str | None:
    """The action's question, when it has a figure to compare."""
    for question in one.workstream.questions:
        if question.id == action.question_id and question.kind in measures.FIGURE_KINDS:
            return question.id
    return None


def before_and_since(
    one: Counted, action: ActionView, zone: ZoneInfo
) -> tuple[PeriodTally | None, PeriodTally | None]:
    """The last counted period that ended before the action, and the digest's own period when
    it began after the action (a whole period since)."""
    started = action.created_at.astimezone(zone).date()
    ended = [t for t in one.tallies if t.period.end < started]
    since = one.now if one.now.period.start > started else None
    return (ended[-1] if ended else None), since


def bundles(one: Counted, zone: ZoneInfo, minimum: int) -> Iterator[Bundle]:
    for action in one.actions:
        question_id = _question(one, action)
        if question_id is None:
            continue
        for counted in before_and_since(one, action, zone):
            if counted is not None:
                figures = counted.question(question_id)
                yield (
                    candidate(
                        one.workstream.id, question_id, ALL, counted.period, figures, minimum
                    ),
                )


def section(one: Counted, zone: ZoneInfo, admitted: frozenset[FigureKey]) -> Section | None:
    """Open actions, and those done during the digest's period, each with its figures."""
    shown = [
        a for a in one.actions
        if a.is_open or (a.done_at is not None
                         and one.now.period.contains(a.done_at.astimezone(zone).date()))
    ]  # fmt: skip
    if not shown:
        return None
    lines: list[str] = []
    for action in shown:
        line = action.line()
        question_id = _question(one, action)
        if question_id is not None:
            kind = next(q.kind for q in one.workstream.questions if q.id == question_id)
            parts = []
            for label, counted in zip(
                ("before", "since"), before_and_since(one, action, zone), strict=True
            ):
                written = _figure(one, question_id, kind, counted, admitted)
                if written is not None:
                    parts.append(f"{label}: {written}")
            if parts:
                line += " · " + " · ".join(parts)
        lines.append(line)
    return Section("Actions on this feedback", tuple(lines))


def _figure(
    one: Counted,
    question_id: str,
    kind: str,
    counted: PeriodTally | None,
    admitted: frozenset[FigureKey],
) -> str | None:
    if counted is None:
        return None
    if FigureKey(one.workstream.id, question_id, ALL, counted.period) not in admitted:
        return None
    figures = counted.question(question_id)
    value = measures.figure(kind, figures.scores)
    if value is None:
        return None
    return f"{measures.written(kind, value)} ({figures.people} people, {counted.period.label()})"
