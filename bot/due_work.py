"""The core's periodic work, in one place: what the scheduler wakes and the demo's clock drives.

What is due is decided from the database every time, so a missed wake-up, a restart or a second
replica never invents or loses work. With several replicas on one database, sending, reminders
and closing updates are shared (each prompt is claimed by one replica); the work that must run
once (resolving audiences, planning, digests, the review, monthly trends) is done by the holder
of the ``periodic`` lease (``storage.lease``), renewed on every pass and taken over by another
replica once it has not been renewed for ``LEASE``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.logsafe import describe
from bot.messages import Prompt
from bot.ports import MessageRef, NoAdapterError, SendError
from bot.reporting import post_due_digests, post_due_reviews, post_due_trends
from storage import lease
from storage.tables import Delivery
from surveys import audience
from surveys.cadence import WorkCalendar
from surveys.context import Reaching
from surveys.ledger import windows
from surveys.occurrences import plan_scheduled
from surveys.prompts import render_prompt
from surveys.sender import Sender, SendReport

log = logging.getLogger("learnpulse.due_work")

AUDIENCE_REFRESH = timedelta(hours=24)
ONCE = "periodic"  # the lease of the work that must run once
LEASE = timedelta(seconds=30)  # with a pass every 15 s, a dead holder is replaced within 45 s
PARALLEL_MESSAGES = 32  # reminders and closing updates in flight at once


@dataclass
class WorkReport:
    planned: int = 0
    sent: SendReport = field(default_factory=SendReport)
    reminded: int = 0
    closed: int = 0
    missed: int = 0
    posted: int = 0
    leading: bool = False  # this replica held the lease and did the work that runs once


class DueWork:
    """Runs everything that is due. Safe to call at any time, as often as wanted."""

    def __init__(self, core: Reaching, claim_lease: timedelta, holder: str | None = None) -> None:
        self.core = core
        self.sender = Sender(core, lease=claim_lease)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = asyncio.Lock()

    async def run(self) -> WorkReport:
        async with self._lock:  # one pass at a time per process; the ledger guards across processes
            return await self._run()

    async def _run(self) -> WorkReport:
        core = self.core
        report = WorkReport()
        now = core.clock.now()
        report.leading = await asyncio.to_thread(
            lease.hold, core.engine, ONCE, self.holder, now, LEASE
        )
        if report.leading:
            refreshed = await audience.refresh(core, max_age=AUDIENCE_REFRESH)
            replan = bool(refreshed)
            report.planned = await asyncio.to_thread(plan_scheduled, core, now, replan)
        report.sent = await self.sender.send_due()
        report.reminded = await self._remind(now)
        report.closed, report.missed = await self._close(now)
        if report.leading:
            report.posted = await self._post_reports()
        return report

    def resign(self) -> None:
        """Give up the lease at a clean shutdown, so another replica takes over at once."""
        lease.release(self.core.engine, ONCE, self.holder)

    async def _remind(self, now: datetime) -> int:
        program = self.core.require_program()

        def in_hours(prompt: windows.OpenPrompt) -> bool:
            return WorkCalendar.for_person(program, prompt.timezone).in_hours(now)

        due = await asyncio.to_thread(windows.claim_reminders, self.core.engine, now, in_hours)
        slots = asyncio.Semaphore(PARALLEL_MESSAGES)

        async def remind(prompt: windows.OpenPrompt) -> bool:
            async with slots:
                rendered = await asyncio.to_thread(self._render, prompt.id, True)
                try:
                    adapter = self.core.adapters.for_ref(prompt.person)
                    ref = await adapter.send_prompt(prompt.person, rendered)
                except (SendError, NoAdapterError) as exc:
                    log.warning("reminder for delivery %d not sent: %s", prompt.id, exc)
                    return False
                await asyncio.to_thread(
                    windows.set_message,
                    self.core.engine,
                    prompt.id,
                    ref.conversation,
                    ref.message_id,
                )
                return True

        return sum(await asyncio.gather(*(remind(p) for p in due)))

    async def _close(self, now: datetime) -> tuple[int, int]:
        closed, missed = await asyncio.to_thread(windows.expire_due, self.core.engine, now)
        slots = asyncio.Semaphore(PARALLEL_MESSAGES)

        async def close(prompt: windows.OpenPrompt) -> None:
            if not (prompt.conversation and prompt.message_id):
                return
            async with slots:
                rendered = await asyncio.to_thread(self._render, prompt.id, False)
                try:
                    await self.core.adapters.for_ref(prompt.person).update_prompt(
                        MessageRef(prompt.conversation, prompt.message_id), rendered
                    )
                except (SendError, NoAdapterError) as exc:
                    log.warning("closing update for delivery %d failed: %s", prompt.id, exc)

        await asyncio.gather(*(close(p) for p in closed))
        return len(closed), missed

    def _render(self, delivery_id: int, reminder: bool) -> Prompt:
        with self.core.session() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            return render_prompt(session, self.core, delivery, reminder=reminder)

    async def _post_reports(self) -> int:
        """Scheduled digests, reviews and private trends; one failing never stops the others."""
        posted = 0
        for job in (post_due_digests, post_due_reviews, post_due_trends):
            try:
                posted += int(await job(self.core) or 0)
            except Exception as exc:
                log.error("%s failed: %s", job.__name__, describe(exc))
        return posted
