"""10,000 prompts under Slack's limits and failures: zero lost, zero duplicates.

The fake Web API allows one message per second per channel (429 + ``Retry-After`` otherwise) and
injects a 429 into 2% and a 500 into 1% of ``chat.postMessage`` calls. Every prompt goes through
``Sender.send_due`` and the Slack adapter; the run repeats until nothing is pending (moving the
clock past the ledger's retry times). Then it counts: deliveries not marked sent (lost), people
with more than one prompt message (duplicates). Anchor: the same run with no faults injected.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

from bench.programs import QUESTION, WORKSTREAM
from bench.slack_support import Stack, arguments, slack_stack
from storage.tables import DeliveryStatus
from surveys.occurrences import open_now
from surveys.sender import Sender

MAX_ROUNDS = 50


async def send_everything(stack: Stack) -> tuple[float, int]:
    """Seconds until nothing is pending, and how many rounds of send_due it took."""
    await open_now(stack.core, WORKSTREAM, QUESTION, actor="bench")
    sender = Sender(stack.core)
    started = time.perf_counter()
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        await sender.send_due()
        if await asyncio.to_thread(stack.pending) == 0:
            break
        stack.clock.advance(timedelta(minutes=1))  # past the ledger's retry backoff
    return time.perf_counter() - started, rounds


async def run(people: int, database_url: str | None, faults: bool) -> dict[str, float]:
    async with slack_stack(people, database_url, channel_interval=1.0) as stack:
        if faults:
            stack.fake.faults.rate_429 = 0.02
            stack.fake.faults.rate_500 = 0.01
        seconds, rounds = await send_everything(stack)
        statuses = await asyncio.to_thread(stack.statuses)
        per_person = Counter({u: len(stack.fake.prompts_for(u)) for u in stack.fake.users})
        calls = Counter(c.status for c in stack.fake.calls_to("chat.postMessage", status=None))
        api = stack.app.adapter.api
        return {
            "seconds": seconds,
            "rounds": rounds,
            "sent": statuses.get(DeliveryStatus.SENT, 0),
            "lost": people - statuses.get(DeliveryStatus.SENT, 0),
            "duplicates": sum(n - 1 for n in per_person.values() if n > 1),
            "missing": sum(1 for n in per_person.values() if n == 0),
            "429": calls[429],
            "500": calls[500],
            "waited_out": api.rate_limited,
            "retried": api.retried,
        }


async def main() -> None:
    args = arguments(__doc__, full=10_000, quick=2_000)
    people = args.people
    faulty = await run(people, args.database_url, faults=True)
    clean = await run(people, args.database_url, faults=False)
    print(f"prompts: {people:,}; one message per second per channel; 2% 429 and 1% 500 injected")
    print(
        f"with faults: {faulty['seconds']:.2f} s in {faulty['rounds']:.0f} round(s); "
        f"Slack answered {faulty['429']:.0f} x 429 and {faulty['500']:.0f} x 500; "
        f"waited out {faulty['waited_out']:.0f} Retry-After, retried {faulty['retried']:.0f}"
    )
    print(f"without:     {clean['seconds']:.2f} s in {clean['rounds']:.0f} round(s)")
    print(
        f"sent {faulty['sent']:,.0f} of {people:,}: lost {faulty['lost']:.0f}, "
        f"duplicates {faulty['duplicates']:.0f}, people without a prompt {faulty['missing']:.0f}"
    )
    print(f"ratio: {clean['seconds'] / faulty['seconds']:.2f}x the fault-free run's throughput")
    if faulty["lost"] or faulty["duplicates"] or faulty["missing"]:
        raise SystemExit("FAILED: a prompt was lost or duplicated")


if __name__ == "__main__":
    asyncio.run(main())
