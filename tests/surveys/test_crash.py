"""SIGKILL in the middle of a fan-out to Slack, then a restart: every person has exactly one
prompt, the one in flight at the kill found again in Slack rather than sent twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from sqlmodel import Session, select

from bot.settings import load_settings
from storage.db import make_engine
from storage.tables import Delivery, DeliveryStatus
from tests.adapters.slack.fake_slack import FakeSlack
from tests.support import ROOT, base_env
from tests.surveys.engine_support import program_text, question
from tests.surveys.fanout_child import PEOPLE

KILL_AFTER = 23
MONDAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York, a working day


class KillingSlack(FakeSlack):
    """The fake Web API, which kills ``child`` once it has stored its KILL_AFTER-th message:
    the prompt has arrived but the sender never hears so, its outcome is unknown."""

    child: asyncio.subprocess.Process | None = None

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        posted = request.match_info["method"] == "chat.postMessage" and response.status == 200
        if (
            posted
            and self.child is not None
            and len(self.calls_to("chat.postMessage")) == KILL_AFTER
        ):
            os.kill(self.child.pid, signal.SIGKILL)
            await asyncio.sleep(0.2)
        return response


async def _child(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.surveys.fanout_child",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_kill_mid_fanout_then_restart_delivers_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    program = tmp_path / "program.yaml"
    program.write_text(
        program_text(
            [question("lms-confidence", "weekly", "mon", "10:00", key=True)],
            days="[mon, tue, wed, thu, fri, sat, sun]",
            hours='["00:00", "23:59"]',
        )
    )
    slack = KillingSlack()
    for user in PEOPLE:
        slack.add_user(user, tz="UTC")
    slack.add_channel("C0ALL", PEOPLE)
    env = base_env(MONDAY, LEARNPULSE_CLAIM_LEASE_SECONDS="60")
    async with slack:
        slack.child = await _child([database_url, str(program), slack.url, "open"], env)
        await asyncio.wait_for(slack.child.wait(), timeout=60)
        assert slack.child.returncode == -signal.SIGKILL
        assert KILL_AFTER <= len(slack.calls_to("chat.postMessage")) < len(PEOPLE)
        slack.child = None
        later = base_env(MONDAY + timedelta(minutes=5), LEARNPULSE_CLAIM_LEASE_SECONDS="60")
        second = await _child([database_url, str(program), slack.url, "resume"], later)
        out, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 0, err.decode()
        reconciled = int(out.decode().split("reconciled=")[1].split()[0])
        assert reconciled >= 1  # the prompt in flight at the kill was found, not resent

    per_person = Counter({user: len(slack.prompts_for(user)) for user in PEOPLE})
    assert set(per_person.values()) == {1}, [p for p, n in per_person.items() if n != 1]
    assert len(slack.calls_to("chat.postMessage")) == len(PEOPLE)
    engine = make_engine(load_settings(DATABASE_URL=database_url).database_url)
    with Session(engine) as session:
        statuses = Counter(d.status for d in session.exec(select(Delivery)).all())
    engine.dispose()
    assert statuses == {DeliveryStatus.SENT: len(PEOPLE)}
