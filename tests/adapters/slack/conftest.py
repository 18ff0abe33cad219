"""Fixtures: the fake Slack Web API, a core configured for Slack, the real Slack adapter on it,
the real server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from adapters.slack import SLACK_APP_KEY, SlackAdapter, SlackApp
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.server import build_web_app
from tests.adapters.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.adapters.slack.payloads import FORM, JSON, interaction, signed_headers
from tests.factories import build_app
from tests.support import serving

PILOT = ["U04K7QP2M1", "U05B9TR3XK", "U03HJ8WN6D", "U06CQ2LZ7P", "U02MXV5E9R", "U05TNA4K8W"]
ADMIN = "U0ADMIN001"
LEAD = "U0LEAD0001"
# The other Slack digest channels of examples/program.yaml, each with its workstream's lead
DIGEST_CHANNELS = {
    "C0LEADDEV1": "U0LEAD0002",
    "C0RESPECT1": "U0LEAD0003",
    "C0SECAWARE": "U0LEAD0004",
}
OUTSIDER = "U0OUTSIDE1"
MONDAY_10_NEW_YORK = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        for user in [*PILOT, ADMIN, LEAD, *DIGEST_CHANNELS.values(), OUTSIDER]:
            fake.add_user(user)
        fake.add_channel("C0ALLHANDS", [*PILOT, ADMIN, LEAD, OUTSIDER])
        fake.add_channel("C0LMSLEAD1", [LEAD])
        fake.add_channel("C0REVIEW01", [ADMIN])
        for channel, lead in DIGEST_CHANNELS.items():
            fake.add_channel(channel, [lead])
        yield fake


def slack_over_http(fake: FakeSlack) -> dict[str, str | None]:
    """The settings that turn Slack on over HTTP against ``fake`` (Socket Mode off)."""
    return {**fake.settings(), "SLACK_APP_TOKEN": None}


@pytest.fixture
def slack_core(
    database_url: str, engine: Engine, clock: ManualClock, fake_slack: FakeSlack
) -> LearnPulse:
    """A core whose settings turn Slack on over HTTP, talking to the fake Web API."""
    clock.set(MONDAY_10_NEW_YORK)
    return build_app(database_url, clock=clock, engine=engine, env=slack_over_http(fake_slack))


def adapter_for(url: str, clock: ManualClock, **options: Any) -> SlackAdapter:
    """The real Slack adapter on the Web API at ``url``, without pacing waits and with short
    backoffs (a test that checks those passes its own ``options``)."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=url, retry_handlers=[])
    settings = {"per_channel_interval": 0.0, "backoff_base": 0.01, **options}
    return SlackAdapter(client, clock, **settings)


@pytest.fixture
def slack_adapter(
    slack_core: LearnPulse, fake_slack: FakeSlack, clock: ManualClock
) -> SlackAdapter:
    """The real Slack adapter, registered on ``slack_core``: what the core posts, uploads and
    updates reaches the fake Web API over HTTP."""
    adapter = adapter_for(fake_slack.url, clock)
    slack_core.adapters.register(adapter)
    return adapter


@dataclass
class SlackServer:
    """The running LearnPulse server, and ways to send it what Slack sends."""

    url: str
    core: LearnPulse
    app: SlackApp
    adapter: SlackAdapter
    session: aiohttp.ClientSession

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        sent = headers if headers is not None else signed_headers(body, content_type)
        async with self.session.post(
            f"{self.url}/slack/events", data=body.encode(), headers=sent
        ) as response:
            return response.status, await response.text()

    async def command(self, body: str) -> tuple[int, str]:
        return await self.post(body, FORM)

    async def interact(self, payload: Mapping[str, object]) -> tuple[int, str]:
        return await self.post(interaction(payload), FORM)

    async def event(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        sent = signed_headers(body, JSON)
        sent.update(headers or {})
        return await self.post(body, JSON, sent)


@pytest.fixture
async def slack_server(slack_core: LearnPulse) -> AsyncIterator[SlackServer]:
    web_app = build_web_app(slack_core)
    slack_core.enable_platform_adapters(web_app)
    slack_app = web_app[SLACK_APP_KEY]
    async with serving(web_app) as url, aiohttp.ClientSession() as session:
        yield SlackServer(url, slack_core, slack_app, slack_app.adapter, session)
