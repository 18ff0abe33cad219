"""Simulated colleagues: the people nobody is playing answer their prompts as time passes.

Each colleague reads the prompt card the local adapter stored in their chat and clicks one of
its buttons, through ``core.dispatch(AnswerGiven)`` like a real click, some hours after it
arrived (a fixed delay per delivery; a few never answer). Of a long prompt (a question bank)
they answer the first few items and move on, as people do. People picked in the page are left
alone, so what you see for them is only what you did.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from adapters.local import store
from adapters.local.codec import prompt_from_json
from adapters.local.synthetic import answer_value, maybe_comment, workstream_offset
from bot.events import AnswerGiven
from bot.messages import PromptState
from storage.tables import OPEN_STATUSES, Delivery, Occurrence, PersonRecord

if TYPE_CHECKING:
    from bot.app import LearnPulse

NEVER_ANSWERS = 0.15
MIN_DELAY_HOURS, MAX_DELAY_HOURS = 2, 30
ITEMS_ANSWERED = 6  # of a long prompt


def delay_for(delivery_id: int) -> timedelta | None:
    """How long after sending a colleague answers this delivery; None when they never do."""
    n = int.from_bytes(hashlib.sha256(f"delivery:{delivery_id}".encode()).digest()[:4], "big")
    if (n % 1000) / 1000 < NEVER_ANSWERS:
        return None
    return timedelta(hours=MIN_DELAY_HOURS + (n >> 10) % (MAX_DELAY_HOURS - MIN_DELAY_HOURS))


def _due(core: LearnPulse, now: datetime, played: set[str]) -> list[tuple[int, str, str]]:
    """(delivery id, person, workstream) of open prompts whose colleague answers by now."""
    with core.session() as session:
        rows = session.exec(
            select(Delivery.id, Delivery.sent_at, PersonRecord.ref, Occurrence.workstream_id)
            .join(PersonRecord, col(PersonRecord.id) == Delivery.person_id)
            .join(Occurrence, col(Occurrence.id) == Delivery.occurrence_id)
            .where(col(Delivery.status).in_([s.value for s in OPEN_STATUSES]))
        ).all()
    due: list[tuple[int, str, str]] = []
    for delivery_id, sent_at, ref, workstream_id in rows:
        if delivery_id is None or sent_at is None or ref in played:
            continue
        delay = delay_for(delivery_id)
        if delay is not None and sent_at + delay <= now:
            due.append((delivery_id, ref, workstream_id))
    return due


async def answer_due(core: LearnPulse, played: set[str]) -> int:
    """Let every colleague whose moment has come answer their open prompt; returns answers."""
    now = core.clock.now()
    due = await asyncio.to_thread(_due, core, now, played)
    answered = 0
    for delivery_id, person, workstream_id in due:
        found = await asyncio.to_thread(
            store.find_delivery, core.engine, store.dm(person), delivery_id
        )
        message = await asyncio.to_thread(store.get, core.engine, found) if found else None
        if message is None or message.kind != "prompt":
            continue
        prompt = prompt_from_json(message.body["prompt"])
        if prompt.state is PromptState.CLOSED:
            continue
        rng = random.Random(delivery_id)
        for item in prompt.items[:ITEMS_ANSWERED]:
            if item.recorded is not None:
                continue
            value = answer_value(
                item.kind,
                [c.value for c in item.choices],
                rng,
                1.0,
                workstream_offset(workstream_id),
            )
            comment = maybe_comment(rng, 1.0) if item.comment_invited else None
            await core.dispatch(
                AnswerGiven(
                    person=person,
                    delivery_id=delivery_id,
                    question_id=item.question_id,
                    value=value,
                    comment=comment,
                )
            )
            answered += 1
    return answered
