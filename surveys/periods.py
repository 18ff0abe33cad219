"""Reporting periods: the fixed grid of days a digest or review covers.

A digest period ends on a digest day (inclusive) and starts the day after the previous digest
day: the week ending on the digest weekday, the month ending on the digest day of the month, or
the day itself. Periods never overlap, so two periods' figures can never be subtracted from each
other; on-demand digests of a period in progress are guarded separately (``surveys.thresholds``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from surveys.program import Schedule


@dataclass(frozen=True)
class Period:
    """Inclusive dates ``start``..``end`` of one reporting period."""

    start: date
    end: date

    def label(self) -> str:
        """Human form: ``Mon 23 Nov to Sun 29 Nov 2026`` or one day."""
        if self.start == self.end:
            return self.end.strftime("%a %d %b %Y")
        return f"{self.start:%a %d %b} to {self.end:%a %d %b %Y}"

    def short_label(self) -> str:
        """Compact form for chart axes."""
        return f"{self.end:%d %b}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_day(year: int, month: int, day: int) -> date:
    """``day`` of a month, clamped to its last day (31 in a 30-day month is the 30th)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def period_containing(schedule: Schedule, day: date) -> Period:
    """The period of ``schedule``'s grid that contains ``day``."""
    if schedule.cadence == "daily":
        return Period(day, day)
    if schedule.cadence == "weekly":
        weekday = schedule.weekday or 0
        end = day + timedelta(days=(weekday - day.weekday()) % 7)
        return Period(end - timedelta(days=6), end)
    on = schedule.day_of_month or 1
    end = _month_day(day.year, day.month, on)
    if day > end:
        year, month = _shift_month(day.year, day.month, 1)
        end = _month_day(year, month, on)
    year, month = _shift_month(end.year, end.month, -1)
    return Period(_month_day(year, month, on) + timedelta(days=1), end)


def previous(schedule: Schedule, period: Period) -> Period:
    """The period right before ``period`` on the same grid."""
    return period_containing(schedule, period.start - timedelta(days=1))


def recent(schedule: Schedule, period: Period, count: int) -> list[Period]:
    """``period`` and the ``count - 1`` before it, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(previous(schedule, periods[-1]))
    return list(reversed(periods))


def due_period(schedule: Schedule, local_now: datetime) -> Period:
    """The latest period whose digest time (``at`` on its last day, local) has passed."""
    today = local_now.date()
    current = period_containing(schedule, today)
    if current.end == today and local_now.time() >= schedule.at_time:
        return current
    return previous(schedule, current)


def months(start: date, count: int) -> list[Period]:
    """``count`` calendar months starting with the month of ``start``, oldest first."""
    out: list[Period] = []
    year, month = start.year, start.month
    for _ in range(count):
        last = calendar.monthrange(year, month)[1]
        out.append(Period(date(year, month, 1), date(year, month, last)))
        year, month = _shift_month(year, month, 1)
    return out


def review_period(every_months: int, local_now: datetime, at: str) -> Period:
    """The latest completed review period: ``every_months`` calendar months ending before the
    latest review day (the 1st of January and every ``every_months`` after it) at ``at``."""
    hours, minutes = (int(p) for p in at.split(":"))
    year, month = local_now.year, local_now.month
    while True:
        if (month - 1) % every_months == 0:
            moment = datetime(year, month, 1, hours, minutes, tzinfo=local_now.tzinfo)
            if moment <= local_now:
                break
        year, month = _shift_month(year, month, -1)
    first_year, first_month = _shift_month(year, month, -every_months)
    end = date(year, month, 1) - timedelta(days=1)
    return Period(date(first_year, first_month, 1), end)
