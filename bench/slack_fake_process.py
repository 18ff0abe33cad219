"""The fake Slack Web API in a process of its own, so it takes no CPU from the server measured.

Run as ``python -m bench.slack_fake_process --people N``: it starts the test suite's fake with
``N`` people (as ``fake_slack_with`` does), prints one JSON line ``{"api_url", "control_url"}``
and serves until its stdin closes. The control app answers what the benchmark needs to know
from the fake's state: ``GET /clicks`` (one answer click per prompt sent) and ``GET /updates``
(how many prompts were re-rendered, through ``response_url`` or ``chat.update``, and the CPU
time the fake has used), ``GET /progress`` (how many messages were posted, and when the last one
arrived), ``GET /targets`` (each click body with the DM it re-renders), ``GET /edits`` (when each
DM's prompt was first re-rendered), ``GET /sample`` (one message as posted) and ``POST
/channel/{n}`` (the audience channel cut to its first ``n`` people, or grown back). Times are
``time.monotonic()``, one clock for every process of the machine. ``fake_slack_process`` is the
parent's side.
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
from typing import Any

import aiohttp
from aiohttp import web

from adapters.slack import actions
from bench.slack_support import CHANNEL, fake_slack_with, user_ids
from tests.adapters.slack.fake_slack import JSON_BODY, FakeSlack
from tests.adapters.slack.payloads import block_actions, interaction
from tests.support import serving

REPOSITORY = Path(__file__).resolve().parents[1]


class StampedFake(FakeSlack):
    """The fake, noting when messages are posted and when each DM's prompt is re-rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.posted = 0
        self.last_post_at = 0.0
        self.edited_at: dict[str, float] = {}  # DM -> first re-render

    def m_chat_postMessage(self, params: dict[str, Any]) -> web.Response:
        response = super().m_chat_postMessage(params)
        if isinstance(response.body, bytes) and response.body.startswith(b'{"ok": true'):
            self.posted += 1
            self.last_post_at = time.monotonic()
        return response

    def _edit(self, channel: str, ts: Any, text: str, blocks: Any) -> JSON_BODY | None:
        self.edited_at.setdefault(channel, time.monotonic())
        return super()._edit(channel, ts, text, blocks)


def click_targets(fake: FakeSlack) -> list[tuple[str, str]]:
    """One (DM, body) per person prompted: a click on "4" in the prompt they were sent."""
    targets = []
    for user, dm in fake.dms.items():
        prompts = fake.prompts_for(user)
        if len(prompts) != 1:
            continue
        [prompt] = prompts
        hook = fake.hook_url(dm, prompt["ts"])  # as Slack sends one with every click
        body = interaction(block_actions(user, dm, prompt, actions.ANSWER, "4", hook))
        targets.append((dm, body))
    return targets


def clicks(fake: FakeSlack) -> list[str]:
    """One body per person: a click on "4" in the prompt they were sent."""
    return [body for _, body in click_targets(fake)]


def control_app(fake: StampedFake, people: int) -> web.Application:
    async def get_clicks(_: web.Request) -> web.Response:
        return web.json_response(clicks(fake))

    async def get_targets(_: web.Request) -> web.Response:
        return web.json_response(click_targets(fake))

    async def get_progress(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "posted": fake.posted,
                "last_post_at": fake.last_post_at,
                "replies": len(fake.responses),
            }
        )

    async def get_edits(_: web.Request) -> web.Response:
        return web.json_response(fake.edited_at)

    async def get_sample(_: web.Request) -> web.Response:
        for messages in fake.messages.values():
            if messages:
                return web.json_response(messages[0])
        return web.json_response(None)

    async def post_channel(request: web.Request) -> web.Response:
        fake.channels[CHANNEL] = user_ids(min(people, int(request.match_info["n"])))
        return web.json_response({"members": len(fake.channels[CHANNEL])})

    async def get_updates(_: web.Request) -> web.Response:
        updated = len(fake.calls_to("chat.update")) + len(fake.replaced)
        return web.json_response({"updated": updated, "cpu_seconds": time.process_time()})

    app = web.Application()
    app.router.add_get("/clicks", get_clicks)
    app.router.add_get("/updates", get_updates)
    app.router.add_get("/targets", get_targets)
    app.router.add_get("/progress", get_progress)
    app.router.add_get("/edits", get_edits)
    app.router.add_get("/sample", get_sample)
    app.router.add_post("/channel/{n}", post_channel)
    return app


async def serve(people: int) -> None:
    fake = await fake_slack_with(people, fake=StampedFake())
    assert isinstance(fake, StampedFake)
    try:
        async with serving(control_app(fake, people)) as control_url:
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

    async def targets(self) -> list[tuple[str, str]]:
        """(DM, click body) per person prompted once."""
        async with self.session.get(f"{self.control_url}/targets") as response:
            return [(dm, body) for dm, body in await response.json()]

    async def progress(self) -> tuple[int, float]:
        """How many messages were posted, and when the last one arrived."""
        async with self.session.get(f"{self.control_url}/progress") as response:
            answer = await response.json()
            return int(answer["posted"]), float(answer["last_post_at"])

    async def replies(self) -> int:
        """How many bodies that replace no message were posted to ``response_url`` hooks."""
        async with self.session.get(f"{self.control_url}/progress") as response:
            return int((await response.json())["replies"])

    async def edits(self) -> dict[str, float]:
        """DM -> when its prompt was first re-rendered."""
        async with self.session.get(f"{self.control_url}/edits") as response:
            return {str(dm): float(at) for dm, at in (await response.json()).items()}

    async def sample(self) -> dict[str, Any]:
        """One message as it was posted (text, blocks, metadata)."""
        async with self.session.get(f"{self.control_url}/sample") as response:
            message: dict[str, Any] = await response.json()
            return message

    async def resize_channel(self, members: int) -> None:
        """The audience channel holds the first ``members`` people from now on."""
        async with self.session.post(f"{self.control_url}/channel/{members}") as response:
            response.raise_for_status()

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
