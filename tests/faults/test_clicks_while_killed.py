"""Answer clicks spread over two replicas while the third is killed with SIGKILL: every click
acknowledged with HTTP 200 is stored, and once per person, whichever replica it reached (some
people click twice, once on each replica, as a double click behind a load balancer would)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine, select

from adapters.slack import actions
from storage.crypto import Vault
from tests.adapters.slack.payloads import FORM, block_actions, interaction, signed_headers
from tests.faults.replicas import (
    ANSWERS,
    QUESTION,
    SECRET_KEY,
    Cluster,
    Replica,
    ask_survey,
    company,
    statuses,
    until,
    write_program,
)
from tests.faults.shared_slack import SharedSlack

PEOPLE = 300
TWICE_EVERY = 5  # every fifth person's click also reaches the other replica
KILL_AFTER = 150  # clicks acknowledged when the third replica is killed
IN_FLIGHT = 16

pytestmark = pytest.mark.slow


def stored_answers(engine: Engine) -> Counter[tuple[str, str]]:
    """(respondent key, value) of every stored answer, with how often each is there."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(ANSWERS.c.respondent_key, ANSWERS.c.value).where(
                ANSWERS.c.question_id == QUESTION
            )
        ).all()
    return Counter((str(key), str(value)) for key, value in rows)


async def test_every_acknowledged_click_is_stored_once_while_a_replica_dies(
    shared_database: Engine, postgres_url: str, tmp_path: Path
) -> None:
    slack = SharedSlack(listeners=3)
    everyone = company(slack, PEOPLE)
    acknowledged: dict[str, str] = {}  # person -> the value of their acknowledged click
    async with (
        slack,
        Cluster(postgres_url, write_program(tmp_path), slack, tmp_path) as cluster,
        aiohttp.ClientSession() as session,
    ):
        first, second, doomed = cluster.replicas
        assert await ask_survey(doomed, slack) == 200

        async def all_sent() -> bool:
            return (await asyncio.to_thread(statuses, shared_database)).get("sent") == PEOPLE

        await until(all_sent, 60, "the prompts reaching everyone")
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def click(index: int, user: str, replica: Replica) -> None:
            [prompt] = slack.prompts_for(user)
            channel, value = slack.dms[user], str(index % 5 + 1)
            hook = slack.hook_url(channel, prompt["ts"])
            body = interaction(block_actions(user, channel, prompt, actions.ANSWER, value, hook))
            async with (
                slots,
                session.post(
                    f"{replica.url}/slack/events", data=body, headers=signed_headers(body, FORM)
                ) as response,
            ):
                if response.status == 200:
                    acknowledged[user] = value
            alive = doomed.process is not None and doomed.process.poll() is None
            if len(acknowledged) == KILL_AFTER and alive:
                doomed.kill()

        clicks = [click(i, user, (first, second)[i % 2]) for i, user in enumerate(everyone)]
        clicks += [
            click(i, user, (second, first)[i % 2])
            for i, user in enumerate(everyone)
            if i % TWICE_EVERY == 0
        ]
        await asyncio.gather(*clicks)
        assert doomed.process is not None and doomed.process.poll() is not None  # it was killed
        assert len(acknowledged) == PEOPLE  # the two survivors acknowledged every click

        async def all_stored() -> bool:
            return sum((await asyncio.to_thread(stored_answers, shared_database)).values()) >= len(
                acknowledged
            )

        await until(all_stored, 60, "the acknowledged clicks being stored")
        await asyncio.sleep(1)  # anything stored twice would be there by now

    vault = Vault(SECRET_KEY)
    expected = Counter((vault.respondent_key(f"slack:{u}"), v) for u, v in acknowledged.items())
    assert stored_answers(shared_database) == expected
