"""``learnpulse serve`` with TEAMS_EMULATOR=1 mounts /api/messages and answers through the
fake Bot Connector, exactly as in production minus the token."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest

from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector
from tests.factories import EXAMPLE_PROGRAM
from tests.support import MONDAY_MORNING, base_env, free_port, get_json, running_server


def outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


async def test_serve_turns_teams_on_in_emulator_mode(
    tmp_path: Path, connector: FakeConnector
) -> None:
    port = free_port()
    env = base_env(
        MONDAY_MORNING,
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        LEARNPULSE_PROGRAM=str(EXAMPLE_PROGRAM),
        PORT=str(port),
        TEAMS_EMULATOR="1",
        TEAMS_SERVICE_URLS=connector.url,
    )
    with running_server(["serve"], env, port):
        status, health = await get_json(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert str(health["adapters"]["teams"]).startswith("on (emulator")
        message = a.personal_message(connector.url, a.EMPLOYEE_AAD, "learning-help")
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/api/messages", json=message) as response,
        ):
            assert response.status == 200
    (reply,) = connector.posted()
    assert reply.conversation == a.personal_conversation(a.EMPLOYEE_AAD)
    assert "LearnPulse help" in str(reply.body["attachments"])


def test_emulator_mode_listens_on_loopback_whatever_host_says(
    tmp_path: Path, connector: FakeConnector
) -> None:
    outward = outward_address()
    if outward is None:
        pytest.skip("this machine has no address besides loopback to try")
    port = free_port()
    env = base_env(
        MONDAY_MORNING,
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        LEARNPULSE_PROGRAM=str(EXAMPLE_PROGRAM),
        HOST="0.0.0.0",
        PORT=str(port),
        TEAMS_EMULATOR="1",
        TEAMS_SERVICE_URLS=connector.url,
    )
    with running_server(["serve"], env, port) as process:  # it answers on 127.0.0.1
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((outward, port), timeout=2).close()
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "TEAMS_EMULATOR is on: listening on 127.0.0.1 only, not on HOST=0.0.0.0" in output
