"""Three replicas share a fan-out of 5,000 prompts; the one sending is killed with SIGKILL in the
middle of its batch. The survivors take its claims over once their lease has lapsed, find in
Slack's history the prompt that was in flight, and finish: everyone prompted exactly once, the
rest within 90 seconds of the kill."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.faults.replicas import (
    Cluster,
    ask_survey,
    company,
    prompts_per_person,
    statuses,
    until,
    write_program,
)
from tests.faults.shared_slack import SharedSlack

PEOPLE = 5_000
KILL_AFTER = 300  # prompts the first replica to get this far has posted when it is killed
TAKEOVER_SECONDS = 90

pytestmark = pytest.mark.slow


async def test_killing_the_sending_replica_loses_and_repeats_no_prompt(
    shared_database: Engine, postgres_url: str, tmp_path: Path
) -> None:
    slack = SharedSlack(listeners=3)
    everyone = company(slack, PEOPLE)
    killed_at: list[float] = []
    async with slack, Cluster(postgres_url, write_program(tmp_path), slack, tmp_path) as cluster:

        def kill_mid_batch(listener: int, posted: int) -> None:
            if posted == KILL_AFTER and not killed_at:  # a replica in the middle of its batch
                cluster.replicas[listener].kill()
                killed_at.append(time.monotonic())

        slack.on_post = kill_mid_batch
        assert await ask_survey(cluster.replicas[0], slack) == 200

        async def one_killed() -> bool:
            return bool(killed_at)

        await until(one_killed, 120, "a replica posting its first prompts")
        left = await asyncio.to_thread(statuses, shared_database)
        assert left["sending"] > 0, left  # its batch was half sent: claims left behind
        history_before = len(slack.calls_to("conversations.history"))

        async def all_sent() -> bool:
            counts = await asyncio.to_thread(statuses, shared_database)
            return counts.get("sent", 0) == PEOPLE

        await until(all_sent, TAKEOVER_SECONDS + 60, "the survivors finishing the fan-out")
        finished_after = time.monotonic() - killed_at[0]
        print(f"fan-out of {PEOPLE}: finished {finished_after:.1f} s after the kill")
        assert finished_after <= TAKEOVER_SECONDS, cluster.outputs()
        assert len(slack.calls_to("conversations.history")) > history_before  # reconciled

    assert prompts_per_person(slack, everyone) == {1: PEOPLE}
    assert await asyncio.to_thread(statuses, shared_database) == {"sent": PEOPLE}
    assert sum(slack.posted_through.values()) == PEOPLE  # nothing posted twice
    assert len(slack.posted_through) == 3  # the dead one's share, and the survivors
