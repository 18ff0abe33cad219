"""Proactive Bot Connector calls through botbuilder's ``CloudAdapter``.

Each call continues a stored conversation (``continue_conversation``) or creates a 1:1 one,
runs one connector operation on a pooled client (``pool.py``), and turns every SDK or transport
failure into a ``ConnectorFailure`` with the HTTP status and ``Retry-After`` for the retry
policy. The service URL of every call is checked against ``TEAMS_SERVICE_URLS`` first (as a
URL, ``bot/service_urls.py``): a URL outside the list is never called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from copy import copy
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.throttle import ConnectorFailure
from bot.service_urls import service_url_allowed

T = TypeVar("T")

TEAMS_CHANNEL = "msteams"
MEMBERS_PAGE_SIZE = 500


class ServiceUrlRefused(Exception):
    """A service URL outside ``TEAMS_SERVICE_URLS``: nothing was called."""


@dataclass(frozen=True)
class PagedMember:
    """One member of a team or conversation, as the Bot Connector lists it."""

    aad_object_id: str | None
    name: str | None
    user_principal_name: str | None = None
    email: str | None = None


class Connector:
    """The outbound half of the Bot Connector, for one bot identity."""

    def __init__(self, cloud: CloudAdapter, app_id: str, allowed_prefixes: list[str]) -> None:
        self.cloud = cloud
        self.app_id = app_id
        self.allowed_prefixes = allowed_prefixes

    def check(self, service_url: str | None) -> None:
        if not service_url_allowed(service_url, self.allowed_prefixes):
            raise ServiceUrlRefused("service URL is not in TEAMS_SERVICE_URLS")

    async def send(self, reference: dict[str, Any], activity: Activity) -> str:
        """Post ``activity`` as a new message in the referenced conversation; its activity id."""

        async def post(context: TurnContext) -> str:
            outgoing = _addressed(context, activity)
            client = context.turn_state[self.cloud.BOT_CONNECTOR_CLIENT_KEY]
            response = await client.conversations.send_to_conversation(
                outgoing.conversation.id, outgoing
            )
            return str(response.id) if response and response.id else ""

        return await self._continue(reference, post)

    async def update(self, reference: dict[str, Any], activity: Activity) -> None:
        """Replace the message ``activity.id`` in the referenced conversation."""

        async def put(context: TurnContext) -> None:
            outgoing = _addressed(context, activity)
            client = context.turn_state[self.cloud.BOT_CONNECTOR_CLIENT_KEY]
            await client.conversations.update_activity(
                outgoing.conversation.id, outgoing.id, outgoing
            )

        await self._continue(reference, put)

    async def paged_members(
        self, reference: dict[str, Any], conversation_id: str
    ) -> list[PagedMember]:
        """Every member of a team or conversation, following continuation tokens."""

        async def page_through(context: TurnContext) -> list[PagedMember]:
            client = context.turn_state[self.cloud.BOT_CONNECTOR_CLIENT_KEY]
            members: list[PagedMember] = []
            token: str | None = None
            while True:
                page = await client.conversations.get_teams_conversation_paged_members(
                    conversation_id, page_size=MEMBERS_PAGE_SIZE, continuation_token=token
                )
                for account in page.members or []:
                    members.append(
                        PagedMember(
                            account.aad_object_id,
                            account.name,
                            getattr(account, "user_principal_name", None),
                            getattr(account, "email", None),
                        )
                    )
                token = page.continuation_token
                if not token:
                    return members

        return await self._continue(reference, page_through)

    async def create_personal(
        self, service_url: str, tenant_id: str, aad_object_id: str, bot_id: str
    ) -> dict[str, Any]:
        """Create (or find) the 1:1 chat with a person; the stored-reference form of it."""
        self.check(service_url)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=aad_object_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )
        created: dict[str, Any] = {}

        async def remember(context: TurnContext) -> None:
            created["id"] = context.activity.conversation.id

        await _translate_failures(
            self.cloud.create_conversation(
                self.app_id, remember, parameters, TEAMS_CHANNEL, service_url, None
            )
        )
        return {
            "channelId": TEAMS_CHANNEL,
            "serviceUrl": service_url,
            "bot": {"id": bot_id},
            "user": {"id": aad_object_id, "aadObjectId": aad_object_id},
            "conversation": {
                "id": created["id"],
                "conversationType": "personal",
                "tenantId": tenant_id,
            },
        }

    async def _continue(
        self, reference: dict[str, Any], logic: Callable[[TurnContext], Awaitable[T]]
    ) -> T:
        self.check(reference.get("serviceUrl"))
        conversation_reference = ConversationReference().deserialize(
            {k: v for k, v in reference.items() if k != "activityId"}
        )
        outcome: list[T] = []

        async def turn(context: TurnContext) -> None:
            outcome.append(await logic(context))

        await _translate_failures(
            self.cloud.continue_conversation(conversation_reference, turn, self.app_id)
        )
        return outcome[0]


def _addressed(context: TurnContext, activity: Activity) -> Activity:
    """A copy of ``activity`` addressed to the turn's conversation, as a new message (not a
    reply: the continuation turn has no real activity to reply to)."""
    reference = TurnContext.get_conversation_reference(context.activity)
    outgoing = TurnContext.apply_conversation_reference(copy(activity), reference)
    outgoing.reply_to_id = None
    return outgoing


async def _translate_failures(call: Awaitable[None]) -> None:
    try:
        await call
    except HttpOperationError as exc:
        status, retry_after = _status_of(exc.response)
        raise ConnectorFailure(status, retry_after) from None
    except (TimeoutError, aiohttp.ClientError, ClientRequestError, OSError) as exc:
        raise ConnectorFailure(0, None, f" ({exc.__class__.__name__})") from None


def _status_of(response: Any) -> tuple[int, float | None]:
    status = getattr(response, "status_code", None) or getattr(response, "status", 0) or 0
    headers = getattr(response, "headers", None) or {}
    return int(status), parse_retry_after(headers.get("Retry-After"))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the Bot Connector sends seconds)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
