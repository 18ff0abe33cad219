"""APScheduler only wakes the core: at the program's own times, and on a steady tick.

Jobs are rebuilt from the program at every start and live in memory (nothing is pickled into the
database); what to do is always decided from the database by ``DueWork``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.logsafe import describe
from surveys.occurrences import askings

if TYPE_CHECKING:
    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.scheduler")

TICK = timedelta(seconds=15)  # how soon a replica takes over the periodic lease or stale claims


class Heartbeat:
    """Wakes ``core.due_work`` on a tick and at each scheduled local time of the program."""

    def __init__(self, core: LearnPulse, tick: timedelta = TICK) -> None:
        self.core = core
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.tick = tick
        self._catch_up: asyncio.Task[None] | None = None

    def wake_times(self) -> set[tuple[int, int]]:
        """Distinct (hour, minute) of every question, bank and digest schedule."""
        program = self.core.require_program()
        times = {(a.schedule.at_time.hour, a.schedule.at_time.minute) for a in askings(program)}
        times |= {(w.digest.at_time.hour, w.digest.at_time.minute) for w in program.workstreams}
        return times

    def start(self) -> None:
        """Build the jobs from the program and start (inside the running event loop); a first
        pass runs at once, so what fell due while the bot was down is caught up on start."""
        program = self.core.require_program()
        self.scheduler.add_job(
            self._wake,
            IntervalTrigger(seconds=self.tick.total_seconds()),
            id="tick",
            max_instances=1,
            coalesce=True,
        )
        for hour, minute in sorted(self.wake_times()):
            self.scheduler.add_job(
                self._wake,
                CronTrigger(hour=hour, minute=minute, timezone=program.timezone),
                id=f"at-{hour:02d}{minute:02d}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=300,
            )
        self.scheduler.start()
        self._catch_up = asyncio.get_running_loop().create_task(self._wake())
        log.info(
            "scheduler started: tick every %ss, %d wake-up times",
            int(self.tick.total_seconds()),
            len(self.wake_times()),
        )

    def stop(self) -> None:
        """Stop waking, and hand the periodic lease over at once (not after it expires)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        try:
            self.core.due_work.resign()
        except Exception as exc:  # a database that is gone: the lease simply expires
            log.warning("periodic lease not released: %s", describe(exc))

    async def _wake(self) -> None:
        try:
            report = await self.core.due_work.run()
        except Exception as exc:
            log.error("due work failed (%s); the next tick tries again", describe(exc))
            return
        if report.sent.sent or report.reminded or report.closed or report.posted:
            log.info(
                "sent %d, reminded %d, closed %d, posted %d",
                report.sent.sent,
                report.reminded,
                report.closed,
                report.posted,
            )
