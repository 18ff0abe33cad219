"""A fan-out of 20,000 prompts shared by 1, 2 and 3 replica processes on PostgreSQL.

The asking is planned first (not timed): the audience stored and 20,000 deliveries in the
ledger. Then 1, 2 or 3 replicas (``bench.replica_sender``: ``serve``'s app and its Sender, each
a process of its own) are told to go at the same moment and claim from the same ledger (``SKIP
LOCKED`` claims on PostgreSQL); the clock runs until the last prompt arrives at the fake Slack,
itself a process of its own (``bench.slack_fake_process``). Printed for each number of replicas:
the throughput (prompts a second), how the prompts were shared, and that every person got
exactly one. Several rounds each, on a fresh database; the median round counts.

Every process shares the same two cores here, so more replicas cannot send faster than the
cores allow; what the figure shows is that replicas share one fan-out without duplicates and
without slowing each other down. ``--database-url`` is required for PostgreSQL; without it the
replicas share a SQLite file (which serializes their writes), which the smoke test uses.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.programs import QUESTION, WORKSTREAM
from bench.scratch import scratch_database
from bench.slack_fake_process import REPOSITORY, FakeSlackProcess, fake_slack_process
from bench.slack_support import MONDAY_10_NEW_YORK, PROGRAM, arguments, slack_over_http
from bot.clock import ManualClock
from bot.server import build_web_app
from surveys import audience
from surveys.occurrences import open_now
from tests.factories import build_app, write_program
from tests.support import serving

REPLICAS = (1, 2, 3)
ROUNDS = 3
WAIT_SECONDS = 600


@dataclass
class Run:
    replicas: int
    seconds: float  # from "go" to the last prompt at the fake
    posted: int  # messages the fake received
    shares: list[int]  # prompts each replica sent

    def throughput(self, people: int) -> float:
        return people / self.seconds


async def planned(people: int, database_url: str | None, api_url: str, workdir: Path) -> str:
    """A fresh database with the audience stored and the asking's deliveries planned."""
    url, engine = scratch_database(database_url, workdir)
    core = build_app(
        url,
        program=write_program(workdir, PROGRAM),
        clock=ManualClock(MONDAY_10_NEW_YORK),
        engine=engine,
        env=slack_over_http(api_url),
    )
    web_app = build_web_app(core)
    core.enable_platform_adapters(web_app)
    async with serving(web_app):
        sizes = await audience.refresh(core)
        assert sizes[WORKSTREAM] == people, sizes
        await open_now(core, WORKSTREAM, QUESTION, actor="bench")
    engine.dispose()
    return url


@dataclass
class Replica:
    process: asyncio.subprocess.Process

    async def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()

    async def result(self) -> dict[str, float]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("a replica failed (see its error above)")
        answer: dict[str, float] = json.loads(line)
        return answer


@asynccontextmanager
async def replica(database_url: str, program: Path, api_url: str) -> AsyncIterator[Replica]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.replica_sender",
        "--database-url",
        database_url,
        "--program",
        str(program),
        "--api-url",
        api_url,
        cwd=REPOSITORY,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        if (await process.stdout.readline()).strip() != b"ready":
            raise RuntimeError("a replica failed before it was ready")
        yield Replica(process)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def last_post(fake: FakeSlackProcess, messages: int) -> tuple[int, float]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        posted, at = await fake.progress()
        if posted >= messages:
            return posted, at
        await asyncio.sleep(0.02)
    raise RuntimeError(f"only {posted:,} of {messages:,} prompts arrived")


async def one_run(people: int, replicas: int, database_url: str | None) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="learnpulse-bench-"))
    async with fake_slack_process(people) as fake:
        url = await planned(people, database_url, fake.api_url, workdir)
        program = workdir / "program.yaml"
        async with AsyncExitStack() as stack:
            started_replicas = [
                await stack.enter_async_context(replica(url, program, fake.api_url))
                for _ in range(replicas)
            ]
            started = time.monotonic()
            await asyncio.gather(*(r.go() for r in started_replicas))
            results = await asyncio.gather(*(r.result() for r in started_replicas))
            posted, finished = await last_post(fake, people)
        await asyncio.sleep(0.2)  # a duplicate would arrive after the last expected prompt
        posted, _ = await fake.progress()
    shares = [int(r["sent"]) for r in results]
    assert sum(shares) == people and posted == people, (shares, posted)
    return Run(replicas, finished - started, posted, shares)


def main() -> None:
    args = arguments(
        __doc__, full=20_000, quick=2_000, options={"--replicas": "1,2,3: the counts to try"}
    )
    counts = [int(n) for n in args.replicas.split(",")] if args.replicas else list(REPLICAS)
    database = "PostgreSQL" if args.database_url else "SQLite"
    rounds = 1 if args.quick else ROUNDS
    print(f"a fan-out of {args.people:,} on {database}, {rounds} round(s) each", flush=True)
    medians: dict[int, Run] = {}
    for replicas in counts:
        runs = []
        for number in range(1, rounds + 1):
            run = asyncio.run(one_run(args.people, replicas, args.database_url))
            print(
                f"  {replicas} replica(s), round {number}: {run.seconds:6.2f} s, "
                f"{run.throughput(args.people):6,.0f} prompts/s, shares {run.shares}, "
                f"{run.posted:,} prompts for {args.people:,} people",
                flush=True,
            )
            runs.append(run)
        medians[replicas] = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    one = medians[counts[0]].throughput(args.people)
    for replicas, run in medians.items():
        print(
            f"{replicas} replica(s): {run.throughput(args.people):,.0f} prompts/s "
            f"({run.seconds:.2f} s, median of {rounds}; {run.throughput(args.people) / one:.2f}x "
            f"one replica), each person prompted once"
        )


if __name__ == "__main__":
    main()
