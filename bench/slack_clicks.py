"""Answer clicks: signed ``block_actions`` through the real server, each answer stored.

Ours: every click goes to ``POST /slack/events`` of the running server (signature check, bolt,
ack, then the answer stored and the prompt updated with ``chat.update``); the clock stops when
the last answer is in the database. Anchor: a bare slack-bolt ``AsyncApp`` on the same aiohttp
that only acks the same payloads. 32 concurrent clients. Target: at least 0.7x the anchor's
throughput. Prints throughput, p50 / p99 acknowledgement latency and the ratio.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import actions
from bench.programs import QUESTION, WORKSTREAM
from bench.slack_support import (
    arguments,
    fake_slack_with,
    percentile,
    slack_stack,
)
from bot.runner import SWITCH_INTERVAL_SECONDS
from surveys.occurrences import open_now
from surveys.sender import Sender
from tests.adapters.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.adapters.slack.payloads import (
    FORM,
    SIGNING_SECRET,
    block_actions,
    interaction,
    signed_headers,
)

CLIENTS = 32


def clicks(fake: FakeSlack) -> list[str]:
    """One signed-to-be body per person: a click on "4" in the prompt they were sent."""
    bodies = []
    for user, dm in fake.dms.items():
        [prompt] = fake.prompts_for(user)
        bodies.append(interaction(block_actions(user, dm, prompt, actions.ANSWER, "4")))
    return bodies


async def hammer(url: str, bodies: list[str]) -> tuple[float, list[float]]:
    """POST every body with CLIENTS concurrent clients; (seconds, per-request latencies)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(
                    url, data=body.encode(), headers=signed_headers(body, FORM)
                ) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CLIENTS)))
        return time.perf_counter() - started, latencies


async def ours(people: int, database_url: str | None) -> tuple[float, float, list[float]]:
    """(seconds until every click was acked, seconds until every answer was stored, latencies)"""
    async with slack_stack(people, database_url) as stack:
        await open_now(stack.core, WORKSTREAM, QUESTION, actor="bench")
        report = await Sender(stack.core).send_due()
        assert report.sent == people, report
        bodies = clicks(stack.fake)
        started = time.perf_counter()
        acked, latencies = await hammer(f"{stack.url}/slack/events", bodies)
        while await asyncio.to_thread(stack.count_answers) < people:
            await asyncio.sleep(0.01)
        stored = time.perf_counter() - started
        while len(stack.fake.calls_to("chat.update")) < people:  # let the last updates land
            await asyncio.sleep(0.01)
        return acked, stored, latencies


async def anchor(people: int, bodies: list[str]) -> tuple[float, list[float]]:
    fake = await fake_slack_with(people)
    bolt = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.url),
    )

    @bolt.action(re.compile(".*"))
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        return await hammer(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", bodies)
    finally:
        await runner.cleanup()
        await fake.stop()


async def main() -> None:
    sys.setswitchinterval(
        SWITCH_INTERVAL_SECONDS
    )  # as `learnpulse serve` runs; both sides share it
    args = arguments(__doc__, full=2_000, quick=500)
    people = args.people
    acked_seconds, ours_seconds, ours_latencies = await ours(people, args.database_url)
    async with slack_stack(people, args.database_url) as stack:  # the same payload shapes
        await open_now(stack.core, WORKSTREAM, QUESTION, actor="bench")
        await Sender(stack.core).send_due()
        bodies = clicks(stack.fake)
    anchor_seconds, anchor_latencies = await anchor(people, bodies)
    print(f"clicks: {people:,} from {CLIENTS} concurrent clients")
    for name, seconds, latencies in (
        ("ours (acked, stored, updated)", ours_seconds, ours_latencies),
        ("anchor (bare bolt, ack only)", anchor_seconds, anchor_latencies),
    ):
        print(
            f"{name:<30} {people / seconds:8,.0f} clicks/s   "
            f"p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   "
            f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms"
        )
    print(f"ours, acknowledged only:        {people / acked_seconds:8,.0f} clicks/s")
    ratio = anchor_seconds / ours_seconds
    print(f"ratio: {ratio:.2f}x the anchor's throughput, every answer stored (target >= 0.70)")


if __name__ == "__main__":
    asyncio.run(main())
