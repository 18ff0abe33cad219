"""Slack refusing connections in the middle of a fan-out (its listening sockets closed, open
connections cut, the first posts cut after Slack stored them), then back on the same port:
nothing lost, sending resumes by itself, nobody prompted twice, and the replicas stay healthy
(Slack being away is no reason to restart them).

The outage lasts ``FAULTS_SLACK_OUTAGE_SECONDS``: 20 s unless set, so that the fault tests
together stay within about four minutes on two cores; the 60 s of a real outage pass too, and
take about 40 s more (the outage itself; sending finished 13 s after Slack came back)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

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
from tests.faults.shared_slack import POST, SharedSlack

PEOPLE = 1_000
DOWN_AFTER = 200  # prompts posted when Slack goes away
CUT_AFTER_STORING = 3  # posts in flight when it does: stored, but never answered
OUTAGE_SECONDS = float(os.environ.get("FAULTS_SLACK_OUTAGE_SECONDS", "20"))
RESUME_SECONDS = 120  # from Slack's return to the last prompt: the backoff of failed sends

pytestmark = pytest.mark.slow


async def test_a_slack_outage_loses_and_repeats_no_prompt(
    shared_database: Engine, postgres_url: str, tmp_path: Path
) -> None:
    slack = SharedSlack(listeners=2)
    everyone = company(slack, PEOPLE)
    enough = asyncio.Event()
    slack.on_post = lambda _listener, _posted: (
        enough.set() if sum(slack.posted_through.values()) >= DOWN_AFTER else None
    )
    async with (
        slack,
        Cluster(postgres_url, write_program(tmp_path), slack, tmp_path, count=2) as cluster,
    ):
        assert await ask_survey(cluster.replicas[0], slack) == 200
        await asyncio.wait_for(enough.wait(), 120)
        await slack.go_down(cut_after_storing=CUT_AFTER_STORING)
        await asyncio.sleep(OUTAGE_SECONDS)
        assert [await health(r) for r in cluster.replicas] == [200, 200]
        refused_during = len(slack.calls_to(POST, status=None))
        await slack.come_back()
        back = time.monotonic()

        async def all_sent() -> bool:
            counts = await asyncio.to_thread(statuses, shared_database)
            return counts.get("sent", 0) == PEOPLE

        took = await until(all_sent, RESUME_SECONDS, "sending resuming after the outage")
        print(f"{OUTAGE_SECONDS:.0f} s outage: the fan-out finished {took:.1f} s after it")
        assert len(slack.calls_to(POST, status=None)) > refused_during
        assert time.monotonic() - back <= RESUME_SECONDS

    assert prompts_per_person(slack, everyone) == {1: PEOPLE}
    assert await asyncio.to_thread(statuses, shared_database) == {"sent": PEOPLE}
