"""Answer clicks: signed ``block_actions`` through the real server, each answer stored.

Ours: every click goes to ``POST /slack/events`` of the running server (signature check, ack,
then the answer stored and the prompt re-rendered through the click's ``response_url``);
the clock stops when the last answer is in the database. Anchor: a bare slack-bolt ``AsyncApp``
on the same aiohttp that only acks the same payloads. 32 concurrent clients. Target: at least
0.7x the anchor's throughput. Prints throughput, p50 / p99 acknowledgement latency, the CPU time
each process spent per click (server, clients, fake Slack) and the ratio. Two processes share
two cores with the one measured, so one run's ratio moves by a tenth either way: each side runs
three times, in pairs, every pair's ratio is printed and the median pair is the result
(``--quick`` and ``--profile``: one pair).

On both sides only the server runs in this process: the clients (``bench.click_load``) and the
fake Slack Web API (``bench.slack_fake_process``) run in processes of their own, so neither
takes CPU from the server measured. A long-running server has long since loaded what its first
answer imports (the answer path pulls in the sentiment library, about a second of imports), so
that is loaded before the clock starts; ``--cold`` leaves it to the first click instead. Both
sides run with ``serve``'s interpreter settings (``bot.interpreter``), startup objects frozen
just before their clients start.
``--profile`` prints where our server's CPU time goes.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import re
import time
from contextlib import nullcontext
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bench.click_load import Hammered, click_load
from bench.programs import QUESTION, WORKSTREAM
from bench.server_profile import profiled
from bench.slack_fake_process import fake_slack_process
from bench.slack_support import arguments, learnpulse_server, percentile, startup_frozen
from bot import interpreter
from surveys.occurrences import open_now
from surveys.sender import Sender
from tests.adapters.slack.fake_slack import BOT_TOKEN
from tests.adapters.slack.payloads import SIGNING_SECRET
from tests.support import serving

CLIENTS = 32
ROUNDS = 3  # paired rounds, ours then the anchor; the median ratio is the result
POLL_SECONDS = 0.05  # how often the database and the fake are asked how far along they are


@dataclass
class Run:
    """One side's measurement: wall time, the clients' timings, and CPU time per process."""

    seconds: float  # until every answer was stored (ours) or every click acked (anchor)
    hammered: Hammered
    server_cpu: float
    fake_cpu: float


async def ours(
    people: int, database_url: str | None, cold: bool, profile: io.StringIO | None
) -> tuple[Run, list[str]]:
    """Our server's run, and the click bodies (the anchor gets the same ones)."""
    if not cold:
        importlib.import_module("bot.dispatch")  # what the first event dispatched imports
    async with (
        fake_slack_process(people) as fake,
        learnpulse_server(fake.api_url, database_url) as server,
    ):
        await open_now(server.core, WORKSTREAM, QUESTION, actor="bench")
        report = await Sender(server.core).send_due()
        assert report.sent == people, report
        bodies = await fake.clicks()
        with startup_frozen():  # as `serve` does once it is up
            async with click_load(f"{server.url}/slack/events", bodies, CLIENTS) as go:
                loop = asyncio.get_running_loop()
                with profiled(loop, profile) if profile is not None else nullcontext():
                    fake_started = await fake.cpu_seconds()
                    started, cpu_started = time.perf_counter(), time.process_time()
                    hammering = asyncio.create_task(go())
                    while await asyncio.to_thread(server.count_answers) < people:
                        await asyncio.sleep(POLL_SECONDS)
                    stored = time.perf_counter() - started
                    server_cpu = time.process_time() - cpu_started
                    fake_cpu = await fake.cpu_seconds() - fake_started
                    hammered = await hammering
        while await fake.updates() < people:  # let the last updates land
            await asyncio.sleep(POLL_SECONDS)
        return Run(stored, hammered, server_cpu, fake_cpu), bodies


async def anchor(people: int, bodies: list[str]) -> Run:
    async with fake_slack_process(people) as fake:
        bolt = AsyncApp(
            signing_secret=SIGNING_SECRET,
            client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url),
        )

        @bolt.action(re.compile(".*"))
        async def only_ack(ack: AsyncAck) -> None:
            await ack()

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bolt.async_dispatch(await to_bolt_request(request))
            )

        app = web.Application()
        app.router.add_post("/slack/events", handle)
        async with serving(app) as base:
            url = f"{base}/slack/events"
            with startup_frozen():  # as for ours
                async with click_load(url, bodies, CLIENTS) as go:
                    fake_started = await fake.cpu_seconds()
                    cpu_started = time.process_time()
                    hammered = await go()
                    server_cpu = time.process_time() - cpu_started
                    fake_cpu = await fake.cpu_seconds() - fake_started
                    return Run(hammered.seconds, hammered, server_cpu, fake_cpu)


def cpu_table(people: int, runs: dict[str, Run]) -> str:
    """CPU milliseconds per click of every process, per side, and the cores they share."""
    lines = [
        f"CPU per click (ms) on {os.cpu_count()} cores shared by all three processes:",
        f"  {'':<8} {'server':>7} {'clients':>8} {'fake Slack':>11} {'all':>6}",
    ]
    for name, run in runs.items():
        server, clients, fake = (
            run.server_cpu * 1000 / people,
            run.hammered.cpu_seconds * 1000 / people,
            run.fake_cpu * 1000 / people,
        )
        lines.append(
            f"  {name:<8} {server:7.2f} {clients:8.2f} {fake:11.2f} {server + clients + fake:6.2f}"
        )
    return "\n".join(lines)


async def main() -> None:
    interpreter.tune()  # as `learnpulse serve` runs; both sides share it
    args = arguments(
        __doc__,
        full=2_000,
        quick=500,
        switches={
            "--profile": "profile our server's CPU time",
            "--cold": "let the first click load the answer path's modules, as after a restart",
        },
    )
    people, rounds = args.people, 1 if args.quick or args.profile else ROUNDS
    profile = io.StringIO() if args.profile else None
    print(f"clicks: {people:,} from {CLIENTS} concurrent clients, {rounds} round(s)")
    measured: list[tuple[float, Run, Run]] = []
    for number in range(1, rounds + 1):
        our_run, bodies = await ours(people, args.database_url, args.cold, profile)
        anchored = await anchor(people, bodies)  # the same payloads; bolt only acks them
        ratio = anchored.seconds / our_run.seconds
        print(
            f"round {number}: ours {people / our_run.seconds:6,.0f} clicks/s, "
            f"anchor {people / anchored.seconds:6,.0f} clicks/s, ratio {ratio:.2f}"
        )
        measured.append((ratio, our_run, anchored))
    ratio, our_run, anchored = sorted(measured, key=lambda each: each[0])[len(measured) // 2]
    print("the median round:")
    for name, run in (
        ("ours (acked, stored, updated)", our_run),
        ("anchor (bare bolt, ack only)", anchored),
    ):
        latencies = run.hammered.latencies
        print(
            f"{name:<30} {people / run.seconds:8,.0f} clicks/s   "
            f"p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   "
            f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms"
        )
    print(f"ours, acknowledged only:        {people / our_run.hammered.seconds:8,.0f} clicks/s")
    print(cpu_table(people, {"ours": our_run, "anchor": anchored}))
    print(
        f"ratio: {ratio:.2f}x the anchor's throughput (median of {rounds} rounds), "
        "every answer stored (target >= 0.70)"
    )
    if profile is not None:
        print(profile.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
