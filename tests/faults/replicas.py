"""Replicas of ``learnpulse serve`` as separate processes on one PostgreSQL database, talking to
the shared fake Slack; and what the tests read back from the database.

Each replica's clock starts at the same instant of the suite's Monday (``LEARNPULSE_NOW`` plus
the seconds since the test began), so claims and leases compare times the way replicas with
synchronised clocks would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import aiohttp
from sqlalchemy import Engine, func, select

from storage.tables import Answer, Delivery, Occurrence, table_of
from tests.adapters.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.payloads import FORM, signed_headers, slash_command
from tests.faults.shared_slack import SharedSlack
from tests.support import ROOT, base_env, free_port
from tests.surveys.engine_support import program_text, question

MONDAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York
ADMIN = "U0ADMIN01"
SECRET_KEY = "fault-tests-secret-key-0123456789abcdefghij"  # the same on every replica
QUESTION = "lms-confidence"  # weekly on Fridays: on Monday only the survey command asks it
DELIVERIES = table_of(Delivery)
ANSWERS = table_of(Answer)
OCCURRENCES = table_of(Occurrence)


def people(count: int) -> list[str]:
    return [f"UFAULT{i:05d}" for i in range(count)]


def write_program(directory: Path) -> Path:
    path = directory / "program.yaml"
    path.write_text(
        program_text(
            [question(QUESTION, "weekly", "fri", "10:00", key=True)],
            days="[mon, tue, wed, thu, fri, sat, sun]",
            hours='["00:00", "23:59"]',
        )
    )
    return path


def company(slack: SharedSlack, count: int) -> list[str]:
    """``count`` people in Slack, all in the audience channel C0ALL."""
    everyone = people(count)
    for user in everyone:
        slack.add_user(user, tz="UTC")
    slack.add_channel("C0ALL", everyone)
    return everyone


@dataclass
class Replica:
    index: int
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    """Replicas of ``serve``, started together, stopped at the end (``async with``)."""

    database_url: str
    program: Path
    slack: SharedSlack
    directory: Path
    count: int = 3
    extra: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def now(self) -> datetime:
        """The replicas' shared clock."""
        return MONDAY + timedelta(seconds=time.monotonic() - self.started)

    async def __aenter__(self) -> Cluster:
        for index in range(self.count):
            port = free_port()
            env = base_env(
                self.now(),
                DATABASE_URL=self.database_url,
                LEARNPULSE_PROGRAM=str(self.program),
                HOST="127.0.0.1",
                PORT=str(port),
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=self.slack.url_for(index),
                LEARNPULSE_SECRET_KEY=SECRET_KEY,
                **self.extra,
            )
            replica = Replica(index, port, env, self.directory / f"replica-{index}.log")
            log = replica.log.open("ab")
            self._logs.append(log)
            replica.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self.replicas.append(replica)
        await asyncio.gather(*(until_healthy(r) for r in self.replicas))
        return self

    async def __aexit__(self, *_: object) -> None:
        for replica in self.replicas:
            if replica.process is not None and replica.process.poll() is None:
                replica.process.terminate()
        for replica in self.replicas:
            if replica.process is None:
                continue
            try:
                await asyncio.to_thread(replica.process.wait, 15)
            except subprocess.TimeoutExpired:
                replica.process.kill()
        for log in self._logs:
            log.close()

    def outputs(self) -> str:
        return "\n".join(f"--- replica {r.index}\n{r.output()[-3000:]}" for r in self.replicas)


async def health(replica: Replica) -> int | None:
    """The status ``/healthz`` answers, or None when the replica does not answer at all."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"{replica.url}/healthz") as response,
        ):
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return None


async def until_healthy(replica: Replica, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while await health(replica) != 200:
        assert replica.process is not None
        if replica.process.poll() is not None:
            raise AssertionError(f"replica {replica.index} exited: {replica.output()[-3000:]}")
        assert time.monotonic() < deadline, f"replica {replica.index} never became healthy"
        await asyncio.sleep(0.2)


async def ask_survey(replica: Replica, slack: SharedSlack) -> int:
    """An admin's ``/learning-survey lms lms-confidence`` to ``replica``; its HTTP status."""
    body = slash_command("learning-survey", ADMIN, f"lms {QUESTION}", response_url=slack.hook_url())
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{replica.url}/slack/events", data=body, headers=signed_headers(body, FORM)
        ) as response,
    ):
        return response.status


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    """Wait until ``check`` holds; the seconds it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout:.0f} s"
        await asyncio.sleep(0.25)
    return time.monotonic() - started


def statuses(engine: Engine) -> Counter[str]:
    """The survey's deliveries by status (the planner may already have planned Friday's)."""
    survey = select(OCCURRENCES.c.id).where(OCCURRENCES.c.manual.is_(True))
    with engine.connect() as connection:
        rows = connection.execute(
            select(DELIVERIES.c.status, func.count())
            .where(DELIVERIES.c.occurrence_id.in_(survey.scalar_subquery()))
            .group_by(DELIVERIES.c.status)
        ).all()
    return Counter({str(status): int(n) for status, n in rows})


def prompts_per_person(slack: SharedSlack, everyone: list[str]) -> Counter[int]:
    """How many people got 0, 1, 2… prompts."""
    return Counter(len(slack.prompts_for(user)) for user in everyone)
