"""``learnpulse send``: a real process opens an asking now and delivers it through Slack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.adapters.slack.fake_slack import BOT_USER, FakeSlack
from tests.factories import TEST_SECRET_KEY
from tests.support import base_env, run_bot
from tests.surveys.engine_support import program_text, question

PEOPLE = ["UALPHA0001", "UBRAVO0001", "UCHARLIE01"]
MONDAY_IN_TOKYO = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, a working day


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        for user in PEOPLE:
            slack.add_user(user, tz="Asia/Tokyo")
        slack.add_channel("C0ALL", PEOPLE)
        yield slack


async def _send(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = await asyncio.to_thread(run_bot, "send", *args, env=env)
    return done.returncode, done.stdout, done.stderr


async def test_send_delivers_once_to_each_member(
    database_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    program = tmp_path / "program.yaml"
    program.write_text(
        program_text(
            [
                question("lms-confidence", "weekly", "mon", "10:00", key=True),
                question("lms-other", "weekly", "tue", "10:00"),
            ],
            days="[mon, tue, wed, thu, fri, sat, sun]",
            hours='["00:00", "23:59"]',
        )
    )
    env = base_env(
        MONDAY_IN_TOKYO,
        DATABASE_URL=database_url,
        LEARNPULSE_PROGRAM=str(program),
        LEARNPULSE_SECRET_KEY=TEST_SECRET_KEY,
        **fake.settings(),
    )
    code, out, err = await _send(env, "lms", "lms-other")
    assert code == 0, err
    assert out.strip().startswith("sent 3,"), out
    for user in PEOPLE:
        prompts = fake.prompts_for(user)
        assert len(prompts) == 1
    assert fake.prompts_for(BOT_USER) == []

    code, _out, err = await _send(env, "nope")
    assert code == 2 and err.strip() == "learnpulse: no workstream 'nope' (known: lms)"
    code, _out, err = await _send(env, "lms", "zzz")
    assert code == 2 and err.strip().startswith("learnpulse: no question 'zzz' in lms")

    no_slack = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    code, _out, err = await _send(no_slack, "lms")
    assert code == 2 and err.strip().splitlines()[-1].startswith(
        "learnpulse: no chat adapter is enabled"
    )
