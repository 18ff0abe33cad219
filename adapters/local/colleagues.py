"""Simulated colleagues: the people nobody is playing answer their prompts as time passes.

Each colleague reads the prompt card the local adapter stored in their chat and clicks one of
its buttons, through ``core.dispatch(AnswerGiven)`` like a real click, at a moment of their own
working hours in their own time zone (``answer_time``: most soon after the prompt arrives, some
later, a few after the reminder; a few never answer). When the demo clock jumps past that moment
at night or over a weekend, they answer at the next step inside their working hours, while the
window is open. What they answer continues the seeded storyline at its latest level
(``synthetic``), with comments in the workstream's voice. Of a long prompt (a question bank)
they answer the first few items and move on, as people do. People picked in the page are left
alone, so what you see for them is only what you did.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from adapters.local import store
from adapters.local.answer_time import answer_moment, answer_share
from adapters.local.codec import prompt_from_json
from adapters.local.storyline import Subject, taking_part
from adapters.local.synthetic import (
    answers_prompt,
    comment_for,
    comment_rate,
    comments,
    preference,
    reporting_period,
    stance,
    takes_part,
    text_answer,
    value_for_one,
)
from bot.events import AnswerGiven
from bot.messages import PromptItem, PromptState
from storage.tables import OPEN_STATUSES, Delivery, Occurrence, PersonRecord, QuestionRecord
from surveys.cadence import WorkCalendar
from surveys.program import Program

if TYPE_CHECKING:
    from bot.app import LearnPulse

ITEMS_ANSWERED = 6  # of a long prompt
NOW = 1.0  # the storyline's progress: answers continue its latest level


@dataclass(frozen=True)
class OpenPrompt:
    """A prompt waiting for a colleague: who, which asking, and its window."""

    delivery_id: int
    ref: str
    timezone: str | None
    workstream_id: str
    asking_key: str
    cadence: str
    local_date: date
    sent_at: datetime
    expires_at: datetime


def moment_for(program: Program, open_prompt: OpenPrompt, work: WorkCalendar) -> datetime | None:
    """When a colleague answers this prompt; None when they do not (busy that period, or they
    let this one pass), as in the seeded history."""
    p = open_prompt
    builtin = program.workstream(p.workstream_id) is None
    period = reporting_period(program, p.workstream_id, p.local_date)
    share = taking_part(p.workstream_id, builtin, NOW)
    if not takes_part(p.ref, p.workstream_id, period, share) or not answers_prompt(
        p.ref, p.asking_key, p.cadence == "daily"
    ):
        return None
    return answer_moment(work, p.sent_at, p.expires_at, answer_share(p.asking_key, p.ref))


def _open_prompts(core: LearnPulse) -> list[OpenPrompt]:
    with core.session() as session:
        rows = session.execute(
            select(
                col(Delivery.id),
                col(PersonRecord.ref),
                col(PersonRecord.timezone),
                col(Occurrence.workstream_id),
                col(Occurrence.key),
                col(Occurrence.cadence),
                col(Occurrence.local_date),
                col(Delivery.sent_at),
                col(Delivery.expires_at),
            )
            .join(PersonRecord, col(PersonRecord.id) == Delivery.person_id)
            .join(Occurrence, col(Occurrence.id) == Delivery.occurrence_id)
            .where(col(Delivery.status).in_([s.value for s in OPEN_STATUSES]))
        ).all()
    return [
        OpenPrompt(*row)
        for row in rows
        if row[0] is not None and row[7] is not None  # sent
    ]


def _due(core: LearnPulse, now: datetime, played: set[str]) -> list[OpenPrompt]:
    """Open prompts whose colleague's moment has come and who is at work now."""
    program = core.require_program()
    calendars: dict[str | None, WorkCalendar] = {}
    due: list[OpenPrompt] = []
    for prompt in _open_prompts(core):
        if prompt.ref in played or now >= prompt.expires_at:
            continue
        if prompt.timezone not in calendars:
            calendars[prompt.timezone] = WorkCalendar.for_person(program, prompt.timezone)
        work = calendars[prompt.timezone]
        moment = moment_for(program, prompt, work)
        if moment is not None and moment <= now and work.in_hours(now):
            due.append(prompt)
    return due


def _subjects(core: LearnPulse, ids: list[str]) -> dict[str, Subject]:
    with core.reading() as session:
        rows = session.scalars(select(QuestionRecord).where(col(QuestionRecord.id).in_(ids))).all()
    return {q.id: Subject(q.id, q.kind, q.target, q.area, len(q.options or ())) for q in rows}


def _answer(core: LearnPulse, due: OpenPrompt, item: PromptItem, subject: Subject) -> AnswerGiven:
    """One click: the value from the person's stance, and sometimes a comment."""
    key = f"{due.asking_key}:{item.question_id}"
    s = stance(due.ref, due.workstream_id, item.question_id, due.asking_key)
    if item.kind == "text":
        value = text_answer(due.workstream_id, item.question_id, due.ref, key)
    else:
        leaning = preference(due.ref, item.question_id, due.asking_key)
        options = [c.value for c in item.choices]
        value = value_for_one(subject, options, NOW, due.local_date, s, leaning)
    comment = None
    rate = comment_rate(core.require_program(), due.workstream_id, item.question_id)
    if item.comment_invited and comments(due.ref, key, rate):
        comment = comment_for(
            due.workstream_id, item.question_id, item.kind, value, s, due.ref, key
        )
    return AnswerGiven(
        person=due.ref,
        delivery_id=due.delivery_id,
        question_id=item.question_id,
        value=value,
        comment=comment,
    )


async def answer_due(core: LearnPulse, played: set[str]) -> int:
    """Let every colleague whose moment has come answer their open prompt; returns answers."""
    now = core.clock.now()
    due = await asyncio.to_thread(_due, core, now, played)
    answered = 0
    for prompt_due in due:
        found = await asyncio.to_thread(
            store.find_delivery, core.engine, store.dm(prompt_due.ref), prompt_due.delivery_id
        )
        message = await asyncio.to_thread(store.get, core.engine, found) if found else None
        if message is None or message.kind != "prompt":
            continue
        prompt = prompt_from_json(message.body["prompt"])
        if prompt.state is PromptState.CLOSED:
            continue
        items = [i for i in prompt.items[:ITEMS_ANSWERED] if i.recorded is None]
        subjects = await asyncio.to_thread(_subjects, core, [i.question_id for i in items])
        for item in items:
            subject = subjects.get(item.question_id) or Subject(item.question_id, item.kind)
            await core.dispatch(_answer(core, prompt_due, item, subject))
            answered += 1
    return answered
