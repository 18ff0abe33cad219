"""The digest of a workstream for one period, as a platform-neutral ``Report``.

Per workstream and period: phase, audience, response rate (people) and its change, then every
question (key measures first) with its figure, the number of people behind it, distribution,
change and target, then comment sentiment and a few quotes, and a chart of the key measures over
the last periods. Built in three steps: count (``surveys.tallies``, SQL ``GROUP BY`` over many
workstreams at once, in a read-only transaction), decide what may be shown (``surveys.disclosure``:
thresholds and the no-subtraction rule, remembered), then render (``surveys.digest_render``).
What may not be shown says "not enough responses yet".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from surveys import (
    actions,
    conversations,
    digest_actions,
    measures,
    segment_report,
    theme_section,
)
from surveys.comments import latest_text_answers, representative
from surveys.context import Reporting
from surveys.digest_model import Counted, Digest, charted
from surveys.digest_render import render
from surveys.disclosure import (
    ALL,
    COMMENTS,
    PILOT,
    REST,
    Bundle,
    Candidate,
    FigureKey,
    admit,
    candidate,
)
from surveys.periods import Period, due_period, period_containing, recent
from surveys.program import Question, Workstream
from surveys.response_tallies import audience_sizes
from surveys.tallies import tally
from surveys.theme_tallies import count_themes
from surveys.thresholds import Thresholds

CHART_PERIODS = 8
KIND = "digest"


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
    bundles += _segment_bundles(core, counted, thresholds.min_responses)
    for one in counted:
        bundles += digest_actions.bundles(one, program.zone, thresholds.min_responses)
        if one.themes is not None:
            bundles += theme_section.bundles(one.workstream.id, one.themes, thresholds.min_comments)
    admitted = admit(core.engine, bundles, core.clock.now())
    for one in counted:
        if one.themes is not None:
            shown = theme_section.shown(one.workstream.id, one.themes, admitted)
            if shown:  # no section at all while no theme may be shown
                one.theme_section = theme_section.section(shown, thresholds.min_comments)
    if program.anonymity.mode == "confidential":
        _reply_tokens(core, counted, admitted)
    return [render(one, thresholds, admitted, program.zone, chart=chart) for one in counted]


def _count(core: Reporting, requests: Sequence[tuple[Workstream, Period]]) -> list[Counted]:
    today = local_today(core)
    min_comments = core.require_program().anonymity.min_comments
    groups: dict[tuple[Any, Period], list[Workstream]] = defaultdict(list)
    for workstream, period in requests:
        groups[(workstream.digest, period)].append(workstream)
    counted: dict[str, Counted] = {}
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
            before = periods[-2] if len(periods) > 1 else period
            themes = count_themes(session, core.vault, ids, before, period, min_comments)
            for workstream in workstreams:
                counted[workstream.id] = Counted(
                    workstream,
                    tallies[workstream.id],
                    quotes[workstream.id],
                    sizes[workstream.id],
                    texts,
                    partial=period.end >= today,
                    themes=themes[workstream.id] if before != period else None,
                )
    by_workstream: dict[str, list[actions.ActionView]] = defaultdict(list)
    for action in actions.listed(core, list(counted)):
        by_workstream[action.workstream_id].append(action)
    for workstream_id, one in counted.items():
        one.actions = by_workstream.get(workstream_id, [])
    return [counted[w.id] for w, _ in requests if w.id in counted]


def _segment_bundles(core: Reporting, counted: list[Counted], minimum: int) -> list[Bundle]:
    """Key measures by segment (confidential mode only: anonymous answers carry none)."""
    if core.require_program().anonymity.mode == "anonymous":
        for one in counted:
            one.segment_note = bool(one.workstream.segments)
        return []
    with core.reading() as session:
        found = segment_report.breakdowns(
            session, core.vault, [(one.workstream, one.now) for one in counted], minimum
        )
    for one in counted:
        one.breakdowns = [b for b in found if b.workstream.id == one.workstream.id]
    return list(segment_report.bundles(found, minimum))


def _reply_tokens(core: Reporting, counted: list[Counted], admitted: frozenset[FigureKey]) -> None:
    """Each quote that will be shown gets the token of its conversation (Reply buttons)."""
    quoted = {
        q.answer_id: one.workstream.id
        for one in counted
        if FigureKey(one.workstream.id, COMMENTS, ALL, one.now.period) in admitted
        for q in one.quotes
        if q.answer_id is not None
    }
    tokens = conversations.tokens_for(core.engine, quoted, core.clock.now())
    for one in counted:
        one.replies = True
        one.reply_tokens = {q.answer_id: tokens[q.answer_id] for q in one.quotes
                            if q.answer_id in tokens}  # fmt: skip


def _bundles(one: Counted, thresholds: Thresholds, chart: bool) -> Iterator[Bundle]:
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
        for question in charted(ws):
            for period_tally in one.tallies[:-1]:
                counted = period_tally.question(question.id)
                yield (candidate(ws.id, question.id, ALL, period_tally.period, counted, minimum),)


def _split_wanted(question: Question, phase: str) -> bool:
    return phase == "organization" and question.kind in measures.FIGURE_KINDS
