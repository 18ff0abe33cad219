"""``learnpulse send``: open an occurrence now and keep sending until nothing is due now."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from bot.app import LearnPulse
from storage.tables import Delivery, DeliveryStatus
from surveys.occurrences import Asking, open_now
from surveys.sender import SendReport

MAX_WAIT_SECONDS = 600.0
RETRY_HORIZON = timedelta(minutes=10)  # retries further away are left to the server's scheduler


async def send_now(core: LearnPulse, asking: Asking) -> SendReport:
    """Open, then send; retries that fall due within a few minutes (429s) are waited for."""
    assert asking.question_id is not None or asking.bank is not None
    await open_now(core, asking.workstream_id, asking.question_id or str(asking.bank), "cli")
    sender = core.due_work().sender
    total = SendReport()
    waited = 0.0
    while True:
        report = await sender.send_due()
        total.add(report)
        total.retried = report.retried
        wait = await asyncio.to_thread(_seconds_to_next_retry, core)
        if wait is None or waited + wait > MAX_WAIT_SECONDS:
            return total
        await asyncio.sleep(wait)
        waited += wait


def _seconds_to_next_retry(core: LearnPulse) -> float | None:
    now = core.clock.now()
    with core.session() as session:
        soonest = session.exec(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now + RETRY_HORIZON,
            )
        ).one()
    if soonest is None:
        return None
    return max((soonest - now).total_seconds(), 0.05)
