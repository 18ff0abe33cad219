"""``learnpulse serve``: starts on SQLite with no platform settings, answers health and metrics."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot.app import LearnPulse
from bot.server import build_web_app
from tests.factories import EXAMPLE_PROGRAM
from tests.support import (
    MONDAY_MORNING,
    base_env,
    free_port,
    get_json,
    run_bot,
    running_server,
)


async def test_serve_starts_on_sqlite_and_reports_health(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(
        MONDAY_MORNING,
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        LEARNPULSE_PROGRAM=str(EXAMPLE_PROGRAM),
        PORT=str(port),
    )
    with running_server(["serve"], env, port) as process:
        status, body = await get_json(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert body["status"] == "ok"
        assert body["database"]["reachable"] is True
        assert body["program"]["workstreams"] == 6
        assert body["adapters"]["slack"].startswith("off (SLACK_BOT_TOKEN is not set")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as resp,
        ):
            assert resp.status == 200
            metrics_text = await resp.text()
        assert "learnpulse_workstreams 6.0" in metrics_text
        assert 'learnpulse_http_requests_total{route="/healthz",status="200"} 1.0' in metrics_text
    output = process.stdout.read() if process.stdout else ""
    adapter_lines = [line for line in output.splitlines() if "adapters:" in line]
    assert len(adapter_lines) == 1, output
    assert "slack off (SLACK_BOT_TOKEN is not set" in adapter_lines[0]
    assert "teams off (TEAMS_APP_ID" in adapter_lines[0]
    assert (tmp_path / "serve.db").exists()


async def test_serve_refuses_a_bad_program_with_its_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_PROGRAM.read_text().replace("kind: enps", "kind: stars", 1))
    port = free_port()
    env = base_env(
        MONDAY_MORNING,
        DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}",
        LEARNPULSE_PROGRAM=str(bad),
        PORT=str(port),
    )
    result = run_bot("serve", env=env, timeout=60)
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and "'stars' is not one of" in result.stderr


async def test_a_malformed_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    env = base_env(MONDAY_MORNING, PORT="eighty", LEARNPULSE_PROGRAM=str(EXAMPLE_PROGRAM))
    result = run_bot("serve", env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("learnpulse: PORT:")


async def test_health_degrades_when_the_database_is_gone(core: LearnPulse) -> None:
    app = build_web_app(core)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        from storage.db import make_engine

        core.engine = make_engine(
            "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
        )
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 503
        assert body["database"]["reachable"] is False
