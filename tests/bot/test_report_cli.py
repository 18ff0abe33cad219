"""``learnpulse digest`` and ``learnpulse review``: real processes posting to a fake Slack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.app import LearnPulse
from tests.adapters.slack.fake_slack import FakeSlack
from tests.bot.test_report_support import answers
from tests.factories import EXAMPLE_PROGRAM, TEST_SECRET_KEY
from tests.support import base_env, run_bot

KEY = "respect-treated-with-respect"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        for channel in ("C0RESPECT1", "C0REVIEW01"):
            slack.add_channel(channel, [])
        yield slack


def _env(core: LearnPulse, database_url: str, fake: FakeSlack | None) -> dict[str, str]:
    slack = fake.settings() if fake else {}
    return base_env(
        core.clock.now(),
        DATABASE_URL=database_url,
        LEARNPULSE_PROGRAM=str(EXAMPLE_PROGRAM),
        LEARNPULSE_SECRET_KEY=TEST_SECRET_KEY,
        **slack,
    )


async def test_digest_posts_the_report_and_its_chart(
    core: LearnPulse, database_url: str, fake: FakeSlack
) -> None:
    answers(core, "respect", KEY, date(2026, 11, 30), ["4"] * 5)  # the week in progress
    done = await asyncio.to_thread(run_bot, "digest", "respect", env=_env(core, database_url, fake))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "posted the respect digest to slack:channel:C0RESPECT1"
    [message] = fake.messages["C0RESPECT1"]
    assert "4.0 / 5" in str(message["blocks"])
    assert fake.calls_to("files.completeUploadExternal")  # the chart went up as a file
    refused = await asyncio.to_thread(run_bot, "digest", "nope", env=_env(core, database_url, fake))
    assert refused.returncode == 2 and "no workstream 'nope'" in refused.stderr


async def test_review_writes_html_and_posts(
    core: LearnPulse, database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    target = tmp_path / "review.html"
    env = _env(core, database_url, fake)
    done = await asyncio.to_thread(run_bot, "review", "--out", str(target), env=env)
    assert done.returncode == 0, done.stderr
    assert target.read_text().startswith("<!doctype html>")
    assert "posted the review to slack:channel:C0REVIEW01" in done.stdout
    assert len(fake.messages["C0REVIEW01"]) == 1
    refused = await asyncio.to_thread(run_bot, "review", env=_env(core, database_url, None))
    assert refused.returncode == 2 and "use --out FILE" in refused.stderr
