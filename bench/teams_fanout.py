"""Proactive fan-out of one occurrence to 2,000 Teams people through a fake Bot Connector that
enforces Teams' limits (per conversation 7/s and 60/30 s, 30/s across the bot; 429 beyond).

Ours: ``Sender.send_due`` over the delivery ledger through the Teams adapter (stored
conversation references, Adaptive Card prompts, the durable send trace, the throttle), with the
adapter enabled exactly as ``serve`` enables it. The fake runs on its own event loop in a thread.

Anchor: the least wall time the limits allow for N one-message conversations: the bot-wide
limit admits 30 sends in any one-second window, so N sends need ``ceil(N / 30) - 1`` seconds
(the first 30 at t=0, the last batch at the start of the final window). Target: <= 1.15x the
anchor, with zero prompts lost and zero duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import func
from sqlmodel import select

from bench.programs import QUESTION, WORKSTREAM, one_question_program
from bench.scratch import scratch_database
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.server import build_web_app
from storage.tables import ConversationReference, Delivery
from surveys.occurrences import open_now
from surveys.sender import Sender
from tests.adapters.teams.fake_connector import FakeConnector
from tests.factories import build_app, write_program

BOT_RATE = 30
TEAM = "19:benchteam@thread.tacv2"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
MONDAY_10_NEW_YORK = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PROGRAM = one_question_program(
    "Teams",
    "teams:00000000-0000-4000-9000-00000000ad01",
    "teams:00000000-0000-4000-9000-00000000ad02",
    f"teams:channel:{TEAM}",
    f"teams:team:{TEAM}",
)


def aad(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def anchor_seconds(people: int, bot_rate: int = BOT_RATE) -> float:
    """The least time the bot-wide limit allows for ``people`` sends (one per conversation)."""
    return float(max(0, math.ceil(people / bot_rate) - 1))


@contextmanager
def fake_connector_thread(people: int) -> Iterator[FakeConnector]:
    """The fake Bot Connector on 127.0.0.1, served from its own event loop in a thread."""
    fake = FakeConnector(bot_rate=BOT_RATE, page_size=500)
    fake.team_members[TEAM] = [
        {"id": f"29:{n}", "name": f"Person {n}", "aadObjectId": aad(n)} for n in range(people)
    ]
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner = web.AppRunner(fake.app(), access_log=None)

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    started.wait(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def store_references(core: LearnPulse, service_url: str, people: int) -> None:
    """What installing the app leaves behind: one 1:1 reference per person, and the team's."""
    now = core.clock.now()

    def reference(conversation: str, kind: str) -> str:
        document = {
            "channelId": "msteams",
            "serviceUrl": service_url,
            "bot": {"id": "28:bench"},
            "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
        }
        return core.vault.encrypt(json.dumps(document, sort_keys=True))

    with core.session() as session:
        session.add(
            ConversationReference(
                key=f"teams:team:{TEAM}", reference=reference(TEAM, "channel"), updated_at=now
            )
        )
        for n in range(people):
            session.add(
                ConversationReference(
                    key=f"teams:{aad(n)}",
                    reference=reference(f"a:1bench{n}", "personal"),
                    updated_at=now,
                )
            )


async def fan_out(people: int, database_url: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="learnpulse-teams-bench-"))
    program = write_program(workdir, PROGRAM)
    url, engine = scratch_database(database_url, workdir)
    with fake_connector_thread(people) as fake:
        core = build_app(
            url,
            program=program,
            clock=ManualClock(MONDAY_10_NEW_YORK),
            engine=engine,
            env={
                "TEAMS_EMULATOR": "1",
                "TEAMS_SERVICE_URLS": fake.url,
            },
        )
        core.enable_platform_adapters(build_web_app(core))
        store_references(core, fake.url, people)

        started = time.perf_counter()
        await open_now(core, WORKSTREAM, QUESTION, actor="bench")
        planned = time.perf_counter() - started
        started = time.perf_counter()
        clock_zero = time.monotonic()  # the fake stamps calls with time.monotonic()
        report = await Sender(core).send_due()
        elapsed = time.perf_counter() - started

        accepted = fake.posted()
        posted = Counter(c.conversation for c in accepted)
        first_at = min(c.at for c in accepted) - clock_zero if accepted else float("nan")
        with core.session() as session:
            statuses = dict(
                session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
            )
        throttled = len(fake.refused(429))
    engine.dispose()
    found = await core.adapters.for_ref(f"teams:{aad(0)}").find_prompt(f"teams:{aad(0)}", 1)
    lost = people - len(posted)
    duplicates = sum(n - 1 for n in posted.values() if n > 1)
    anchor = anchor_seconds(people)
    print(f"people: {people:,}; bot-wide limit {BOT_RATE}/s; planning {planned:.2f} s, not counted")
    print(f"ledger: {statuses}; sender report: sent={report.sent} retried={report.retried}")
    print(f"delivered: {len(posted):,} conversations; lost {lost}; duplicates {duplicates}")
    print(f"429 answers from the connector: {throttled}; trace of delivery 1 found: {bool(found)}")
    print(
        f"fan-out: {elapsed:.2f} s ({people / elapsed:.1f} prompts/s); "
        f"first prompt accepted after {first_at:.2f} s"
    )
    print(f"anchor (least time the limits allow): {anchor:.2f} s")
    ratio = elapsed / anchor if anchor else float("nan")
    print(f"ratio: {ratio:.3f}x (target <= 1.15x, zero lost, zero duplicates)")
    if lost or duplicates or ratio > 1.15:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="450 people instead of 2,000")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    people = args.people or (450 if args.quick else 2_000)
    asyncio.run(fan_out(people, args.database_url))


if __name__ == "__main__":
    main()
