"""Microsoft Teams adapter: Bot Framework (botbuilder) on the shared aiohttp server.

Every ``botbuilder`` import of the project lives in this folder, so moving to the Microsoft 365
Agents SDK touches nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from adapters.teams.adapter import TeamsAdapter
    from bot.app import LearnPulse

MESSAGES_PATH = "/api/messages"


def setup(core: LearnPulse, web_app: web.Application, **options: Any) -> TeamsAdapter:
    """Mount ``POST /api/messages`` and return the adapter that sends to Teams.

    ``options`` reach ``TeamsAdapter`` (cloud endpoints, credentials factory, bot-wide rate,
    a throttle of its own).
    """
    from adapters.teams.adapter import TeamsAdapter
    from adapters.teams.turns import TeamsTurns

    adapter = TeamsAdapter(core, **options)
    turns = TeamsTurns(core, adapter)
    web_app.router.add_post(MESSAGES_PATH, turns.handle)

    async def close_connections(_: web.Application) -> None:
        await adapter.authentication.pool.close()
        adapter.token_thread.close()

    web_app.on_cleanup.append(close_connections)
    return adapter
