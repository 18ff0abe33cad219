"""The one aiohttp server: health and metrics here; adapters mount their own routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func
from sqlmodel import select

from bot.app import LearnPulse
from storage.db import ping
from storage.tables import Delivery, DeliveryStatus

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
