"""``learnpulse demo``: the real server on a fresh SQLite file, with the local playground.

Every start recreates ``demo-data/learnpulse-demo.db``, loads the program, resolves audiences
through the local adapter (registered for ``slack``, ``teams`` and ``local`` references, so an
unchanged production program works), seeds a few weeks of answers and actions, runs one engine
tick so prompts whose window is still open arrive at once, posts each lead's last digest and
seeds one anonymous conversation on a comment it quotes. Slack and Teams settings are ignored.

There is no background scheduler here: the demo clock is manual and moves only when the page
asks, and every move runs the engine itself (``timeline.advance``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from adapters.local import PLAYGROUND, setup
from adapters.local.company import store_company
from adapters.local.seed import HISTORY_WEEKS, seed_history
from adapters.local.seed_loop import seed_conversation
from adapters.local.timeline import demo_start
from bot.app import LearnPulse, run_due_work
from bot.clock import ManualClock, wall_clock
from bot.reporting import post_digest
from bot.server import StartupError, prepare
from bot.settings import Settings, load_settings
from surveys.program_file import load_program

log = logging.getLogger("learnpulse.demo")

DEMO_DATABASE = Path("demo-data") / "learnpulse-demo.db"
PLATFORMS = ("slack", "teams", "local")


def demo_settings(database: Path = DEMO_DATABASE, **overrides: object) -> Settings:
    """The environment's settings with a fresh SQLite file and every chat platform off.

    The playground has no sign-in (anyone who opens it can act as anyone), so it listens on
    loopback only, whatever ``HOST`` says; ``PORT`` is honoured.
    """
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return load_settings(
        DATABASE_URL=f"sqlite:///{database}",
        HOST="127.0.0.1",
        SLACK_BOT_TOKEN=None,
        SLACK_APP_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TEAMS_APP_ID=None,
        TEAMS_APP_PASSWORD=None,
        TEAMS_EMULATOR=False,
        **overrides,
    )


async def build_demo(settings: Settings, program_path: Path) -> web.Application:
    """Everything up to serving: schema, program, directory, history, first tick."""
    program = load_program(program_path)  # refused files raise before anything is created
    clock = ManualClock(demo_start(program, wall_clock(settings.learnpulse_now).now().date()))
    core = LearnPulse(settings, clock=clock)
    core, web_app = prepare(settings, program_path, core)
    adapter = setup(core, web_app)
    core.adapters.register(adapter, *PLATFORMS)
    for platform in PLATFORMS:
        core.adapter_status[platform] = "on (local playground)"
    await asyncio.to_thread(store_company, core, adapter.directory)
    seeded = await seed_history(core)
    web_app[PLAYGROUND].seeded_weeks = HISTORY_WEEKS
    # The first tick sends what is still open first, so the digests count those people as
    # asked (not answered yet), as a running bot's would.
    first = await run_due_work(core)
    posted = first.posted + await post_last_digests(core)
    await seed_conversation(core)  # on a comment the digests just quoted
    log.info(
        "demo seeded: %d occurrences, %d deliveries, %d answers, %d actions, %d digests or "
        "reports posted; %d prompts sent on start",
        seeded.occurrences,
        seeded.deliveries,
        seeded.answers,
        seeded.actions,
        posted,
        first.sent.sent,
    )
    web_app.on_cleanup.append(_dispose(core))
    return web_app


async def post_last_digests(core: LearnPulse) -> int:
    """Each workstream's digest of its last finished period, as its schedule would have posted
    it, so every lead's channel opens with a full digest and its trend."""
    posted = 0
    for workstream in core.require_program().workstreams:
        result = await post_digest(core, workstream.id, scheduled=True)
        posted += int(result.posted)
    return posted


def _dispose(core: LearnPulse) -> Callable[[web.Application], Awaitable[None]]:
    async def cleanup(_app: web.Application) -> None:
        core.engine.dispose()

    return cleanup


def url_of(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/"


def run_demo(settings: Settings, program_path: Path) -> None:
    """Serve the playground until interrupted; a bad program stops it with exit status 2."""

    async def application() -> web.Application:
        try:
            web_app = await build_demo(settings, program_path)
        except StartupError as exc:
            log.error("%s", exc)
            raise SystemExit(2) from None
        print(f"LearnPulse demo is running: open {url_of(settings)}", flush=True)
        return web_app

    web.run_app(application(), host=settings.host, port=settings.port, print=None, access_log=None)
