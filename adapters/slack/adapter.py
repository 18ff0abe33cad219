"""The ``ChatAdapter`` for Slack: prompts as DMs, reports to channels, files, audiences.

Each prompt carries its delivery id in the message ``metadata``; that is how a delivery whose
outcome is unknown (a crash, a 5xx after Slack may have posted) is found again in the DM's
history instead of being sent twice.

A prompt re-rendered because someone clicked it is replaced through the click's
``response_url``, not ``chat.update``: ``chat.update`` is a Tier 3 method (about 50 calls a
minute for the whole workspace), so when a company answers at 10:00 most of those updates would
wait minutes behind HTTP 429s, while every click brings a ``response_url`` of its own.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Collection
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import actions, refs, render
from adapters.slack.directory import Directory
from adapters.slack.web_api import SlackWebApi
from bot.messages import Prompt, Report
from bot.ports import (
    Clock,
    LookupKind,
    Member,
    MessageRef,
    PermanentSendError,
    SendError,
    TransientSendError,
)

log = logging.getLogger("learnpulse.slack")

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
RESPONSE_URL_TIMEOUT = aiohttp.ClientTimeout(total=30)
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=300, sock_connect=30)  # aiohttp's own default
HISTORY_PAGES = 5  # how far back find_prompt looks: 5 pages of 200 messages of one DM


@dataclass(frozen=True)
class ClickOrigin:
    """The message a click was made on, and the ``response_url`` Slack sent with the click."""

    channel: str
    ts: str
    response_url: str


# Set while a click is handled; an update of the message clicked goes through its response_url.
CLICK_ORIGIN: contextvars.ContextVar[ClickOrigin | None] = contextvars.ContextVar(
    "slack_click_origin", default=None
)


class SlackAdapter:
    """Slack behind the core's ``ChatAdapter`` protocol."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, clock: Clock, **web_api_options: Any) -> None:
        self.client = client
        self.api = SlackWebApi(client, **web_api_options)
        self.directory = Directory(self.api, clock)
        self._dm_channels: dict[str, str] = {}

    # --- prompts -------------------------------------------------------------------------------

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        """A DM to the person, paced per person; an ambiguous failure is reconciled, not resent."""
        user = refs.user_id(person)

        async def already_posted() -> dict[str, Any] | None:
            ref = await self.find_prompt(person, prompt.delivery_id)
            return {"channel": ref.conversation, "ts": ref.message_id} if ref else None

        body = await self.api.call(
            "chat.postMessage",
            pace=user,
            reconcile=already_posted,
            channel=user,
            text=render.prompt_text(prompt),
            blocks=render.prompt_blocks(prompt),
            metadata={
                "event_type": actions.PROMPT_EVENT_TYPE,
                "event_payload": {"delivery_id": prompt.delivery_id},
            },
            unfurl_links=False,
            unfurl_media=False,
        )
        self._dm_channels[user] = str(body["channel"])
        return MessageRef(conversation=str(body["channel"]), message_id=str(body["ts"]))

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        """Re-render in place: the recorded answer, or that the window closed."""
        text, blocks = render.prompt_text(prompt), render.prompt_blocks(prompt)
        metadata = {
            "event_type": actions.PROMPT_EVENT_TYPE,
            "event_payload": {"delivery_id": prompt.delivery_id},
        }
        origin = CLICK_ORIGIN.get()
        if (
            origin is not None
            and (origin.channel, origin.ts) == (ref.conversation, ref.message_id)
            and await self._replace_clicked(origin.response_url, text, blocks, metadata)
        ):
            return
        await self.api.call(
            "chat.update",
            pace=ref.conversation,
            channel=ref.conversation,
            ts=ref.message_id,
            text=text,
            blocks=blocks,
            metadata=metadata,
        )

    async def _replace_clicked(
        self,
        response_url: str,
        text: str,
        blocks: list[render.Block],
        metadata: dict[str, Any],
    ) -> bool:
        """Replace the clicked message through its response_url; False when that did not work
        (the URL expired or was used up), so the caller falls back to ``chat.update``."""
        message = {"replace_original": True, "text": text, "blocks": blocks, "metadata": metadata}
        try:
            await self._to_response_url(response_url, message)
        except SendError as exc:
            log.info("%s; updating with chat.update", exc.reason)
            return False
        return True

    async def reply_privately(
        self, response_url: str, text: str, blocks: list[render.Block]
    ) -> None:
        """A message only the person who clicked or typed a command sees, posted to the
        ``response_url`` of their request on the shared connection pool."""
        message = {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": text,
            "blocks": blocks,
        }
        await self._to_response_url(response_url, message)

    async def _to_response_url(self, response_url: str, message: dict[str, Any]) -> None:
        """POST ``message`` to a request's response_url; a ``SendError`` when it did not land."""
        try:
            status = await self._post(
                response_url, orjson.dumps(message), JSON_HEADERS, RESPONSE_URL_TIMEOUT
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientSendError(f"response_url unreachable ({type(exc).__name__})") from None
        if status != 200:
            raise PermanentSendError(f"response_url refused (HTTP {status})")

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        """Look through the DM's recent history for the message carrying this delivery id."""
        channel = await self.dm_channel(person)
        cursor = ""
        for _ in range(HISTORY_PAGES):
            body = await self.api.call(
                "conversations.history",
                channel=channel,
                limit=200,
                include_all_metadata=True,
                cursor=cursor or None,
            )
            for message in body.get("messages", []):
                if _carries_delivery(message, delivery_id):
                    return MessageRef(conversation=channel, message_id=str(message["ts"]))
            cursor = str((body.get("response_metadata") or {}).get("next_cursor") or "")
            if not body.get("has_more") or not cursor:
                return None
        return None

    # --- reports and files -----------------------------------------------------------------------

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        """A private message (welcome, own trend); a chart follows as an image in the DM."""
        user = refs.user_id(person)
        body = await self.api.call(
            "chat.postMessage",
            pace=user,
            channel=user,
            text=render.report_text(message),
            blocks=render.report_blocks(message),
            unfurl_links=False,
        )
        channel = str(body["channel"])
        self._dm_channels[user] = channel
        if message.image_png is not None:
            await self._upload_chart(channel, message)
        return MessageRef(conversation=channel, message_id=str(body["ts"]))

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        """A report in a channel; its chart follows as an image file in the same channel."""
        channel_id = refs.channel_id(channel)
        body = await self.api.call(
            "chat.postMessage",
            pace=channel_id,
            channel=channel_id,
            text=render.report_text(message),
            blocks=render.report_blocks(message),
            unfurl_links=False,
        )
        if message.image_png is not None:
            await self._upload_chart(channel_id, message)
        return MessageRef(conversation=channel_id, message_id=str(body["ts"]))

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        """A file in the person's DM only (their data export)."""
        await self._upload(await self.dm_channel(person), filename, content, comment=comment)

    async def _upload_chart(self, channel_id: str, message: Report) -> None:
        assert message.image_png is not None
        await self._upload(
            channel_id,
            "chart.png",
            message.image_png,
            comment=message.image_alt or message.title,
            alt=message.image_alt,
        )

    async def _upload(
        self, channel_id: str, filename: str, content: bytes, comment: str, alt: str = ""
    ) -> None:
        """files.getUploadURLExternal → upload the bytes → files.completeUploadExternal."""
        ticket = await self.api.call(
            "files.getUploadURLExternal",
            filename=filename,
            length=len(content),
            alt_txt=alt or None,
        )
        await self._put_bytes(str(ticket["upload_url"]), filename, content)
        await self.api.call(
            "files.completeUploadExternal",
            pace=channel_id,
            files=[{"id": str(ticket["file_id"]), "title": filename}],
            channel_id=channel_id,
            initial_comment=comment,
        )

    async def _put_bytes(self, url: str, filename: str, content: bytes) -> None:
        form = aiohttp.FormData()
        form.add_field("file", content, filename=filename)
        try:
            status = await self._post(url, form, None, UPLOAD_TIMEOUT)
        except aiohttp.ClientError as exc:
            raise TransientSendError(f"file upload failed ({type(exc).__name__})") from None
        if status >= 500:
            raise TransientSendError(f"file upload failed (HTTP {status})")
        if status >= 400:
            raise PermanentSendError(f"file upload refused (HTTP {status})")

    async def _post(
        self,
        url: str,
        data: bytes | aiohttp.FormData,
        headers: dict[str, str] | None,
        timeout: aiohttp.ClientTimeout,
    ) -> int:
        """A POST outside the Web API (an upload URL, a response_url), on the shared connection
        pool: its HTTP status, with the answer read so the connection can be used again."""
        async with AsyncExitStack() as stack:
            session = self.client.session
            if session is None:
                session = await stack.enter_async_context(aiohttp.ClientSession())
            async with session.post(url, data=data, headers=headers, timeout=timeout) as response:
                await response.read()
                return response.status

    # --- people ----------------------------------------------------------------------------------

    async def members(self, audience: str) -> list[Member]:
        return await self.directory.members(audience)

    async def find_people(self, by: LookupKind, values: Collection[str]) -> dict[str, Member]:
        """Slack knows people by e-mail address only (``users:read.email``)."""
        if by != "email":
            return {}
        return await self.directory.find_by_email(values)

    async def dm_channel(self, person: str) -> str:
        """The id of the bot's DM with a person (conversations.open is idempotent; cached)."""
        user = refs.user_id(person)
        channel = self._dm_channels.get(user)
        if channel is None:
            body = await self.api.call("conversations.open", users=user)
            channel = str(body["channel"]["id"])
            self._dm_channels[user] = channel
        return channel


def _carries_delivery(message: dict[str, Any], delivery_id: int) -> bool:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != actions.PROMPT_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload") or {}
    try:
        return int(payload.get("delivery_id", -1)) == delivery_id
    except (TypeError, ValueError):
        return False
