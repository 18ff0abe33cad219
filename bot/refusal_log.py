"""Refused requests, logged as a count at most once a minute: a flood of forged or excess
requests must not turn into a flood of log lines (each one costs the event loop a write, and
buries everything else). The first refusal is logged at once; ``/metrics`` counts every one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

EVERY_SECONDS = 60.0


class RefusalLog:
    """``refused(reason)`` for each refusal; one line per ``every`` seconds says how many."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        level: int = logging.INFO,
        every: float = EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.what = what
        self.level = level
        self.every = every
        self._monotonic = monotonic
        self._count = 0
        self._next_line = 0.0

    def refused(self, reason: str) -> None:
        """Count one refusal; ``reason`` must carry no data of the request (a kind, a rule)."""
        self._count += 1
        now = self._monotonic()
        if now < self._next_line:
            return
        self.log.log(self.level, "refused %d %s (latest: %s)", self._count, self.what, reason)
        self._count = 0
        self._next_line = now + self.every
