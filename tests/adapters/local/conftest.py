"""The playground served by aiohttp's test client, on the real database and engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.local import setup
from bot.app import LearnPulse
from bot.server import build_web_app
from tests.support import free_port


@pytest.fixture
async def client(core: LearnPulse) -> AsyncIterator[TestClient]:
    web_app = build_web_app(core)
    adapter = setup(core, web_app)
    core.adapters.register(adapter, "slack", "teams", "local")
    port = free_port()
    own_origin = {"Origin": f"http://127.0.0.1:{port}"}  # a browser's form post sends it
    async with TestClient(TestServer(web_app, port=port), headers=own_origin) as test_client:
        yield test_client
