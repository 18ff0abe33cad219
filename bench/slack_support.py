"""What the Slack benchmarks share: a fake Slack with N people, and the real server wired to it.

The fake is the test suite's loopback Web API (``tests/adapters/slack/fake_slack.py``); the
server is ``bot.server.build_web_app`` with the Slack adapter enabled, exactly as ``serve`` runs.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import func
from sqlmodel import select

from adapters.slack import SLACK_APP_KEY, SlackApp
from bench.programs import one_question_program
from bench.scratch import scratch_database
from bot import interpreter
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.server import build_web_app
from storage.db import write_gate
from storage.tables import Answer, Delivery, DeliveryStatus
from tests.adapters.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.adapters.slack.payloads import SIGNING_SECRET
from tests.factories import build_app, write_program
from tests.support import serving

CHANNEL = "C0BENCH001"
MONDAY_10_NEW_YORK = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PROGRAM = one_question_program(
    "Slack",
    "slack:U0ADMIN001",
    "slack:U0LEAD0001",
    "slack:channel:C0DIGEST01",
    f"slack:channel:{CHANNEL}",
)


def user_ids(people: int) -> list[str]:
    return [f"UB{n:08d}" for n in range(people)]


def arguments(
    description: str | None,
    full: int,
    quick: int,
    switches: Mapping[str, str] | None = None,
    options: Mapping[str, str] | None = None,
) -> argparse.Namespace:
    """``--people``, ``--quick``, ``--database-url``, on/off ``switches`` and text ``options``
    (each flag: its help)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--people", type=int, default=None)
    for flag, help_text in (switches or {}).items():
        parser.add_argument(flag, action="store_true", help=help_text)
    for flag, help_text in (options or {}).items():
        parser.add_argument(flag, default=None, help=help_text)
    parser.add_argument(
        "--quick", action="store_true", help=f"{quick:,} people instead of {full:,}"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    if args.people is None:
        args.people = quick if args.quick else full
    return args


@contextmanager
def startup_frozen() -> Iterator[None]:
    """What is alive now frozen, as ``serve`` does once it is up, and thawed afterwards: one
    benchmark runs many servers in turn, and what each froze would otherwise stay for good
    (10,000 people's fake and ledger added 126 MB per run, and each run went slower)."""
    interpreter.freeze_startup_objects()
    try:
        yield
    finally:
        gc.unfreeze()


def count_answers(core: LearnPulse) -> int:
    """How many answers are stored. Polled while clicks are written, so on SQLite it queues
    behind the server's writers (``write_gate``) rather than colliding with them inside SQLite,
    whose busy handler would make a writer sleep."""
    with write_gate(core.engine), core.session() as session:
        return int(session.exec(select(func.count()).select_from(Answer)).one())


@dataclass
class Stack:
    """The running server, its core, and the fake Slack it talks to."""

    url: str
    core: LearnPulse
    fake: FakeSlack
    app: SlackApp
    clock: ManualClock

    def count_answers(self) -> int:
        return count_answers(self.core)

    def statuses(self) -> dict[str, int]:
        with self.core.session() as session:
            rows = session.exec(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    def pending(self) -> int:
        counts = self.statuses()
        return counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0)


async def fake_slack_with(
    people: int, channel_interval: float = 0.0, fake: FakeSlack | None = None
) -> FakeSlack:
    """``fake`` (a new FakeSlack by default) with ``people`` in the audience channel, started."""
    if fake is None:
        fake = FakeSlack(channel_interval=channel_interval)
    for user in user_ids(people):
        fake.add_user(user)
    fake.channels[CHANNEL] = user_ids(people)
    fake.channels["C0DIGEST01"] = []
    return await fake.start()


@dataclass
class Server:
    """The real server on loopback, talking to the Slack Web API at whatever URL it was given."""

    url: str
    core: LearnPulse
    web_app: web.Application
    clock: ManualClock

    def count_answers(self) -> int:
        return count_answers(self.core)


def slack_over_http(api_url: str) -> dict[str, str | None]:
    """The settings that turn Slack on over HTTP (Socket Mode off), calling ``api_url``."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": None,
        "SLACK_API_URL": api_url,
    }


@asynccontextmanager
async def learnpulse_server(api_url: str, database_url: str | None = None) -> AsyncIterator[Server]:
    """``serve``'s web app with the Slack adapter, on a fresh database, calling ``api_url``."""
    workdir = Path(tempfile.mkdtemp(prefix="learnpulse-bench-"))
    url, engine = scratch_database(database_url, workdir)
    clock = ManualClock(MONDAY_10_NEW_YORK)
    core = build_app(
        url,
        program=write_program(workdir, PROGRAM),
        clock=clock,
        engine=engine,
        env=slack_over_http(api_url),
    )
    web_app = build_web_app(core)
    core.enable_platform_adapters(web_app)
    try:
        async with serving(web_app) as url:
            yield Server(url, core, web_app, clock)
    finally:
        engine.dispose()


@asynccontextmanager
async def slack_stack(
    people: int, database_url: str | None = None, channel_interval: float = 0.0
) -> AsyncIterator[Stack]:
    """Fake Slack with ``people`` in one audience channel, and the real server on loopback."""
    fake = await fake_slack_with(people, channel_interval)
    try:
        async with learnpulse_server(fake.url, database_url) as server:
            yield Stack(server.url, server.core, fake, server.web_app[SLACK_APP_KEY], server.clock)
    finally:
        await fake.stop()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


if __name__ == "__main__":
    print("shared helpers of the Slack benchmarks (slack_clicks, slack_fanout, slack_faults)")
