"""Start and stop the server process: load, mount adapters, serve until told to stop."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot import interpreter
from bot.app import LearnPulse
from bot.scheduler import Heartbeat
from bot.server import build_web_app
from bot.settings import Settings, SettingsError
from storage.reseal import reseal_legacy
from surveys.program import ProgramError

log = logging.getLogger("learnpulse")


class StartupError(RuntimeError):
    """The server cannot start; the message is one line for the operator."""


def prepare(
    settings: Settings, program_path: Path, core: LearnPulse | None = None
) -> tuple[LearnPulse, web.Application]:
    """Build the core and its web app: migrate, load the program, mount adapters."""
    try:
        core = core or LearnPulse(settings)
    except SettingsError as exc:
        raise StartupError(str(exc)) from None
    except Exception as exc:
        raise StartupError(
            f"DATABASE_URL: cannot open the database ({exc.__class__.__name__}: {exc})"
        ) from exc
    resealed = reseal_legacy(core.engine, core.vault)
    if resealed:
        log.info("resealed %d stored values with AES-GCM (no time in them)", resealed)
    try:
        report = core.load_program(program_path)
    except ProgramError as exc:
        raise StartupError("the program file was refused:\n" + "\n".join(exc.problems)) from exc
    program = core.require_program()
    log.info(
        "program %r loaded: %d workstreams%s",
        program.program,
        len(program.workstreams),
        report.summary(),
    )
    if settings.secret_key_is_default:
        log.warning(
            "LEARNPULSE_SECRET_KEY is not set: using the development key; set it in production"
        )
    if settings.learnpulse_now is not None:
        log.warning("LEARNPULSE_NOW is set: the clock started at %s", core.clock.now().isoformat())
    core.warm_up()
    web_app = build_web_app(core)
    core.enable_platform_adapters(web_app)
    log.info(core.describe_adapters())
    return core, web_app


def run_server(settings: Settings, program_path: Path) -> None:
    """Serve on HOST:PORT until interrupted; exits 2 with one line when startup fails."""
    interpreter.tune()
    try:
        core, web_app = prepare(settings, program_path)
    except StartupError as exc:
        log.error("%s", exc)
        raise SystemExit(2) from None
    heartbeat = Heartbeat(core)

    async def start_scheduler(_app: web.Application) -> None:
        heartbeat.start()

    async def stop_scheduler(_app: web.Application) -> None:
        heartbeat.stop()

    async def freeze_startup_objects(_app: web.Application) -> None:
        interpreter.freeze_startup_objects()

    web_app.on_startup.append(start_scheduler)
    web_app.on_startup.append(freeze_startup_objects)  # last: after everything startup loads
    web_app.on_cleanup.append(stop_scheduler)
    host = settings.listen_host
    if host != settings.host:
        log.warning(
            "TEAMS_EMULATOR is on: listening on %s only, not on HOST=%s "
            "(emulator requests are not authenticated)",
            host,
            settings.host,
        )
    log.info("listening on http://%s:%d", host, settings.port)
    web.run_app(web_app, host=host, port=settings.port, print=None, access_log=None)
    core.engine.dispose()
