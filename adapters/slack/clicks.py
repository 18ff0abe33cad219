"""A click, as it waits in the click backlog: only what handling it needs, out of its payload.

Clicks arrive over HTTP (``fast_clicks``) or Socket Mode (bolt's ``on_action`` listener); both
take the click out of its ``block_actions`` payload here and leave the payload behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.slack import translate
from adapters.slack.adapter import ClickOrigin
from adapters.slack.translate import Payload
from bot.events import Event


@dataclass(frozen=True)
class Click:
    """What handling a click needs, taken out of its payload before it waits in the backlog."""

    action: Event | translate.OpenModal
    origin: ClickOrigin | None
    in_home: bool  # clicked in the App Home tab (else on a message)
    response_url: str
    trigger_id: str = ""  # opens a modal when the click's reply asks for a form
    channel: str | None = None  # the shared channel clicked in (None: a DM or the Home tab)


def click_of(body: Payload) -> Click | None:
    """The click of a ``block_actions`` payload; None for one that is not ours."""
    action = translate.action(body)
    if action is None:
        return None
    container = body.get("container") or {}
    response_url = str(body.get("response_url") or "")
    return Click(
        action,
        _click_origin(body),
        container.get("type") == "view",
        response_url,
        trigger_id=str(body.get("trigger_id") or ""),
        channel=translate.conversation_of(body),
    )


def _click_origin(body: Payload) -> ClickOrigin | None:
    """Where a click on a message came from, when Slack gave a response_url to answer it."""
    container = body.get("container") or {}
    response_url = str(body.get("response_url") or "")
    if container.get("type") != "message" or not response_url:
        return None
    return ClickOrigin(
        channel=str(container.get("channel_id", "")),
        ts=str(container.get("message_ts", "")),
        response_url=response_url,
    )
