"""Fan-out of one occurrence to 10,000 people through the fake Slack Web API (no rate limits).

Ours: ``Sender.send_due`` over the delivery ledger (claim, decide, render, ``chat.postMessage``
with the delivery id in metadata, record) through the Slack adapter. Also measured: the Slack
adapter's own send path (``SlackAdapter.send_prompt`` for the same prompts, no ledger), to tell
the adapter's cost from the ledger's. Anchor: a raw ``AsyncWebClient.chat_postMessage`` loop
posting the same blocks at the same concurrency. Target: at least 0.8x the anchor's throughput.
Every side runs with ``serve``'s interpreter settings (``bot.interpreter``).

Once, after the rounds, the Sender also runs with Slack taken away (an adapter that counts a
prompt as posted the moment it is handed over): what the ledger alone costs, in the event loop
and in database threads, to tell the Sender's own work from what it costs beside the sending.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from adapters.slack import refs, render
from adapters.slack.sender import SlackAdapter
from bench.programs import QUESTION, WORKSTREAM
from bench.slack_support import arguments, fake_slack_with, slack_stack, startup_frozen
from bot import interpreter
from bot.clock import SystemClock
from bot.messages import Prompt
from bot.ports import MessageRef
from storage.tables import Delivery
from surveys.occurrences import open_now
from surveys.prompts import render_prompt
from surveys.sender import Sender
from tests.adapters.slack.fake_slack import BOT_TOKEN

CONCURRENCY = 64
ROUNDS = 5  # this box's CPU speed swings a run by a tenth or more; the median round counts


@dataclass
class SenderRun:
    seconds: float  # to send every due delivery
    planned: float  # seconds spent planning them, not counted
    loop_cpu: float  # CPU seconds of the event loop's thread while sending
    worker_cpu: float  # CPU seconds of every other thread (the ledger's database work)
    prompt: Prompt  # one of the prompts sent


class PostedAtOnce(SlackAdapter):
    """Slack taken away: a prompt counts as posted the moment it is handed over."""

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        return MessageRef(conversation=refs.user_id(person), message_id=f"{prompt.delivery_id}.0")


async def through_the_sender(
    people: int, database_url: str | None, slack_taken_away: bool = False
) -> SenderRun:
    """The Sender's run over the ledger, with where its CPU time went."""
    async with slack_stack(people, database_url) as stack:
        if slack_taken_away:
            stack.core.adapters.register(PostedAtOnce(stack.app.adapter.client, stack.clock))
        started = time.perf_counter()
        await open_now(stack.core, WORKSTREAM, QUESTION, actor="bench")
        planned = time.perf_counter() - started
        with stack.core.session() as session:
            delivery = session.exec(select(Delivery)).first()
            assert delivery is not None
            prompt = render_prompt(session, stack.core, delivery)
        sender = Sender(stack.core, concurrency=CONCURRENCY)
        with startup_frozen():  # as `serve` does once it is up
            started, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
            report = await sender.send_due()
            elapsed = time.perf_counter() - started
            loop_cpu = time.thread_time() - loop_cpu
            worker_cpu = time.process_time() - cpu - loop_cpu
        assert report.sent == people, report
        prompts = sum(len(stack.fake.prompts_for(u)) for u in stack.fake.dms)
        assert prompts == (0 if slack_taken_away else people), prompts
        return SenderRun(elapsed, planned, loop_cpu, worker_cpu, prompt)


@dataclass
class AdapterRun:
    seconds: float
    loop_cpu: float


async def through_the_adapter(people: int, prompt: Prompt) -> AdapterRun:
    """The adapter's send path alone: pacing, retries, metadata; no ledger."""
    fake = await fake_slack_with(people)
    slots = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        client = AsyncWebClient(
            token=BOT_TOKEN, base_url=fake.url, session=session, retry_handlers=[]
        )
        adapter = SlackAdapter(client, SystemClock())

        async def send(user: str, n: int) -> None:
            async with slots:
                await adapter.send_prompt(
                    f"slack:{user}", dataclasses.replace(prompt, delivery_id=n)
                )

        with startup_frozen():
            started, loop_cpu = time.perf_counter(), time.thread_time()
            await asyncio.gather(*(send(u, n) for n, u in enumerate(list(fake.users))))
            elapsed, loop_cpu = time.perf_counter() - started, time.thread_time() - loop_cpu
    await fake.stop()
    return AdapterRun(elapsed, loop_cpu)


