"""The playground refuses cross-site posts: real HTTP requests to the served playground."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import pytest
from sqlmodel import select

from adapters.local import setup
from bot.app import LearnPulse, run_due_work
from bot.clock import ManualClock
from bot.server import build_web_app
from storage.tables import Answer, PersonRecord
from tests.adapters.local.test_pages import MONDAY_10_NEW_YORK, PILOT
from tests.support import serving

QUESTION = "lms-find-what-i-need"


@dataclass
class Playground:
    url: str  # http://127.0.0.1:PORT
    port: int
    delivery_id: int
    session: aiohttp.ClientSession

    async def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> int:
        async with self.session.post(
            f"{self.url}{path}", data=data, headers=headers, allow_redirects=False
        ) as response:
            return response.status

    def answer(self) -> dict[str, str]:
        return {"as": PILOT, "delivery_id": str(self.delivery_id), "question_id": QUESTION,
                "value": "2"}  # fmt: skip


@pytest.fixture
async def playground(core: LearnPulse, clock: ManualClock) -> AsyncIterator[Playground]:
    """The playground served on a free loopback port, with one open prompt for PILOT."""
    web_app = build_web_app(core)
    core.adapters.register(setup(core, web_app), "slack", "teams", "local")
    clock.set(MONDAY_10_NEW_YORK)
    await run_due_work(core)
    async with serving(web_app) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/", params={"as": PILOT}) as page:
            found = re.search(r'name="delivery_id" value="(\d+)"', await page.text())
        assert found is not None
        yield Playground(url, int(url.rsplit(":", 1)[1]), int(found.group(1)), session)


def _snoozed_until(core: LearnPulse) -> datetime | None:
    with core.session() as session:
        return (
            session.exec(select(PersonRecord).where(PersonRecord.ref == PILOT)).one().snoozed_until
        )


def _answers(core: LearnPulse) -> list[Answer]:
    with core.session() as session:
        return list(session.exec(select(Answer).where(Answer.question_id == QUESTION)).all())


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},  # a form on another site
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": "https://127.0.0.1:{port}"},  # another scheme is another origin
        {"Origin": "http://127.0.0.1:{other}"},  # another local service
        {"Referer": "http://evil.example/page"},  # no Origin, and a foreign page
        {},  # neither Origin nor Referer: nothing shows it came from the playground
        # DNS rebinding: evil.example resolves to 127.0.0.1, so the page is "same-origin"
        {"Host": "evil.example:{port}", "Origin": "http://evil.example:{port}"},
        # a Host that is loopback but not the port this playground listens on
        {"Host": "127.0.0.1:{other}", "Origin": "http://127.0.0.1:{other}"},
    ],
)
async def test_a_cross_site_post_gets_403_and_changes_nothing(
    playground: Playground, core: LearnPulse, clock: ManualClock, headers: dict[str, str]
) -> None:
    other = playground.port + 1 if playground.port < 65535 else playground.port - 1
    sent = {k: v.format(port=playground.port, other=other) for k, v in headers.items()}
    before = clock.now()
    assert await playground.post("/play/answer", playground.answer(), sent) == 403
    assert await playground.post("/play/advance", {"as": PILOT, "hours": "24"}, sent) == 403
    assert await playground.post("/play/command", {"as": PILOT, "text": "/learning-pause 3"},
                                 sent) == 403  # fmt: skip
    assert _answers(core) == []
    assert clock.now() == before
    assert _snoozed_until(core) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:{port}"},
        {"Host": "localhost:{port}", "Origin": "http://localhost:{port}"},
        {"Referer": "http://127.0.0.1:{port}/?as=x"},  # a browser that sends no Origin
    ],
)
async def test_a_same_origin_form_post_still_works(
    playground: Playground, core: LearnPulse, headers: dict[str, str]
) -> None:
    sent = {k: v.format(port=playground.port) for k, v in headers.items()}
    assert await playground.post("/play/answer", playground.answer(), sent) == 303
    [answer] = _answers(core)
    assert answer.value == "2"
    status = await playground.post(
        "/play/command", {"as": PILOT, "text": "/learning-pause 3"}, sent
    )
    assert status == 303 and _snoozed_until(core) is not None
