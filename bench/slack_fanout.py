"""Fan-out of one occurrence to 10,000 people through the fake Slack Web API (no rate limits).

Ours: ``Sender.send_due`` over the delivery ledger (claim, decide, render, ``chat.postMessage``
with the delivery id in metadata, record) through the Slack adapter. Also measured: the Slack
adapter's own send path (``SlackAdapter.send_prompt`` for the same prompts, no ledger, on the
connection pool ``serve`` gives the Web API client), to tell the adapter's cost from the
ledger's. Anchor: a raw ``AsyncWebClient.chat_postMessage`` loop posting the same blocks at the
same concurrency on a plain aiohttp session. Target: at least 0.8x the anchor's throughput.
Every side runs with ``serve``'s interpreter settings (``bot.interpreter``).

Each round runs in a fresh process: the anchor, the Sender, the anchor again; the Sender's
throughput is compared with the mean of the two anchor runs, and the median round counts.

In the last round the Sender also runs with Slack taken away (an adapter that counts a prompt as
posted the moment it is handed over): what the ledger alone costs, in the event loop and in
database threads, to tell the Sender's own work from what it costs beside the sending.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from adapters.slack import MAX_CONNECTIONS, refs, render
from adapters.slack.adapter import SlackAdapter
from adapters.slack.web_api import connection_pool
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
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SenderRun:
    seconds: float  # to send every due delivery
    planned: float  # seconds spent planning them, not counted
    loop_cpu: float  # CPU seconds of the event loop's thread while sending
    worker_cpu: float  # CPU seconds of every other thread (the ledger's database work)
    prompt: Prompt | None  # one of the prompts sent (not kept across processes)


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
    async with connection_pool(MAX_CONNECTIONS) as session:  # as `serve` sets it up
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
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
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
    """One round, run in a process of its own: the anchor, the Sender, the anchor again."""

    sender: SenderRun
    anchor_before: float
    anchor_after: float
    adapter: AdapterRun
    alone: SenderRun | None = None  # the ledger alone, in the last round

    @property
    def anchor_seconds(self) -> float:
        return (self.anchor_before + self.anchor_after) / 2

    @property
    def ratio(self) -> float:
        return self.anchor_seconds / self.sender.seconds


async def one_round(people: int, database_url: str | None, ledger_alone: bool) -> Round:
    """The anchor on both sides of the Sender, so a drift of the machine's speed during the
    round weighs on both; then the adapter's send path alone. A fresh process's first large
    run is slower (its heap grows as it goes), so an untimed anchor run warms it first."""
    interpreter.tune()  # as `learnpulse serve` runs; every side shares it
    prompt = (await through_the_sender(1, database_url)).prompt  # the prompt all sides send
    assert prompt is not None
    await anchor(people, prompt)
    before = await anchor(people, prompt)
    sent = await through_the_sender(people, database_url)
    after = await anchor(people, prompt)
    adapter = await through_the_adapter(people, prompt)
    alone = None
    if ledger_alone:
        alone = await through_the_sender(people, database_url, slack_taken_away=True)
    return Round(sent, before, after, adapter, alone)


def run_round(people: int, database_url: str | None, ledger_alone: bool) -> Round:
    """One round in a fresh interpreter: one process's memory layout and heap can favour one
    side for all of its rounds (seen here: the adapter's send path at 0.67x the anchor in one
    process and 1.1x in the next), so each round gets its own."""
    command = [sys.executable, "-m", "bench.slack_fanout", "--one-round", "--people", str(people)]
    if database_url:
        command += ["--database-url", database_url]
    if ledger_alone:
        command.append("--ledger-alone")
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"a round failed:\n{finished.stderr}")
    return _round_from_json(json.loads(finished.stdout.splitlines()[-1]))


def _round_from_json(data: dict[str, Any]) -> Round:
    def sender(run: dict[str, Any] | None) -> SenderRun | None:
        return None if run is None else SenderRun(**{**run, "prompt": None})

    sent = sender(data["sender"])
    assert sent is not None
    return Round(
        sent,
        data["anchor_before"],
        data["anchor_after"],
        AdapterRun(**data["adapter"]),
        sender(data["alone"]),
    )


def _round_as_json(measured: Round) -> str:
    data = dataclasses.asdict(measured)
    for run in (data["sender"], data["alone"]):
        if run is not None:
            run["prompt"] = None
    return json.dumps(data)


def report(people: int, measured: list[Round]) -> None:
    rounds = len(measured)
    median = sorted(measured, key=lambda each: each.ratio)[rounds // 2]
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
    last = measured[-1]
    if last.alone is None:
        return
    alone = last.alone
    print(
        f"the ledger alone (Slack taken away): {alone.seconds:.2f} s, event loop "
        f"{alone.loop_cpu:.2f} s, database threads {alone.worker_cpu:.2f} s of CPU"
    )
    apart = last.adapter.loop_cpu + alone.loop_cpu
    print(
        f"event loop CPU in round {rounds}: the Sender {last.sender.loop_cpu:.2f} s, against "
        f"{apart:.2f} s for the adapter's send path and the ledger run apart "
        f"({last.sender.loop_cpu - apart:+.2f} s for the two sharing one interpreter)"
    )


def main() -> None:
    args = arguments(
        __doc__,
        full=10_000,
        quick=2_000,
        switches={
            "--one-round": "run one round in this process and print it as JSON",
            "--ledger-alone": "with --one-round: also run the Sender with Slack taken away",
        },
    )
    if args.one_round:
        print(
            _round_as_json(
                asyncio.run(one_round(args.people, args.database_url, args.ledger_alone))
            )
        )
        return
    people, rounds = args.people, 1 if args.quick else ROUNDS
    print(f"people: {people:,}; concurrency {CONCURRENCY}; {rounds} round(s), one process each")
    measured: list[Round] = []
    for number in range(1, rounds + 1):
        this = run_round(people, args.database_url, ledger_alone=number == rounds)
        print(
            f"round {number}: Sender {people / this.sender.seconds:6,.0f} prompts/s, anchor "
            f"{people / this.anchor_before:6,.0f} before and {people / this.anchor_after:6,.0f} "
            f"after, ratio {this.ratio:.2f} (planning {this.sender.planned:.1f} s, not counted)",
            flush=True,
        )
        measured.append(this)
    report(people, measured)


if __name__ == "__main__":
    main()
