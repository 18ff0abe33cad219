"""When a simulated colleague answers a prompt: inside their own working hours, mostly soon.

Most people answer within the first stretch of the window (within the hour for a weekly
question), some later that day or the next, and about one in ten only after the reminder, late
in the window. Time is measured in the window's *working* time in the person's own time zone
(``WorkCalendar.working_point``), so an answer never falls at night, on a weekend or on a
holiday. The seeded history and the colleagues who answer as the demo clock moves use the same
rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.local.storyline import unit
from surveys.cadence import WorkCalendar

SOON, LATER = 0.62, 0.89  # cumulative: 62 % answer soon, 27 % later, 11 % after the reminder
REMINDER_SHARE = 0.5  # the reminder goes out halfway through the window's working time
MIN_DELAY = timedelta(minutes=3)


def answer_share(*key: str) -> float:
    """How far into the window's working time this person answers (0..1), stable per key."""
    kind, where = unit("when", *key), unit("where", *key)
    if kind < SOON:
        return 0.004 + 0.05 * where
    if kind < LATER:
        return 0.06 + 0.38 * where
    return REMINDER_SHARE + 0.03 + 0.42 * where


def answer_moment(
    work: WorkCalendar, sent_at: datetime, expires_at: datetime, share: float
) -> datetime | None:
    """The instant ``share`` of the way through the working time from ``sent_at`` to
    ``expires_at``, at least a few minutes after sending; None if no working time is left."""
    moment = work.working_point(sent_at, expires_at, share)
    if moment is None:
        return None
    moment = max(moment, sent_at + MIN_DELAY)
    if moment >= expires_at or not work.in_hours(moment):
        return None
    return moment
