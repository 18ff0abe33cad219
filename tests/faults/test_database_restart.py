"""PostgreSQL stopped in the middle of a fan-out, then started again: while it is down every
replica's ``/healthz`` answers 503; once it is back they reconnect by themselves and finish,
nothing lost and nobody prompted twice. The cluster is the test's own (``ThrowawayPostgres``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import make_engine
from storage.migrate import upgrade
from tests.faults.replicas import (
    Cluster,
    ask_survey,
    company,
    health,
    prompts_per_person,
    statuses,
    until,
    write_program,
)
from tests.faults.shared_slack import SharedSlack
from tests.faults.throwaway_postgres import ThrowawayPostgres

PEOPLE = 1_000
STOP_AFTER = 200  # prompts posted when the database goes away
DOWN_SECONDS = 6
CLAIM_LEASE = "10"  # seconds: claims left unrecorded by the outage are settled sooner

pytestmark = pytest.mark.slow


async def test_replicas_ride_out_a_database_restart(postgres_url: str, tmp_path: Path) -> None:
    with ThrowawayPostgres() as database:
        engine = make_engine(database.url)
        upgrade(engine)
        slack = SharedSlack(listeners=2)
        everyone = company(slack, PEOPLE)
        enough = asyncio.Event()
        slack.on_post = lambda _listener, _posted: (
            enough.set() if sum(slack.posted_through.values()) >= STOP_AFTER else None
        )
        extra = {"LEARNPULSE_CLAIM_LEASE_SECONDS": CLAIM_LEASE}
        program = write_program(tmp_path)
        async with (
            slack,
            Cluster(database.url, program, slack, tmp_path, count=2, extra=extra) as cluster,
        ):
            assert await ask_survey(cluster.replicas[0], slack) == 200
            await asyncio.wait_for(enough.wait(), 120)
            engine.dispose()
            await asyncio.to_thread(database.stop)
            posted_at_stop = sum(slack.posted_through.values())
            assert posted_at_stop < PEOPLE  # stopped mid-fan-out

            async def all_unhealthy() -> bool:
                return [await health(r) for r in cluster.replicas] == [503, 503]

            await until(all_unhealthy, 10, "/healthz saying 503 while the database is down")
            await asyncio.sleep(DOWN_SECONDS)
            assert [await health(r) for r in cluster.replicas] == [503, 503]
            await asyncio.to_thread(database.start)

            async def all_healthy() -> bool:
                return [await health(r) for r in cluster.replicas] == [200, 200]

            await until(all_healthy, 20, "/healthz saying 200 once the database is back")

            async def all_sent() -> bool:
                counts = await asyncio.to_thread(statuses, engine)
                return counts.get("sent", 0) == PEOPLE

            took = await until(all_sent, 90, "the fan-out finishing after the restart")
            print(f"fan-out of {PEOPLE}: finished {took:.1f} s after the database came back")
            assert all(r.process is not None and r.process.poll() is None for r in cluster.replicas)

        assert prompts_per_person(slack, everyone) == {1: PEOPLE}
        assert await asyncio.to_thread(statuses, engine) == {"sent": PEOPLE}
        engine.dispose()
