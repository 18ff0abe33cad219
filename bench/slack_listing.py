"""How a plain script lists the audience channel's people: the anchors' side of the benchmarks
that resolve an audience (``audience_refresh``, ``survey_command``).

A bare ``AsyncWebClient`` pages ``conversations.members`` and ``users.list`` with the page size
the Slack adapter uses, and keeps the people who may be messaged (no bots, no deactivated
accounts), as ``Member``s.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import PAGE_SIZE, member_from_user
from bench.slack_support import CHANNEL
from bot.ports import Member


async def channel_people(client: AsyncWebClient, channel: str = CHANNEL) -> list[Member]:
    """The channel's people who may be messaged, in the channel's order, with their profiles."""
    members: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_members(channel=channel, limit=PAGE_SIZE, cursor=cursor)
        members.extend(page["members"])
        cursor = _next_cursor(page.data)
        if cursor is None:
            break
    profiles: dict[str, Member] = {}
    while True:
        page = await client.users_list(limit=PAGE_SIZE, cursor=cursor)
        for user in page["members"]:
            profiles[str(user["id"])] = member_from_user(user)
        cursor = _next_cursor(page.data)
        if cursor is None:
            break
    found = (profiles[user] for user in members if user in profiles)
    return [m for m in found if m.active and not m.is_bot]


def _next_cursor(body: Any) -> str | None:
    return (body.get("response_metadata") or {}).get("next_cursor") or None
