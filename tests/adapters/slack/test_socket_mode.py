"""Socket Mode: with SLACK_APP_TOKEN the bot connects out on startup and takes envelopes there."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from adapters.slack import actions
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.server import build_web_app
from storage.tables import Answer, PersonRecord
from surveys.occurrences import open_now
from surveys.sender import Sender
from tests.adapters.slack.conftest import MONDAY_10_NEW_YORK, OUTSIDER, PILOT
from tests.adapters.slack.fake_slack import APP_TOKEN, FakeSlack
from tests.adapters.slack.payloads import block_actions, event_callback
from tests.adapters.slack.test_scenarios import QUESTION, eventually
from tests.factories import build_app
from tests.support import serving


@asynccontextmanager
async def socket_mode_server(
    database_url: str, engine: Engine, clock: ManualClock, fake_slack: FakeSlack
) -> AsyncIterator[tuple[str, LearnPulse]]:
    """The real server with Slack over Socket Mode, running for the block."""
    clock.set(MONDAY_10_NEW_YORK)
    socket_mode: dict[str, str | None] = {
        **fake_slack.settings(),
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": None,
    }
    core = build_app(database_url, clock=clock, engine=engine, env=socket_mode)
    web_app = build_web_app(core)
    core.enable_platform_adapters(web_app)
    async with serving(web_app) as url:
        yield url, core


@pytest.fixture
async def socket_server(
    database_url: str, engine: Engine, clock: ManualClock, fake_slack: FakeSlack
) -> AsyncIterator[tuple[str, LearnPulse]]:
    async with socket_mode_server(database_url, engine, clock, fake_slack) as running:
        yield running


async def test_socket_mode_connects_on_startup_and_handles_commands_and_events(
    socket_server: tuple[str, LearnPulse], fake_slack: FakeSlack
) -> None:
    url, core = socket_server
    assert core.adapter_status["slack"] == "on (socket mode)"
    await eventually(lambda: fake_slack.calls_to("apps.connections.open"))
    async with aiohttp.ClientSession() as session, session.post(f"{url}/slack/events") as response:
        assert response.status in (404, 405)  # no HTTP endpoint in Socket Mode

    hook = fake_slack.hook_url()
    command = {
        "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": "T0NORTHWND",
            "channel_id": "C0ALLHANDS",
            "user_id": OUTSIDER,
            "command": "/learning-help",
            "text": "",
            "response_url": hook,
            "trigger_id": "1.2.socket",
        },
    }
    await fake_slack.socket_frames.put(json.dumps(command))
    [ack] = await eventually(lambda: fake_slack.socket_acks)
    assert ack["envelope_id"] == command["envelope_id"]
    [reply] = await eventually(lambda: fake_slack.responses)
    assert reply["response_type"] == "ephemeral"

    hello = json.loads(
        event_callback(
            {"type": "message", "channel_type": "im", "user": OUTSIDER, "text": "hi", "ts": "1.1"}
        )
    )
    envelope = {
        "envelope_id": "d8a4c2ce-0b5d-4f5e-9c2a-1f6f5d2a7b11",
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": hello,
    }
    await fake_slack.socket_frames.put(json.dumps(envelope))

    def welcomed() -> bool:
        with core.session() as session:
            person = session.exec(
                select(PersonRecord).where(PersonRecord.ref == f"slack:{OUTSIDER}")
            ).first()
            return person is not None and person.welcomed_at is not None

    await eventually(welcomed)


async def test_a_click_over_socket_mode_is_acknowledged_stored_and_re_rendered(
    socket_server: tuple[str, LearnPulse], fake_slack: FakeSlack
) -> None:
    _, core = socket_server
    await eventually(lambda: fake_slack.calls_to("apps.connections.open"))
    await open_now(core, "lms", QUESTION, actor="test")
    assert (await Sender(core).send_due()).sent == len(PILOT)
    user = PILOT[2]
    [prompt] = fake_slack.prompts_for(user)
    dm = fake_slack.dms[user]
    click = block_actions(
        user, dm, prompt, actions.ANSWER, "3", fake_slack.hook_url(dm, prompt["ts"])
    )
    envelope = {
        "envelope_id": "0c9b1f8e-52f1-4b8e-9d7e-6a3e1b2c4d5f",
        "type": "interactive",
        "accepts_response_payload": False,
        "payload": click,
    }
    await fake_slack.socket_frames.put(json.dumps(envelope))
    [ack] = await eventually(lambda: fake_slack.socket_acks)
    assert ack["envelope_id"] == envelope["envelope_id"]

    def stored() -> list[Answer]:
        with core.session() as session:
            return list(session.exec(select(Answer).where(Answer.question_id == QUESTION)).all())

    [answer] = await eventually(stored)
    assert answer.value == "3"
    [replacement] = await eventually(lambda: fake_slack.replaced)
    assert replacement["replace_original"] is True
    assert "Recorded" in str(prompt["blocks"])


def help_command(envelope_id: str, response_url: str) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": "T0NORTHWND",
            "channel_id": "C0ALLHANDS",
            "user_id": OUTSIDER,
            "command": "/learning-help",
            "text": "",
            "response_url": response_url,
            "trigger_id": "1.2.socket",
        },
    }


async def answered_on_the_newest_connection(fake_slack: FakeSlack, envelope_id: str) -> None:
    """A command sent now is acknowledged on the newest connection and answered."""
    replies = len(fake_slack.responses)
    await fake_slack.socket_frames.put(json.dumps(help_command(envelope_id, fake_slack.hook_url())))
    newest = fake_slack.sockets[-1]
    [ack] = await eventually(lambda: newest.acks)
    assert ack["envelope_id"] == envelope_id
    await eventually(lambda: len(fake_slack.responses) == replies + 1)


async def test_when_slack_closes_the_socket_the_bot_connects_again_and_carries_on(
    socket_server: tuple[str, LearnPulse], fake_slack: FakeSlack
) -> None:
    await eventually(lambda: len(fake_slack.open_sockets) == 1)
    await fake_slack.close_sockets()

    await eventually(lambda: len(fake_slack.sockets) == 2 and len(fake_slack.open_sockets) == 1)
    first, second = fake_slack.sockets
    assert first.closed_by == "slack" and second.closed_by is None
    # a fresh URL for the new connection: a ticket works once
    assert len(fake_slack.calls_to("apps.connections.open")) == 2
    assert second.ticket != first.ticket
    await answered_on_the_newest_connection(fake_slack, "3b7c1f0e-6d2a-4e8b-a1f9-0c5d7e2b4a61")


async def test_a_disconnect_message_moves_the_bot_to_a_new_connection(
    socket_server: tuple[str, LearnPulse], fake_slack: FakeSlack
) -> None:
    await eventually(lambda: len(fake_slack.open_sockets) == 1)
    await fake_slack.send_disconnect("refresh_requested")

    await eventually(lambda: [c.closed_by for c in fake_slack.sockets] == ["app", None])
    first, second = fake_slack.sockets
    assert first.close_code == 1000  # the bot closed the old connection itself, normally
    assert first.acks == []  # a disconnect message is not an envelope: nothing to acknowledge
    assert len(fake_slack.calls_to("apps.connections.open")) == 2
    assert second.ticket != first.ticket
    await answered_on_the_newest_connection(fake_slack, "9e4d2b7a-1c3f-4a5e-8b6d-2f0a9c7e5b13")


async def test_stopping_the_server_closes_the_socket_cleanly(
    database_url: str,
    engine: Engine,
    clock: ManualClock,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        async with socket_mode_server(database_url, engine, clock, fake_slack):
            await eventually(lambda: len(fake_slack.open_sockets) == 1)
            await answered_on_the_newest_connection(
                fake_slack, "5a8e3c1d-7b2f-4d9a-b6e0-3f1c8a5d2e97"
            )
        [connection] = fake_slack.sockets
        await eventually(lambda: connection.closed_by == "app")
    assert connection.close_code == 1000  # a normal close by the bot, not a dropped line
    assert len(fake_slack.calls_to("apps.connections.open")) == 1  # and no new connection
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
