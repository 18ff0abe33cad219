"""Fixtures: a fake Bot Connector and the real server with Teams on, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine

from adapters.teams import setup
from adapters.teams.adapter import TeamsAdapter
from adapters.teams.throttle import Backoff
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.server import build_web_app
from tests.adapters.teams.cardcheck import CardChecker
from tests.adapters.teams.cardcheck import install as install_cardcheck
from tests.adapters.teams.fake_connector import FakeConnector, running
from tests.factories import build_app

FAST_BACKOFF = Backoff(base=0.01, cap=0.2, attempts=5)


@dataclass
class TeamsHarness:
    """The running server (``url``), its core and adapter, and the fake connector."""

    core: LearnPulse
    adapter: TeamsAdapter
    connector: FakeConnector
    url: str
    session: aiohttp.ClientSession

    async def post(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST an activity to /api/messages; the status and the JSON body (if any)."""
        async with self.session.post(
            f"{self.url}api/messages", json=activity, headers=headers or {}
        ) as response:
            body: Any = None
            if response.content_type == "application/json":
                body = await response.json()
            return response.status, body


def teams_core(
    database_url: str, engine: Engine, clock: ManualClock, service_url: str, **env: str
) -> LearnPulse:
    env = {"TEAMS_SERVICE_URLS": service_url, **env}
    return build_app(database_url, clock=clock, engine=engine, env=env)


@asynccontextmanager
async def serve_teams(
    core: LearnPulse, connector: FakeConnector, **options: Any
) -> AsyncIterator[TeamsHarness]:
    """The real web app with Teams set up by ``adapters.teams.setup``, served on loopback."""
    web_app = build_web_app(core)
    options.setdefault("backoff", FAST_BACKOFF)
    adapter = setup(core, web_app, **options)
    core.adapters.register(adapter)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield TeamsHarness(core, adapter, connector, str(server.make_url("/")), session)
    finally:
        await server.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with running(FakeConnector()) as fake:
        yield fake


@pytest.fixture
async def teams(
    database_url: str, engine: Engine, clock: ManualClock, connector: FakeConnector
) -> AsyncIterator[TeamsHarness]:
    """Teams in emulator mode (no credentials) against the fake connector."""
    core = teams_core(database_url, engine, clock, connector.url, TEAMS_EMULATOR="1")
    async with serve_teams(core, connector) as harness:
        yield harness


@pytest.fixture(scope="session")
def cards() -> CardChecker:
    """Microsoft's Adaptive Cards parser (installed with npm on first use)."""
    checker = install_cardcheck()
    if isinstance(checker, str):
        pytest.skip(checker)
    return checker
