"""SIGKILL in the middle of a fan-out, then a restart: every person has exactly one prompt."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from sqlmodel import select

from bot.settings import load_settings
from storage.db import make_engine
from storage.tables import Delivery, DeliveryStatus
from tests.support import ROOT, serving
from tests.surveys.engine_support import program_text, question
from tests.surveys.fanout_child import PEOPLE

KILL_AFTER = 23
MONDAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York, a working day


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
    received: list[tuple[str, int]] = []
    child: dict[str, asyncio.subprocess.Process] = {}

    async def send(request: web.Request) -> web.Response:
        body = await request.json()
        received.append((body["person"], int(body["delivery_id"])))
        if len(received) == KILL_AFTER and "first" in child:
            # The prompt has arrived but the sender never hears so: its outcome is unknown.
            os.kill(child["first"].pid, signal.SIGKILL)
            await asyncio.sleep(0.2)
        return web.json_response({"ok": True, "ts": len(received)})

    async def find(request: web.Request) -> web.Response:
        wanted = int(request.query["delivery_id"])
        for index, (_person, delivery_id) in enumerate(received):
            if delivery_id == wanted:
                return web.json_response({"ts": index + 1})
        return web.json_response({"error": "not_found"}, status=404)

    app = web.Application()
    app.router.add_post("/send", send)
    app.router.add_get("/find", find)
    env = {
        **os.environ,
        "LEARNPULSE_CLAIM_LEASE_SECONDS": "0",
        "LEARNPULSE_NOW": MONDAY.isoformat(),
    }
    async with serving(app) as base:
        child["first"] = await _child([database_url, str(program), base, "open"], env)
        await asyncio.wait_for(child["first"].wait(), timeout=60)
        assert child["first"].returncode == -signal.SIGKILL
        assert KILL_AFTER <= len(received) < PEOPLE
        del child["first"]
        later = {**env, "LEARNPULSE_NOW": (MONDAY + timedelta(minutes=5)).isoformat()}
        second = await _child([database_url, str(program), base, "resume"], later)
        out, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 0, err.decode()
        reconciled = int(out.decode().split("reconciled=")[1].split()[0])
        assert reconciled >= 1  # the prompt in flight at the kill was found, not resent

    per_person = Counter(person for person, _ in received)
    assert len(per_person) == PEOPLE
    assert set(per_person.values()) == {1}, [p for p, n in per_person.items() if n > 1]
    engine = make_engine(load_settings(DATABASE_URL=database_url).database_url)
    from sqlmodel import Session

    with Session(engine) as session:
        statuses = Counter(d.status for d in session.exec(select(Delivery)).all())
    engine.dispose()
    assert statuses == {DeliveryStatus.SENT: PEOPLE}
