"""``/learning-survey <workstream> <question>`` to 10,000 people whose audience is not stored yet.

Ours: an admin's signed slash command to ``POST /slack/events`` of the real server (``serve``'s
web app with the Slack adapter, on a fresh database), which resolves the audience (channel
members and ``users.list``), stores it, plans the asking and sends every prompt; the clock runs
from the command until the last prompt arrives at the fake Slack. Anchor: a plain script that
lists the same channel and the users with a bare ``AsyncWebClient``, then posts the same
message (text, blocks, metadata) to each person with ``chat.postMessage`` at the Sender's
concurrency; the clock runs from its start until its last message arrives at the fake. Target:
at least 0.9x the anchor's throughput (the anchor's time over ours).

The fake Slack runs in a process of its own (``bench.slack_fake_process``), a fresh one for each
side, and notes when each message arrives (``time.monotonic``, one clock for both processes).
Each round runs ours, then the anchor; the median round's ratio is the result. Both sides run
with ``serve``'s interpreter settings (``bot.interpreter``).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import MAX_CONNECTIONS, refs
from bench.programs import QUESTION, WORKSTREAM
from bench.slack_fake_process import FakeSlackProcess, fake_slack_process
from bench.slack_listing import channel_people
from bench.slack_support import CHANNEL, arguments, learnpulse_server, startup_frozen
from bot import interpreter
from surveys.sender import Sender
from tests.adapters.slack.fake_slack import BOT_TOKEN
from tests.adapters.slack.payloads import FORM, signed_headers, slash_command

ADMIN = "U0ADMIN001"
CONCURRENCY: int = inspect.signature(Sender).parameters["concurrency"].default
ROUNDS = 3
POLL_SECONDS = 0.02
TARGET = 0.9
WAIT_SECONDS = 600


@dataclass
class Round:
    ours: float
    anchor: float

    @property
    def ratio(self) -> float:
        return self.anchor / self.ours


async def last_post(fake: FakeSlackProcess, messages: int) -> float:
    """When the fake received the last of ``messages`` messages."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        posted, at = await fake.progress()
        if posted >= messages:
            return at
        await asyncio.sleep(POLL_SECONDS)
    raise RuntimeError(f"only {posted:,} of {messages:,} messages arrived")


async def replied(fake: FakeSlackProcess) -> None:
    """Wait for the command's reply at its ``response_url``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while await fake.replies() == 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the command was never answered")
        await asyncio.sleep(POLL_SECONDS)


async def ours(people: int, database_url: str | None) -> tuple[float, dict[str, Any]]:
    """Seconds from the command to the last prompt, and one prompt as the fake received it."""
    importlib.import_module("bot.dispatch")  # what the first event dispatched imports
    async with (
        fake_slack_process(people) as fake,
        learnpulse_server(fake.api_url, database_url) as server,
        aiohttp.ClientSession() as session,
    ):
        hook = f"{fake.api_url.removesuffix('/api/')}/hooks/command"
        body = slash_command("learning-survey", ADMIN, f"{WORKSTREAM} {QUESTION}", CHANNEL, hook)
        headers = signed_headers(body, FORM)
        with startup_frozen():
            started = time.monotonic()
            async with session.post(
                f"{server.url}/slack/events", data=body.encode(), headers=headers
            ) as response:
                assert response.status == 200, response.status
            finished = await last_post(fake, people)
        await replied(fake)  # untimed: the command's reply, once its sending run is counted
        return finished - started, await fake.sample()


async def anchor(people: int, message: dict[str, Any]) -> float:
    """Seconds of the plain script: list the channel and the users, post to each."""
    async with fake_slack_process(people) as fake:
        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url, session=session)
            slots = asyncio.Semaphore(CONCURRENCY)

            async def post(user: str) -> None:
                async with slots:
                    await client.chat_postMessage(
                        channel=user,
                        text=message["text"],
                        blocks=message["blocks"],
                        metadata=message["metadata"],
                    )

            with startup_frozen():
                started = time.monotonic()
                users = [refs.user_id(m.person) for m in await channel_people(client)]
                await asyncio.gather(*(post(u) for u in users))
                finished = await last_post(fake, people)
    return finished - started


async def measure(people: int, database_url: str | None, rounds: int) -> list[Round]:
    interpreter.tune()  # as `learnpulse serve` runs; both sides share it
    measured = []
    for number in range(1, rounds + 1):
        ours_seconds, message = await ours(people, database_url)
        anchor_seconds = await anchor(people, message)
        this = Round(ours_seconds, anchor_seconds)
        print(
            f"round {number}: ours {ours_seconds:6.2f} s ({people / ours_seconds:,.0f} prompts/s),"
            f" anchor {anchor_seconds:6.2f} s ({people / anchor_seconds:,.0f} prompts/s), "
            f"ratio {this.ratio:.2f}x",
            flush=True,
        )
        measured.append(this)
    return measured


def main() -> None:
    args = arguments(__doc__, full=10_000, quick=2_000)
    rounds = 1 if args.quick else ROUNDS
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"/learning-survey to {args.people:,} people on {database}, {rounds} round(s)")
    measured = asyncio.run(measure(args.people, args.database_url, rounds))
    median = sorted(measured, key=lambda r: r.ratio)[len(measured) // 2]
    print(
        f"command to last prompt: ours {median.ours:.2f} s, anchor {median.anchor:.2f} s "
        f"(list the channel and users, post the DMs); throughput ratio {median.ratio:.2f}x, "
        f"median of {len(measured)} (target >= {TARGET})"
    )


if __name__ == "__main__":
    main()
