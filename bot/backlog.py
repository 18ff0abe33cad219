"""Work accepted but not yet done, with a bound: a fixed number of workers and a queue of at
most ``capacity`` items, taken in the order they were accepted.

A burst that outruns the workers fills the queue; what comes after it waits for room for at
most the time its caller can give (``offer(item, wait)``), in order, and is refused when that
runs out, or at once when ``max_waiting`` others are already waiting. So the memory it holds
is bounded (``bound``), whatever arrives, and everything it accepted is done, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.logsafe import describe

log = logging.getLogger("learnpulse.backlog")
T = TypeVar("T")


class Backlog(Generic[T]):
    """``await offer(item, wait)``: True once ``item`` is queued (``handle(item)`` will run),
    False when there was no room in time (it will not)."""

    def __init__(
        self,
        handle: Callable[[T], Awaitable[None]],
        *,
        capacity: int,
        workers: int,
        max_waiting: int,
        name: str = "work",
    ) -> None:
        self.handle = handle
        self.capacity = capacity
        self.workers = workers
        self.max_waiting = max_waiting
        self.name = name
        self.deepest = 0  # the most items ever held at once (queued, in hand or waiting)
        self.refused = 0
        self._queue: asyncio.Queue[T] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._line: deque[tuple[T, asyncio.Future[None]]] = deque()  # waiting for room, in order
        self._in_hand = 0
        self._closed = False

    @property
    def bound(self) -> int:
        """The most items this can ever hold at once."""
        return self.capacity + self.workers + self.max_waiting

    @property
    def held(self) -> int:
        """Items accepted and not yet done, plus those waiting for room."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return queued + self._in_hand + len(self._line)

    async def offer(self, item: T, wait: float) -> bool:
        """Queue ``item``, waiting up to ``wait`` seconds for room behind earlier offers."""
        if self._closed:  # stopping: nothing new is accepted that might not be done
            self.refused += 1
            return False
        queue = self._running_queue()
        if not self._line and not queue.full():
            queue.put_nowait(item)
            self._note_depth()
            return True
        if len(self._line) >= self.max_waiting or wait <= 0:
            self.refused += 1
            return False
        admitted = asyncio.get_running_loop().create_future()
        entry = (item, admitted)
        self._line.append(entry)
        self._note_depth()
        await asyncio.wait({admitted}, timeout=wait)
        if admitted.done():
            return True
        self._line.remove(entry)  # no await since the check: it cannot be admitted meanwhile
        admitted.cancel()
        self.refused += 1
        return False

    async def finish(self, timeout: float) -> None:
        """Let the workers do what was accepted, for up to ``timeout`` seconds, then stop them.
        Nothing is accepted from then on."""
        self._closed = True
        queue = self._queue
        if queue is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await queue.join()
        workers, self._workers, self._queue = self._workers, [], None
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _running_queue(self) -> asyncio.Queue[T]:
        """The queue and its workers, started in the running loop on first use."""
        loop = asyncio.get_running_loop()
        if self._queue is None or not self._workers or self._workers[0].get_loop() is not loop:
            self._queue = asyncio.Queue(maxsize=self.capacity)
            self._workers = [loop.create_task(self._work()) for _ in range(self.workers)]
            self._line.clear()
        return self._queue

    def _note_depth(self) -> None:
        self.deepest = max(self.deepest, self.held)

    def _admit_next(self, queue: asyncio.Queue[T]) -> None:
        """A place in the queue came free: it goes to the first offer waiting, at once, so no
        later offer can take it first."""
        while self._line and not queue.full():
            item, admitted = self._line.popleft()
            queue.put_nowait(item)
            admitted.set_result(None)

    async def _work(self) -> None:
        queue = self._queue
        assert queue is not None
        while True:
            item = await queue.get()
            self._in_hand += 1
            self._admit_next(queue)
            try:
                await self.handle(item)
            except Exception as exc:  # one item's failure must not stop the worker
                log.error("%s failed: %s", self.name, describe(exc))
            finally:
                self._in_hand -= 1
                queue.task_done()
