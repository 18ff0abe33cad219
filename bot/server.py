"""The server process: the app prepared (database, program, adapters), the one aiohttp server
(health and metrics here; adapters mount their own routes), and serving until told to stop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func
from sqlmodel import select

from bot import interpreter
from bot.app import LearnPulse
from bot.scheduler import Heartbeat
from bot.settings import Settings, SettingsError
from storage.db import ping
from storage.reseal import reseal_legacy
from storage.tables import Delivery, DeliveryStatus
from surveys.people_import import ImportReport, import_program_people
from surveys.program_file import ProgramError

CORE_KEY: web.AppKey[LearnPulse] = web.AppKey("learnpulse", LearnPulse)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_web_app(core: LearnPulse) -> web.Application:
    """The server's routes; adapters add theirs through ``core.enable_platform_adapters``."""
    app = web.Application(middlewares=[_count_requests])
    app[CORE_KEY] = core
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


@web.middleware
async def _count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    core = request.app[CORE_KEY]
    route = (
        request.match_info.route.resource.canonical if request.match_info.route.resource else "?"
    )
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        core.metrics.requests.labels(route, str(exc.status)).inc()
        raise
    core.metrics.requests.labels(route, str(response.status)).inc()
    return response


async def healthz(request: web.Request) -> web.Response:
    """Status, database reachability, the loaded program and the adapters."""
    core = request.app[CORE_KEY]
    started = time.monotonic()
    database_ok = await asyncio.to_thread(ping, core.engine)
    program = core.program
    body = {
        "status": "ok" if database_ok and program is not None else "degraded",
        "database": {
            "reachable": database_ok,
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
        },
        "program": {
            "loaded": program is not None,
            "name": program.program if program else None,
            "workstreams": len(program.workstreams) if program else 0,
        },
        "adapters": {name: status for name, status in sorted(core.adapter_status.items())},
    }
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format."""
    core = request.app[CORE_KEY]
    await asyncio.to_thread(_refresh_gauges, core)
    payload = generate_latest(core.metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _refresh_gauges(core: LearnPulse) -> None:
    try:
        with core.reading() as session:
            pending = session.exec(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == DeliveryStatus.PENDING)
            ).one()
        core.metrics.pending.set(pending)
    except Exception:  # the database being down must not break the metrics page
        core.metrics.pending.set(float("nan"))


PEOPLE_IMPORT = web.AppKey("people_import", asyncio.Task[ImportReport | None])
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

    async def start_people_import(app: web.Application) -> None:
        # In the background: paging a large directory must not hold up serving.
        app[PEOPLE_IMPORT] = asyncio.create_task(import_program_people(core))

    web_app.on_startup.append(start_people_import)
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
