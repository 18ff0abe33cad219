"""A separate process that fans one occurrence out through Slack: the real Slack adapter, whose
Web API is the parent test's fake on loopback.

Used by the crash test: the parent kills it with SIGKILL mid-fan-out, then runs it again.
Usage: python -m tests.surveys.fanout_child DATABASE_URL PROGRAM SLACK_API_URL (open|resume)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from surveys.occurrences import open_now
from surveys.sender import Sender, claim_lease
from tests.adapters.slack.fake_slack import BOT_TOKEN
from tests.factories import build_app

PEOPLE = [f"UCRASH{i:04d}" for i in range(60)]  # the audience, channel C0ALL


async def main(database_url: str, program: str, slack_api_url: str, mode: str) -> None:
    core = build_app(database_url, program=Path(program))  # the clock starts at LEARNPULSE_NOW
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url, retry_handlers=[])
    core.adapters.register(SlackAdapter(client, core.clock))
    if mode == "open":
        await open_now(core, "lms", "lms-confidence", actor="test")
    lease = claim_lease(core.settings.learnpulse_claim_lease_seconds)
    report = await Sender(core, concurrency=4, batch=8, lease=lease).send_due()
    print(f"sent={report.sent} reconciled={report.reconciled}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
