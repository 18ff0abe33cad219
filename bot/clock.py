"""Clock implementations: the system clock, one that starts at a chosen instant, and a manual
one that tests and the demo move."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class StartedClock:
    """Wall-clock speed from a chosen start: ``LEARNPULSE_NOW`` for rehearsals and for tests that
    run the real server or CLI in a process of its own, so they never depend on today's date."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("StartedClock needs a timezone-aware start")
        self._start = start.astimezone(UTC)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


def wall_clock(start: datetime | None) -> SystemClock | StartedClock:
    """The clock a running process uses: the system's, or one started at ``start``."""
    return SystemClock() if start is None else StartedClock(start)
