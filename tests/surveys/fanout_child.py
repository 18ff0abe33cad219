"""A separate process that fans one occurrence out through an HTTP chat platform on loopback.

Used by the crash test: the parent kills it with SIGKILL mid-fan-out, then runs it again.
Usage: python -m tests.surveys.fanout_child DATABASE_URL PROGRAM PLATFORM_URL (open|resume)
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from bot.app import LearnPulse
from bot.messages import Prompt, Report
from bot.ports import Member, MessageRef, TransientSendError
from bot.settings import load_settings
from surveys.occurrences import open_now
from surveys.sender import Sender

PEOPLE = 60


class HttpChat:
    """A ChatAdapter whose platform is the parent test's recorder."""

    platform = "slack"

    def __init__(self, base: str) -> None:
        self.base = base
        self.session: aiohttp.ClientSession | None = None

    async def _client(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        return self.session

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        client = await self._client()
        async with client.post(
            f"{self.base}/send", json={"person": person, "delivery_id": prompt.delivery_id}
        ) as r:
            if r.status != 200:
                raise TransientSendError(f"http {r.status}")
            body = await r.json()
        return MessageRef(f"D-{person}", str(body["ts"]))

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        client = await self._client()
        async with client.get(
            f"{self.base}/find", params={"person": person, "delivery_id": delivery_id}
        ) as r:
            if r.status == 404:
                return None
            body = await r.json()
        return MessageRef(f"D-{person}", str(body["ts"]))

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        return None

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        return MessageRef(person, "0")

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        return MessageRef(channel, "0")

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        return None

    async def members(self, audience: str) -> list[Member]:
        return [Member(f"slack:UCRASH{i:04d}", timezone="UTC") for i in range(PEOPLE)]


async def main(database_url: str, program: str, platform_url: str, mode: str) -> None:
    settings = load_settings(
        DATABASE_URL=database_url, LEARNPULSE_PROGRAM=program, LEARNPULSE_SECRET_KEY="k"
    )
    core = LearnPulse(settings, migrate=False)  # the clock starts at LEARNPULSE_NOW
    core.load_program()
    chat = HttpChat(platform_url)
    core.adapters.register(chat)
    if mode == "open":
        await open_now(core, "lms", "lms-confidence", actor="test")
    report = await Sender(core, concurrency=4, batch=8).send_due()
    print(f"sent={report.sent} reconciled={report.reconciled}", flush=True)
    if chat.session is not None:
        await chat.session.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
