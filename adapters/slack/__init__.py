"""Slack adapter: slack-bolt on the shared aiohttp server, or Socket Mode.

``setup`` is what ``LearnPulse.enable_platform_adapters`` calls when the Slack settings are
present: it mounts ``POST /slack/events`` (signed HTTP) or, when ``SLACK_APP_TOKEN`` is set,
connects over Socket Mode on the server's startup, and returns the ``ChatAdapter``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.app import SlackApp
from adapters.slack.sdk_logging import keep_payloads_out_of_logs
from adapters.slack.verify import make_verifier
from adapters.slack.web_api import connection_pool

if TYPE_CHECKING:
    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.slack")

SLACK_APP_KEY: web.AppKey[SlackApp] = web.AppKey("learnpulse_slack", SlackApp)
EVENTS_PATH = "/slack/events"
MAX_CONNECTIONS = 100

Lifespan = Callable[[web.Application], AsyncIterator[None]]

__all__ = ["EVENTS_PATH", "SLACK_APP_KEY", "SlackAdapter", "SlackApp", "setup"]


def setup(core: LearnPulse, web_app: web.Application) -> SlackAdapter:
    """Wire Slack into the server; the Web API is reached at ``SLACK_API_URL``."""
    settings = core.settings
    keep_payloads_out_of_logs()
    client = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[],  # retries are decided by SlackWebApi, per Slack's rules
    )
    adapter = SlackAdapter(client, core.clock, max_in_flight=MAX_CONNECTIONS)
    slack_app = SlackApp(core, adapter)
    web_app[SLACK_APP_KEY] = slack_app
    web_app.cleanup_ctx.append(_shared_session(client))
    if settings.slack_app_token:
        web_app.cleanup_ctx.append(_socket_mode(slack_app, settings.slack_app_token))
    else:
        if not settings.slack_signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET: needed for Slack over HTTP")
        slack_app.verifier = make_verifier(settings.slack_signing_secret)
        web_app.router.add_post(EVENTS_PATH, slack_app.handle_http)
    # before the shared connection pool closes (cleanup), so their prompts still update
    web_app.on_shutdown.append(slack_app.finish_clicks)
    return adapter


def _shared_session(client: AsyncWebClient) -> Lifespan:
    """One connection pool for every Web API call while the server runs."""

    async def lifespan(_: web.Application) -> AsyncIterator[None]:
        session = connection_pool(MAX_CONNECTIONS)
        client.session = session
        yield
        client.session = None
        await session.close()

    return lifespan


def _socket_mode(slack_app: SlackApp, app_token: str) -> Lifespan:
    """Connect on startup (retrying in the background until Slack answers), close on cleanup."""

    async def lifespan(_: web.Application) -> AsyncIterator[None]:
        handler = AsyncSocketModeHandler(
            slack_app.bolt, app_token, web_client=slack_app.adapter.client
        )
        connecting = asyncio.create_task(_connect(handler))
        yield
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
        await handler.close_async()

    return lifespan


async def _connect(handler: AsyncSocketModeHandler) -> None:
    delay = 1.0
    while True:
        try:
            await handler.connect_async()
            log.info("connected to Slack over Socket Mode")
            return
        except Exception as exc:
            log.error(
                "Socket Mode connection failed (%s); retrying in %.0fs", type(exc).__name__, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
