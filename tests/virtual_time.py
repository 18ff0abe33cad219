"""Time a test drives, for code that takes its clock and its sleep as arguments.

``VirtualTime`` is a monotonic clock that moves only when something sleeps on it. A pacer and the
fake platform it talks to read the same clock, so a test asserts which waits were asked for and
whether the platform's limits held, not how fast the machine was. Work marked ``busy`` (a send
from start to end, an HTTP request of a session made with ``trace_config()``) takes no time: the
clock stands still until it sleeps, waits ``idle`` for others, or ends, as it nearly does for a
call on loopback. ``SteppedSleep`` is a sleep that ends only when the test says so, for a loop
that must run a known number of rounds (a claim renewal).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp


class VirtualTime:
    """Monotonic seconds that pass only by sleeping; ``slept`` lists every sleep asked for."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self.slept: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._waking: asyncio.Handle | None = None
        self._busy: dict[asyncio.Task[Any], int] = {}

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Return at ``now + seconds``, and never at ``now`` itself: a real sleep always takes
        some time, and code that waits for a deadline it computed in floating point relies on
        that to get past it. Sleepers wake earliest first, one per turn of the event loop and
        only while no work is busy, so whatever a woken sleeper starts can still ask to wake
        sooner than the rest."""
        self.slept.append(seconds)
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        at = max(self._now + max(seconds, 0.0), math.nextafter(self._now, math.inf))
        heapq.heappush(self._sleepers, (at, next(self._order), wake))
        with self.idle():
            await wake

    @contextmanager
    def busy(self) -> Iterator[None]:
        """The current task's work takes no time: the clock waits for it."""
        task = asyncio.current_task()
        assert task is not None
        if task not in self._busy:
            self._busy[task] = 0
            task.add_done_callback(self._forget)
        self._busy[task] += 1
        try:
            yield
        finally:
            self._busy[task] -= 1
            self._wake_soon()

    @contextmanager
    def idle(self) -> Iterator[None]:
        """The current task waits for others (a lock, an event, a sleep): the clock may run."""
        task = asyncio.current_task()
        assert task is not None
        depth = self._busy.get(task, 0)
        if depth:
            self._busy[task] = 0
        self._wake_soon()
        try:
            yield
        finally:
            if depth:
                self._busy[task] = depth

    def trace_config(self) -> aiohttp.TraceConfig:
        """For an ``aiohttp.ClientSession``: the clock stands still while a request is out."""

        async def start(_: Any, context: Any, __: Any) -> None:
            context.busy = self.busy()
            context.busy.__enter__()

        async def end(_: Any, context: Any, __: Any) -> None:
            context.busy.__exit__(None, None, None)

        config = aiohttp.TraceConfig()
        config.on_request_start.append(start)
        config.on_request_end.append(end)
        config.on_request_exception.append(end)
        return config

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._busy.pop(task, None)
        self._wake_soon()

    def _wake_soon(self) -> None:
        if self._sleepers and self._waking is None and not any(self._busy.values()):
            self._waking = asyncio.get_running_loop().call_soon(self._wake_earliest)

    def _wake_earliest(self) -> None:
        self._waking = None
        if any(self._busy.values()):  # the end of the busy work wakes the next sleeper
            return
        while self._sleepers:
            at, _, wake = heapq.heappop(self._sleepers)
            if wake.done():  # its sleeper was cancelled
                continue
            self._now = max(self._now, at)
            wake.set_result(None)
            break
        self._wake_soon()


class SteppedSleep:
    """A sleep that returns only on ``step``; ``asked`` lists the seconds each sleep asked for."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._asleep = asyncio.Event()
        self._wake: asyncio.Future[None] | None = None

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        self._wake = asyncio.get_running_loop().create_future()
        self._asleep.set()
        await self._wake

    async def asleep(self) -> None:
        """Return once the sleeper is waiting."""
        await self._asleep.wait()

    async def step(self) -> None:
        """End the current sleep, and return when the sleeper sleeps again: one whole round of
        its loop has run."""
        await self._asleep.wait()
        self._asleep.clear()
        assert self._wake is not None
        self._wake.set_result(None)
        await self._asleep.wait()
