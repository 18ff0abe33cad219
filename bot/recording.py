"""Clicks written in groups: one transaction and one hand-off to a database thread per group.

At 10:00 on a Monday a whole company answers within minutes. Giving every click its own
transaction in its own worker thread spends more on the hand-offs between the event loop and the
threads, on lock waits and on commits than on the writes themselves. Here a click that arrives
while a group is being written waits for the next group, so a quiet server writes each click at
once and a busy one writes them together, in the order they came.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.events import AnswerGiven, CommentGiven
from surveys import answers

if TYPE_CHECKING:
    from bot.app import LearnPulse

MAX_GROUP = 200  # clicks in one transaction, so one group never holds the write lock for long

Click = AnswerGiven | CommentGiven


class AnswerRecorder:
    """``await record(event)`` stores one click, sharing a transaction with clicks beside it."""

    def __init__(self, core: LearnPulse, max_group: int = MAX_GROUP) -> None:
        self.core = core
        self.max_group = max_group
        self._waiting: list[tuple[Click, asyncio.Future[answers.AnswerOutcome]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, event: Click) -> answers.AnswerOutcome:
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
