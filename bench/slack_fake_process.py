"""The fake Slack Web API in a process of its own, so it takes no CPU from the server measured.

Run as ``python -m bench.slack_fake_process --people N``: it starts the test suite's fake with
``N`` people (as ``fake_slack_with`` does), prints one JSON line ``{"api_url", "control_url"}``
and serves until its stdin closes. The control app answers what the benchmark needs to know
from the fake's state: ``GET /clicks`` (one answer click per prompt sent) and ``GET /updates``
(how many prompts were re-rendered, through ``response_url`` or ``chat.update``, and the CPU
time the fake has used). ``fake_slack_process`` is the parent's side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from adapters.slack import actions
from bench.slack_support import fake_slack_with
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.payloads import block_actions, interaction
from tests.support import serving

REPOSITORY = Path(__file__).resolve().parents[1]


def clicks(fake: FakeSlack) -> list[str]:
    """One body per person: a click on "4" in the prompt they were sent."""
    bodies = []
    for user, dm in fake.dms.items():
        [prompt] = fake.prompts_for(user)
        hook = fake.hook_url(dm, prompt["ts"])  # as Slack sends one with every click
        bodies.append(interaction(block_actions(user, dm, prompt, actions.ANSWER, "4", hook)))
    return bodies


def control_app(fake: FakeSlack) -> web.Application:
    async def get_clicks(_: web.Request) -> web.Response:
        return web.json_response(clicks(fake))

    async def get_updates(_: web.Request) -> web.Response:
        updated = len(fake.calls_to("chat.update")) + len(fake.replaced)
        return web.json_response({"updated": updated, "cpu_seconds": time.process_time()})

    app = web.Application()
    app.router.add_get("/clicks", get_clicks)
    app.router.add_get("/updates", get_updates)
    return app


async def serve(people: int) -> None:
    fake = await fake_slack_with(people)
    try:
        async with serving(control_app(fake)) as control_url:
            print(json.dumps({"api_url": fake.url, "control_url": control_url}), flush=True)
            await asyncio.to_thread(sys.stdin.read)  # the parent closes stdin to stop us
    finally:
        await fake.stop()


@dataclass
class FakeSlackProcess:
    """The parent's handle: the Web API URL for the server, and the fake's counters."""

    api_url: str
    control_url: str
    session: aiohttp.ClientSession

    async def clicks(self) -> list[str]:
        async with self.session.get(f"{self.control_url}/clicks") as response:
            bodies: list[str] = await response.json()
            return bodies

    async def updates(self) -> int:
        return int((await self._updates())["updated"])

    async def cpu_seconds(self) -> float:
        """CPU time the fake's process has used so far."""
        return float((await self._updates())["cpu_seconds"])

    async def _updates(self) -> dict[str, float]:
        async with self.session.get(f"{self.control_url}/updates") as response:
            answer: dict[str, float] = await response.json()
            return answer


@asynccontextmanager
async def fake_slack_process(people: int) -> AsyncIterator[FakeSlackProcess]:
    """Start the fake with ``people`` in a child process; stop it on exit."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.slack_fake_process",
        "--people",
        str(people),
        cwd=REPOSITORY,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        line = await child.stdout.readline()
        if not line:
            raise RuntimeError("the fake Slack process exited before it was ready")
        urls = json.loads(line)
        async with aiohttp.ClientSession() as session:
            yield FakeSlackProcess(urls["api_url"], urls["control_url"], session)
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), timeout=10)
        except TimeoutError:
            child.kill()
            await child.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, required=True)
    asyncio.run(serve(parser.parse_args().people))