async def anchor(people: int, prompt: Prompt) -> float:
    """A raw chat_postMessage loop with the same blocks and metadata."""
    fake = await fake_slack_with(people)
    slots = asyncio.Semaphore(CONCURRENCY)
    blocks = render.prompt_blocks(prompt)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.url, session=session)

        async def post(user: str, n: int) -> None:
            async with slots:
                await client.chat_postMessage(
                    channel=user,
                    text=render.prompt_text(prompt),
                    blocks=blocks,
                    metadata={
                        "event_type": "learnpulse_prompt",
                        "event_payload": {"delivery_id": n},
                    },
                )

        with startup_frozen():
            started = time.perf_counter()
            await asyncio.gather(*(post(u, n) for n, u in enumerate(list(fake.users))))
            elapsed = time.perf_counter() - started
    await fake.stop()
    return elapsed


@dataclass
class Round:
    sender: SenderRun
    adapter: AdapterRun
    anchor_seconds: float

    @property
    def ratio(self) -> float:
        return self.anchor_seconds / self.sender.seconds


async def main() -> None:
    args = arguments(__doc__, full=10_000, quick=2_000)
    interpreter.tune()  # as `learnpulse serve` runs; every side shares it
    people, rounds = args.people, 1 if args.quick else ROUNDS
    print(f"people: {people:,}; concurrency {CONCURRENCY}; {rounds} round(s)")
    measured: list[Round] = []
    prompt: Prompt | None = None
    for number in range(1, rounds + 1):
        if prompt is None or number % 2:
            sent = await through_the_sender(people, args.database_url)
            prompt = sent.prompt
            adapter = await through_the_adapter(people, prompt)
            anchor_seconds = await anchor(people, prompt)
        else:  # even rounds run the other way round, so no side always has the warmer process
            anchor_seconds = await anchor(people, prompt)
            adapter = await through_the_adapter(people, prompt)
            sent = await through_the_sender(people, args.database_url)
        this = Round(sent, adapter, anchor_seconds)
        print(
            f"round {number}: Sender {people / sent.seconds:6,.0f} prompts/s, anchor "
            f"{people / this.anchor_seconds:6,.0f} prompts/s, ratio {this.ratio:.2f} "
            f"(planning {sent.planned:.1f} s, not counted)"
        )
        measured.append(this)
    median = sorted(measured, key=lambda each: each.ratio)[len(measured) // 2]
    print("the median round:")
    for name, seconds in (
        ("Sender + ledger + Slack adapter", median.sender.seconds),
        ("Slack adapter send path alone", median.adapter.seconds),
        ("anchor: raw chat_postMessage", median.anchor_seconds),
    ):
        print(f"{name:<33} {seconds:7.2f} s  {people / seconds:8,.0f} prompts/s")
    print(
        f"ratio (Sender end to end): {median.ratio:.2f}x, median of {rounds} rounds "
        "(target >= 0.80)"
    )
    print(f"ratio (adapter send path): {median.anchor_seconds / median.adapter.seconds:.2f}x")
    print(
        f"Sender's CPU: event loop {median.sender.loop_cpu:.2f} s, database threads "
        f"{median.sender.worker_cpu:.2f} s; the interpreter runs one of them at a time"
    )
    alone = await through_the_sender(people, args.database_url, slack_taken_away=True)
    print(
        f"the ledger alone (Slack taken away): {alone.seconds:.2f} s, event loop "
        f"{alone.loop_cpu:.2f} s, database threads {alone.worker_cpu:.2f} s of CPU"
    )
    apart = median.adapter.loop_cpu + alone.loop_cpu
    print(
        f"event loop CPU: the Sender {median.sender.loop_cpu:.2f} s, against "
        f"{apart:.2f} s for the adapter's send path and the ledger run apart; the difference "
        "is the cost of the two sharing one interpreter"
    )


if __name__ == "__main__":
    asyncio.run(main())
