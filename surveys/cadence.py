"""Local-time scheduling: when a schedule falls due, answer windows and reminder points.

Everything here is a pure function of the program's calendar and a person's time zone. A local
time that does not exist on a day (spring forward) fires at the first valid minute after it; an
ambiguous one (fall back) fires at its first occurrence. Since an occurrence is keyed by its local
date, a daylight-saving change can never make a prompt fire twice or not at all.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from surveys.program import Program, Schedule

WINDOW_WORKING_DAYS = {"daily": 1, "weekly": 3, "monthly": 5}


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone`` (DST rule of PRODUCT.md)."""
    naive = datetime.combine(day, at)
    for minute in range(0, 24 * 60):
        wall = naive + timedelta(minutes=minute)
        candidate = wall.replace(tzinfo=zone, fold=0)
        if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
            return candidate.astimezone(UTC)
    raise ValueError(f"no valid local time on {day} in {zone}")  # pragma: no cover


@dataclass(frozen=True)
class WorkCalendar:
    """The program's working days, hours and holidays, seen from one time zone."""

    zone: ZoneInfo
    weekdays: frozenset[int]
    holidays: frozenset[date]
    day_start: time
    day_end: time

    @classmethod
    def for_person(cls, program: Program, timezone: str | None) -> WorkCalendar:
        try:
            zone = ZoneInfo(timezone) if timezone else program.zone
        except (KeyError, ValueError):
            zone = program.zone
        return cls(
            zone,
            program.working_weekdays,
            program.holiday_dates,
            program.day_start,
            program.day_end,
        )

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def hours(self, day: date) -> tuple[datetime, datetime]:
        """Start and end of working hours on ``day``, as UTC instants."""
        return local_instant(day, self.day_start, self.zone), local_instant(
            day, self.day_end, self.zone
        )

    def next_working_day(self, day: date, include: bool = True) -> date:
        probe = day if include else day + timedelta(days=1)
        for _ in range(370):
            if self.is_working_day(probe):
                return probe
            probe += timedelta(days=1)
        raise ValueError("the program has no working days")

    def in_hours(self, instant: datetime) -> bool:
        day = self.local_date(instant)
        if not self.is_working_day(day):
            return False
        start, end = self.hours(day)
        return start <= instant < end

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` if it is inside working hours, else the start of the next working hours."""
        day = self.local_date(instant)
        for _ in range(370):
            if self.is_working_day(day):
                start, end = self.hours(day)
                if instant < end:
                    return max(instant, start)
            day += timedelta(days=1)
        raise ValueError("the program has no working days")

    def window_end(self, due: datetime, cadence: str) -> datetime:
        """End of the answer window: the end of the Nth working day counting the due day."""
        remaining = WINDOW_WORKING_DAYS[cadence]
        day = self.local_date(due)
        while True:
            if self.is_working_day(day):
                remaining -= 1
                if remaining == 0:
                    return self.hours(day)[1]
            day += timedelta(days=1)

    def working_midpoint(self, start: datetime, end: datetime) -> datetime | None:
        """The instant halfway through the working time between ``start`` and ``end``."""
        return self.working_point(start, end, 0.5)

    def working_point(self, start: datetime, end: datetime, share: float) -> datetime | None:
        """The instant ``share`` (0..1) of the way through the working time between ``start``
        and ``end``; None when there is no working time between them."""
        spans: list[tuple[datetime, datetime]] = []
        day = self.local_date(start)
        while day <= self.local_date(end):
            if self.is_working_day(day):
                open_at, close_at = self.hours(day)
                lo, hi = max(open_at, start), min(close_at, end)
                if lo < hi:
                    spans.append((lo, hi))
            day += timedelta(days=1)
        total = sum(((hi - lo) for lo, hi in spans), timedelta())
        if total <= timedelta(0):
            return None
        left = total * min(max(share, 0.0), 1.0)
        for lo, hi in spans:
            if hi - lo >= left:
                return lo + left
            left -= hi - lo
        return None  # pragma: no cover


def scheduled_dates(schedule: Schedule, first: date, last: date) -> list[date]:
    """Local dates in [first, last] on which ``schedule`` is scheduled (before calendar rules)."""
    out: list[date] = []
    day = first
    while day <= last:
        weekly_hit = schedule.cadence == "weekly" and day.weekday() == schedule.weekday
        if schedule.cadence == "daily" or weekly_hit:
            out.append(day)
        elif schedule.cadence == "monthly":
            wanted = min(schedule.day_of_month or 1, calendar.monthrange(day.year, day.month)[1])
            if day.day == wanted:
                out.append(day)
        day += timedelta(days=1)
    return out


def asking_day(schedule: Schedule, scheduled: date, work: WorkCalendar) -> date | None:
    """The day a scheduled date is actually asked: daily questions skip non-working days;
    weekly and monthly ones move to the next working day (a holiday Monday asks on Tuesday)."""
    if schedule.cadence == "daily":
        return scheduled if work.is_working_day(scheduled) else None
    return work.next_working_day(scheduled)


@dataclass(frozen=True)
class Timing:
    """When one person is asked, reminded, and when their window closes (UTC)."""

    due_at: datetime
    remind_at: datetime | None
    expires_at: datetime


def timing_for(schedule: Schedule, scheduled: date, work: WorkCalendar) -> Timing | None:
    """The timing of a scheduled asking for a person with calendar ``work``; None when skipped."""
    day = asking_day(schedule, scheduled, work)
    if day is None:
        return None
    due = work.next_open(local_instant(day, schedule.at_time, work.zone))
    return window_from(due, schedule.cadence, work)


def window_from(due: datetime, cadence: str, work: WorkCalendar) -> Timing:
    """Window and reminder for a prompt that goes out at ``due`` (also used for "ask now")."""
    due = work.next_open(due)
    expires = work.window_end(due, cadence)
    return Timing(due_at=due, remind_at=work.working_midpoint(due, expires), expires_at=expires)


def week_bounds(instant: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of the local week containing ``instant``, in UTC."""
    local = instant.astimezone(zone).date()
    monday = local - timedelta(days=local.weekday())
    return local_instant(monday, time(0, 0), zone), local_instant(
        monday + timedelta(days=7), time(0, 0), zone
    )
