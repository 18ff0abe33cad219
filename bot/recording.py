"""Clicks written in groups: one transaction and one hand-off to a database thread per group.

At 10:00 on a Monday a whole company answers within minutes. Giving every click its own
transaction in its own worker thread spends more on the hand-offs between the event loop and the
threads, on lock waits and on commits than on the writes themselves. Here a click that arrives
while a group is being written waits for the next group, so a quiet server writes each click at
once and a busy one writes them together, in the order they came.

The clicks it holds (waiting or being written) are bounded by ``max_held``. When that many are
held, a new click waits for room, first come first served; a caller that must not wait (a
platform holding its request open for the outcome, which it can instead be told to retry) gets
``Overloaded`` at once.
"""

from __future__ import annotations

import asyncio

from bot.events import AnswerGiven, CommentGiven
from bot.ports import Overloaded
from surveys import answers
from surveys.context import Answering

MAX_GROUP = 200  # clicks in one transaction, so one group never holds the write lock for long
MAX_HELD = 10 * MAX_GROUP  # clicks waiting or being written; a few hundred bytes each
RETRY_AFTER_SECONDS = 1  # about how long ten groups take to write

Click = AnswerGiven | CommentGiven


class AnswerRecorder:
    """``await record(event)`` stores one click, sharing a transaction with clicks beside it."""

    def __init__(
        self, core: Answering, max_group: int = MAX_GROUP, max_held: int | None = None
    ) -> None:
        self.core = core
        self.max_group = max_group
        self.max_held = MAX_HELD if max_held is None else max_held
        self.held = 0  # clicks waiting for their group or being written
        self._waiting: list[tuple[Click, asyncio.Future[answers.AnswerOutcome]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._room = asyncio.Semaphore(self.max_held)
        self._room_loop: asyncio.AbstractEventLoop | None = None

    async def record(self, event: Click, *, wait: bool = True) -> answers.AnswerOutcome:
        """Store one click with the others waiting; ``wait=False``: ``Overloaded`` when full."""
        room = self._room_in(asyncio.get_running_loop())
        if not wait and room.locked():
            raise Overloaded(RETRY_AFTER_SECONDS)
        async with room:
            self._hold(+1)
            try:
                return await self._record(event)
            finally:
                self._hold(-1)

    def _hold(self, change: int) -> None:
        self.held += change
        self.core.metrics.answers_held.set(self.held)

    def _room_in(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        """The semaphore, new for a new event loop (tests run one core in several loops)."""
        if self._room_loop is not loop and self.held == 0:
            self._room, self._room_loop = asyncio.Semaphore(self.max_held), loop
        return self._room

    async def _record(self, event: Click) -> answers.AnswerOutcome:
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[answers.AnswerOutcome] = loop.create_future()
        self._waiting.append((event, outcome))
        writer = self._writer
        if writer is None or writer.done() or writer.get_loop() is not loop:
            self._writer = loop.create_task(self._write_waiting())
        return await outcome

    async def _write_waiting(self) -> None:
        while self._waiting:
            group = self._waiting[: self.max_group]
            del self._waiting[: self.max_group]
            try:
                outcomes = await asyncio.to_thread(
                    answers.record_all, self.core, [event for event, _ in group]
                )
            except Exception as exc:  # the database failed the whole group: each click hears it
                for _, waiting in group:
                    if not waiting.done():
                        waiting.set_exception(exc)
                continue
            for (_, waiting), outcome in zip(group, outcomes, strict=True):
                if not waiting.done():  # its asker may have given up (a cancelled request)
                    waiting.set_result(outcome)
