"""Announcing an action to the people who gave the feedback ("you said, we did").

When an action is recorded, and again when it is done, the workstream's audience hears about it:
in the workstream's ``announce_to`` channel, one post (claimed by a unique key, so once across
replicas); otherwise each member in their 1:1 chat with the bot, through the delivery ledger
(an occurrence of its own, one delivery per person: exactly once across restarts and replicas,
paced like prompts, outside the weekly prompt budget, never reminded).

The message quotes the figure that prompted the action only when it passes the privacy rules
(``surveys.disclosure``): the figure of the action's question in the workstream's last finished
period, as the digest and status show it.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.messages import Report, Section
from storage.tables import ANNOUNCEMENT_PRIORITY, Occurrence, PostedDigest
from surveys import measures
from surveys.actions import ActionView
from surveys.cadence import Timing
from surveys.context import Reaching, Reporting
from surveys.disclosure import ALL, FigureKey, admit, candidate
from surveys.ledger.plan import member_time_zones, plan_for_members
from surveys.periods import due_period
from surveys.tallies import tally
from surveys.thresholds import Thresholds

WINDOW = timedelta(days=14)  # how long an announcement may wait for its person's working hours
RECORDED, DONE = "recorded", "done"
TITLE = "You said, we did"


def occurrence_key(action_id: int, event: str) -> str:
    return f"action:{action_id}:{event}"


def event_of(key: str) -> str:
    """The event (recorded or done) of an announcement occurrence's key."""
    return key.rsplit(":", 1)[-1]


def quoted_figure(core: Reporting, action: ActionView) -> str | None:
    """ "You told us: …" with the figure of the action's question, or None when there is none
    to quote or it may not be shown."""
    if action.question_id is None:
        return None
    program = core.require_program()
    workstream = program.workstream(action.workstream_id)
    question = next((q for q in workstream.questions if q.id == action.question_id), None) if (
        workstream
    ) else None  # fmt: skip
    if workstream is None or question is None or question.kind not in measures.FIGURE_KINDS:
        return None
    local_now = core.clock.now().astimezone(program.zone)
    period = due_period(workstream.digest, local_now)
    with core.reading() as session:
        counted = tally(session, [workstream.id], [period])[workstream.id][0]
    figures = counted.question(question.id)
    minimum = Thresholds.of(program).min_responses
    wanted = candidate(workstream.id, question.id, ALL, period, figures, minimum)
    if FigureKey(workstream.id, question.id, ALL, period) not in admit(
        core.engine, [(wanted,)], core.clock.now()
    ):
        return None
    value = measures.figure(question.kind, figures.scores)
    if value is None:
        return None
    return (
        f"You told us: “{question.ask}” {measures.written(question.kind, value)} "
        f"({figures.people} people, {period.label()})."
    )


def message_lines(core: Reporting, action: ActionView, event: str) -> tuple[str, ...]:
    """What the audience reads about ``action``."""
    name = core.require_program().workstream(action.workstream_id)
    about = name.name if name is not None else action.workstream_id
    lines: list[str] = []
    figure = quoted_figure(core, action)
    if figure is not None:
        lines.append(figure)
    if event == DONE:
        lines.append(f"Done: {action.text}")
    else:
        due = f" (by {action.due_on:%a %d %b})" if action.due_on else ""
        lines.append(f"What we are doing: {action.text}{due}")
    lines.append(f"Thank you for your answers about {about}: this is what they led to.")
    return tuple(lines)


def channel_report(core: Reporting, action: ActionView, event: str) -> Report:
    return Report(title=TITLE, sections=(Section(TITLE, message_lines(core, action, event)),))


async def announce(core: Reaching, action: ActionView, event: str) -> str:
    """Tell the workstream's audience; returns what happened, for the asker."""
    workstream = core.require_program().workstream(action.workstream_id)
    if workstream is None:
        return "nothing was announced (the workstream is gone)"
    if workstream.announce_to:
        return await _post_to_channel(core, action, event, workstream.announce_to)
    planned = _plan(core, action, event)
    people = "person" if planned == 1 else "people"
    return f"announced to {planned} {people} in their chat with the bot"


async def _post_to_channel(core: Reaching, action: ActionView, event: str, channel: str) -> str:
    key = occurrence_key(action.id, event)
    now = core.clock.now()
    try:
        with core.session() as session:
            session.add(
                PostedDigest(
                    key=key, kind="announcement", workstream_id=action.workstream_id,
                    period_start=now.date(), period_end=now.date(), destination=channel,
                    summary={"action": action.id, "event": event}, posted_at=now,
                )
            )  # fmt: skip
    except IntegrityError:
        return "it was announced already"
    await core.adapters.for_ref(channel).post_to_channel(
        channel, channel_report(core, action, event)
    )
    return f"announced in {channel}"


def _plan(core: Reaching, action: ActionView, event: str) -> int:
    """One delivery per member of the workstream's audience, under an occurrence of its own."""
    now = core.clock.now()
    key = occurrence_key(action.id, event)
    occurrence_id = _occurrence_id(core, action, key)
    timing = Timing(due_at=now, remind_at=None, expires_at=now + WINDOW)
    zones = member_time_zones(core.engine, action.workstream_id)
    inserted = plan_for_members(
        core.engine, occurrence_id, action.workstream_id, ANNOUNCEMENT_PRIORITY,
        {zone: timing for zone in zones},
    )  # fmt: skip
    with core.session() as session:
        row = session.get(Occurrence, occurrence_id)
        if row is not None and not row.planned:
            row.planned = True
            session.add(row)
    return inserted


def _occurrence_id(core: Reaching, action: ActionView, key: str) -> int:
    """The announcement's occurrence, created once (another process may create it first)."""
    for _ in range(2):
        with core.session() as session:
            found = session.exec(select(Occurrence.id).where(Occurrence.key == key)).first()
            if found is not None:
                return int(found)
        try:
            with core.session() as session:
                row = Occurrence(
                    key=key, workstream_id=action.workstream_id, cadence="announcement",
                    local_date=_today(core), manual=True, created_at=core.clock.now(),
                    action_id=action.id,
                )  # fmt: skip
                session.add(row)
                session.flush()
                assert row.id is not None
                return row.id
        except IntegrityError:
            continue
    raise RuntimeError(f"the announcement {key} could not be created")


def _today(core: Reporting) -> date:
    return core.clock.now().astimezone(core.require_program().zone).date()
