"""A cold audience refresh for 10,000 and 100,000 people, against a plain script doing the same.

Ours: ``surveys.audience.refresh`` in the real server, as the daily refresh runs it, on a fresh
database and with an empty profile cache: the Slack adapter pages ``conversations.members`` and
``users.list``, then the people are upserted and the memberships of the workstream and of each
built-in question bank written as a diff, in short transactions. Anchor: a plain script that
pages the same two methods of the same fake with a bare ``AsyncWebClient`` (the same page size),
drops bots and deactivated accounts, and bulk-inserts the same person and membership rows in one
transaction (``executemany``), on a fresh database of the same kind. Target: at most 1.5x the
anchor's time.

The fake Slack runs in a process of its own (``bench.slack_fake_process``), so it takes no CPU
from the side measured; both sides list the same fake. Each round runs ours, then the anchor;
the median round's ratio is the result.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine, insert, select

from bench.slack_fake_process import fake_slack_process
from bench.slack_listing import channel_people
from bench.slack_support import arguments, learnpulse_server, startup_frozen
from bot import interpreter
from storage.tables import AudienceMember, PersonRecord, WorkstreamRecord, table_of
from surveys import audience
from tests.adapters.slack.fake_slack import BOT_TOKEN

ROUNDS = 3  # this box's speed moves a run by a tenth or more; the median round counts
SIZES = (10_000, 100_000)
TARGET = 1.5


@dataclass
class Round:
    ours: float
    anchor: float
    stored: int  # memberships written by ours

    @property
    def ratio(self) -> float:
        return self.ours / self.anchor


async def ours(api_url: str, database_url: str | None, people: int) -> tuple[float, int]:
    """Seconds of a cold refresh in the real server, and the memberships it wrote."""
    async with learnpulse_server(api_url, database_url) as server:
        with startup_frozen():
            started = time.perf_counter()
            sizes = await audience.refresh(server.core)
            elapsed = time.perf_counter() - started
    assert max(sizes.values()) == people, sizes
    return elapsed, sum(sizes.values())


async def listed(api_url: str) -> list[dict[str, Any]]:
    """The person rows of the channel's people, as a plain script lists them."""
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url, session=session)
        members = await channel_people(client)
    return [
        {
            "ref": m.person,
            "display_name": m.display_name,
            "timezone": m.timezone,
            "active": True,
            "is_bot": False,
            "opted_out": False,
        }
        for m in members
    ]


def bulk_insert(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """The person rows and every workstream's memberships, in one transaction."""
    people, members = table_of(PersonRecord), table_of(AudienceMember)
    with engine.begin() as connection:
        connection.execute(insert(people), rows)
        ids = connection.execute(select(people.c.id)).scalars().all()
        workstreams = connection.execute(select(table_of(WorkstreamRecord).c.id)).scalars().all()
        memberships = [
            {"workstream_id": w, "person_id": p, "in_pilot": False}
            for w in workstreams
            for p in ids
        ]
        connection.execute(insert(members), memberships)
    return len(memberships)


async def anchor(api_url: str, database_url: str | None, people: int) -> tuple[float, int]:
    """Seconds of the plain script, and the memberships it wrote."""
    async with learnpulse_server(api_url, database_url) as server:  # the same empty database
        engine = server.core.engine
        with startup_frozen():
            started = time.perf_counter()
            rows = await listed(api_url)
            written = await asyncio.to_thread(bulk_insert, engine, rows)
            elapsed = time.perf_counter() - started
    assert len(rows) == people, len(rows)
    return elapsed, written


async def measure(people: int, database_url: str | None, rounds: int) -> list[Round]:
    interpreter.tune()  # as `learnpulse serve` runs; both sides share it
    measured = []
    async with fake_slack_process(people) as fake:
        for number in range(1, rounds + 1):
            ours_seconds, stored = await ours(fake.api_url, database_url, people)
            anchor_seconds, written = await anchor(fake.api_url, database_url, people)
            assert stored == written, (stored, written)
            this = Round(ours_seconds, anchor_seconds, stored)
            print(
                f"  round {number}: ours {ours_seconds:6.2f} s, anchor {anchor_seconds:6.2f} s, "
                f"ratio {this.ratio:.2f}x ({stored:,} memberships)",
                flush=True,
            )
            measured.append(this)
    return measured


def main() -> None:
    args = arguments(__doc__, full=SIZES[-1], quick=2_000, switches={"--one-size": "only --people"})
    args_rounds = 1 if args.quick else ROUNDS
    sizes = [args.people] if args.quick or args.one_size else list(SIZES)
    database = "PostgreSQL" if args.database_url else "SQLite"
    for people in sizes:
        print(f"{people:,} people on {database}, {args_rounds} round(s):", flush=True)
        measured = asyncio.run(measure(people, args.database_url, args_rounds))
        median = sorted(measured, key=lambda r: r.ratio)[len(measured) // 2]
        print(
            f"{people:,} people: ours {median.ours:.2f} s, anchor {median.anchor:.2f} s "
            f"(list + bulk INSERT), ratio {median.ratio:.2f}x, median of {len(measured)} "
            f"(all: {statistics.median(r.ratio for r in measured):.2f}x; target <= {TARGET})",
            flush=True,
        )


if __name__ == "__main__":
    main()
