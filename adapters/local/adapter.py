"""The playground's ``ChatAdapter``: messages go to the ``local_message`` table, not a platform.

It honours the same contract as Slack and Teams (a ``MessageRef`` per message, prompts updated
in place, ``find_prompt`` for reconciliation after a crash, audiences expanded to people), so the
core runs unchanged; the browser pages read the table back.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from adapters.local import store
from adapters.local.codec import prompt_to_json, report_to_json
from adapters.local.directory import DemoDirectory
from bot.messages import Prompt, Report
from bot.ports import LookupKind, Member, MessageRef, PermanentSendError

if TYPE_CHECKING:
    from bot.app import LearnPulse


class LocalAdapter:
    """Stores what the core sends; serves any platform prefix it is registered for."""

    platform = "local"

    def __init__(self, core: LearnPulse, directory: DemoDirectory) -> None:
        self.core = core
        self.directory = directory

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        body = {"kind": "prompt", "prompt": prompt_to_json(prompt)}
        return await self._add(store.dm(person), body, prompt.delivery_id)

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        body = {"kind": "prompt", "prompt": prompt_to_json(prompt)}
        message_id = _message_id(ref)
        now = self.core.clock.now()
        found = await asyncio.to_thread(
            store.replace, self.core.engine, ref.conversation, message_id, body, now
        )
        if not found:
            raise PermanentSendError("the message to update is gone")

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        conversation = store.dm(person)
        found = await asyncio.to_thread(
            store.find_delivery, self.core.engine, conversation, delivery_id
        )
        return MessageRef(conversation, str(found)) if found is not None else None

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        return await self._add(
            store.dm(person), {"kind": "report", "report": report_to_json(message)}
        )

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        return await self._add(channel, {"kind": "report", "report": report_to_json(message)})

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        body = {
            "kind": "file",
            "filename": filename,
            "comment": comment,
            "size": len(content),
            "content": base64.b64encode(content).decode("ascii"),
        }
        await self._add(store.dm(person), body)

    async def members(self, audience: str) -> list[Member]:
        return self.directory.members(audience)

    async def find_people(self, by: LookupKind, values: Collection[str]) -> dict[str, Member]:
        return self.directory.find(by, values)

    async def _add(
        self, conversation: str, body: dict[str, Any], delivery_id: int | None = None
    ) -> MessageRef:
        now = self.core.clock.now()
        message_id = await asyncio.to_thread(
            store.add, self.core.engine, conversation, body, now, delivery_id
        )
        return MessageRef(conversation, str(message_id))


def _message_id(ref: MessageRef) -> int:
    try:
        return int(ref.message_id)
    except ValueError:
        raise PermanentSendError("not a playground message") from None
