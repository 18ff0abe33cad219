"""One entry for every incoming event: route it to its use case, return the reply for the asker.

Adapters call ``LearnPulse.dispatch(event)``; the reply (if any) is shown only to the person who
caused the event (ephemeral in Slack, a private reply in Teams).
"""

from __future__ import annotations

import asyncio
import logging

from bot.commands.context import Steering
from bot.commands.table import run_command
from bot.events import (
    AnswerGiven,
    CommandIssued,
    CommentGiven,
    Event,
    HomeOpened,
    PersonSeen,
    SnoozeRequested,
)
from bot.messages import Report, notice
from bot.ports import MessageRef, SendError
from bot.recording import AnswerRecorder
from surveys import answers, home, people

log = logging.getLogger("learnpulse.dispatch")


class Dispatcher:
    """Routes neutral events to use cases. Database work runs in worker threads."""

    def __init__(self, core: Steering) -> None:
        self.core = core
        self.recorder = AnswerRecorder(core)

    async def dispatch(self, event: Event, *, wait_for_room: bool = True) -> Report | None:
        match event:
            case AnswerGiven() | CommentGiven():
                return await self._answer(event, wait_for_room)
            case CommandIssued():
                return await run_command(
                    self.core, event.person, event.name, event.text, event.channel, event.options
                )
            case SnoozeRequested():
                text = await asyncio.to_thread(people.snooze, self.core, event.person, event.days)
                return notice(text)
            case HomeOpened():
                return await asyncio.to_thread(home.home_view, self.core, event.person)
            case PersonSeen():
                first_contact = await asyncio.to_thread(people.seen, self.core, event)
                if first_contact and event.welcome and not event.is_bot:
                    await self._welcome(event.person)
                return None
        raise TypeError(f"unknown event {type(event).__name__}")

    async def _answer(
        self, event: AnswerGiven | CommentGiven, wait_for_room: bool
    ) -> Report | None:
        outcome = await self.recorder.record(event, wait=wait_for_room)
        if outcome.prompt is not None and outcome.ref is not None:
            await self._update(event.person, outcome.ref, outcome)
        return notice(outcome.message) if outcome.message else None

    async def _update(self, person: str, ref: MessageRef, outcome: answers.AnswerOutcome) -> None:
        assert outcome.prompt is not None
        try:
            await self.core.adapters.for_ref(person).update_prompt(ref, outcome.prompt)
        except SendError as exc:  # the answer is stored; a stale message is not worth failing for
            log.warning("prompt %s not updated: %s", outcome.prompt.delivery_id, exc.reason)

    async def _welcome(self, person: str) -> None:
        try:
            await self.core.adapters.for_ref(person).post_to_person(
                person, people.welcome(self.core)
            )
        except SendError as exc:
            log.warning("welcome not sent: %s", exc.reason)
