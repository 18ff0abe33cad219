"""The demo clock: where the playground starts, and moving it forward through the real engine.

The playground runs on a ``ManualClock`` that starts on a Monday at 09:55 in the program's time
zone, five minutes before the first weekly questions. Time only moves when the page asks: the
clock then advances in steps (every half hour for jumps up to a day, every hour beyond), and
after every step the engine's tick (``bot.app.run_due_work``) plans, sends, reminds, closes and
posts whatever fell due, so prompts arrive near their own local time rather than all at once.
Steps at night and on days off are skipped (06:00 to 20:00 in the program's time zone, working
days only): anything due then is picked up by the next step, exactly as after a short downtime.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.clock import ManualClock
from surveys.program import Program

if TYPE_CHECKING:
    from bot.app import LearnPulse
    from bot.due_work import WorkReport

SHORT_STEP = timedelta(minutes=30)
LONG_STEP = timedelta(hours=1)
DAY_HOURS = (time(6, 0), time(20, 0))
START_AT = time(9, 55)
MAX_ADVANCE = timedelta(days=14)

Tick = Callable[["LearnPulse"], Awaitable["WorkReport"]]


def demo_start(program: Program, today: date) -> datetime:
    """Monday 09:55 (program time zone) of the first working week on or after ``today``.

    A Monday that is a holiday is skipped, so the first weekly questions do fall due.
    """
    day = today + timedelta(days=(7 - today.weekday()) % 7)
    while day in program.holiday_dates:
        day += timedelta(days=7)
    return datetime.combine(day, START_AT, tzinfo=program.zone).astimezone(UTC)


@dataclass
class AdvanceReport:
    """What happened while the clock moved, summed over every step."""

    steps: int = 0
    sent: int = 0
    reminded: int = 0
    closed: int = 0
    posted: int = 0
    answered_by_colleagues: int = 0

    def summary(self, now_text: str) -> str:
        parts = [
            f"{self.sent} prompts sent",
            f"{self.reminded} reminders",
            f"{self.closed} windows closed",
            f"{self.posted} digests or reports posted",
            f"{self.answered_by_colleagues} answers from simulated colleagues",
        ]
        return f"Moved to {now_text}: " + ", ".join(parts) + "."


def step_times(start: datetime, end: datetime, program: Program) -> list[datetime]:
    """The instants to stop at after ``start``, up to and including ``end``.

    Stops fall on whole multiples of the step since the epoch (:00, and :30 for short jumps),
    inside the program's working days between 06:00 and 20:00 of its time zone; ``end`` always.
    """
    step = SHORT_STEP if end - start <= timedelta(days=1) else LONG_STEP
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    stops: list[datetime] = []
    probe = epoch + ((start - epoch) // step + 1) * step
    while probe < end:
        local = probe.astimezone(program.zone)
        working = local.weekday() in program.working_weekdays
        if working and DAY_HOURS[0] <= local.time() < DAY_HOURS[1]:
            stops.append(probe)
        probe += step
    stops.append(end)
    return stops


async def advance(
    core: LearnPulse,
    clock: ManualClock,
    delta: timedelta,
    tick: Tick,
    after_step: Callable[[], Awaitable[int]] | None = None,
) -> AdvanceReport:
    """Move ``clock`` forward by ``delta`` (at most two weeks), ticking the engine at every stop."""
    if delta <= timedelta(0) or delta > MAX_ADVANCE:
        raise ValueError("the demo clock moves forward by up to two weeks at a time")
    report = AdvanceReport()
    program = core.require_program()
    for stop in step_times(clock.now(), clock.now() + delta, program):
        clock.set(stop)
        work = await tick(core)
        report.steps += 1
        _add_work(report, work)
        if after_step is not None:
            report.answered_by_colleagues += await after_step()
    return report


def _add_work(report: AdvanceReport, work: WorkReport) -> None:
    report.sent += work.sent.sent
    report.reminded += work.reminded
    report.closed += work.closed
    report.posted += work.posted
