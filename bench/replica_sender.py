"""One replica of the fan-out benchmark, in a process of its own: the real server's Sender.

Run as ``python -m bench.replica_sender --database-url URL --program FILE --api-url URL``: it
builds the app as ``serve`` does (``serve``'s web app with the Slack adapter calling the fake at
``URL``, on loopback, with ``serve``'s interpreter settings), prints ``ready``, waits for a line
on stdin, sends every due prompt it can claim (``Sender.send_due`` with the claim lease, as the
scheduler's tick runs it; other replicas claim from the same ledger with ``SKIP LOCKED``), and
prints one JSON line ``{"sent", "seconds"}``. ``replica_fanout`` is the parent's side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bench.slack_support import MONDAY_10_NEW_YORK, slack_over_http, startup_frozen
from bot import interpreter
from bot.clock import ManualClock
from bot.server import build_web_app
from surveys.sender import Sender, claim_lease
from tests.factories import build_app
from tests.support import serving


async def replica(database_url: str, program: Path, api_url: str) -> dict[str, float]:
    core = build_app(
        database_url,
        program=program,
        clock=ManualClock(MONDAY_10_NEW_YORK),
        env=slack_over_http(api_url),
    )
    web_app = build_web_app(core)
    core.enable_platform_adapters(web_app)
    async with serving(web_app):
        sender = Sender(core, lease=claim_lease(core.settings.learnpulse_claim_lease_seconds))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        with startup_frozen():
            started = time.perf_counter()
            report = await sender.send_due()
            seconds = time.perf_counter() - started
    return {"sent": report.sent, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--program", type=Path, required=True)
    parser.add_argument("--api-url", required=True)
    args = parser.parse_args()
    interpreter.tune()  # as `learnpulse serve` runs
    print(json.dumps(asyncio.run(replica(args.database_url, args.program, args.api_url))))


if __name__ == "__main__":
    main()
