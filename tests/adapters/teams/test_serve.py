"""``learnpulse serve`` with TEAMS_EMULATOR=1 mounts /api/messages and answers through the
fake Bot Connector, exactly as in production minus the token."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector
from tests.conftest import EXAMPLE_PROGRAM
from tests.support import base_env, free_port, get_json, running_server


async def test_serve_turns_teams_on_in_emulator_mode(
    tmp_path: Path, connector: FakeConnector
) -> None:
    port = free_port()
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        LEARNPULSE_PROGRAM=str(EXAMPLE_PROGRAM),
        PORT=str(port),
        TEAMS_EMULATOR="1",
        TEAMS_SERVICE_URLS=connector.url,
    )
    with running_server(["serve"], env, port):
        status, health = await get_json(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert str(health["adapters"]["teams"]).startswith("on (emulator")  # type: ignore[index]
        message = a.personal_message(connector.url, a.EMPLOYEE_AAD, "learning-help")
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/api/messages", json=message) as response,
        ):
            assert response.status == 200
    (reply,) = connector.posted()
    assert reply.conversation == a.personal_conversation(a.EMPLOYEE_AAD)
    assert "LearnPulse help" in str(reply.body["attachments"])
