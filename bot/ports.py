"""The narrow seams the core depends on: the chat adapter and the clock.

Adapters implement ``ChatAdapter``; ``SendError`` subclasses tell the delivery ledger whether a
failure is worth retrying.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from bot.messages import Prompt, Report


@dataclass(frozen=True)
class MessageRef:
    """Where a sent message lives, so it can be updated later."""

    conversation: str
    message_id: str


@dataclass(frozen=True)
class Member:
    """A person found in an audience, with what the platform says about them."""

    person: str
    timezone: str | None = None
    display_name: str | None = None
    is_bot: bool = False
    active: bool = True


LookupKind = Literal["email", "upn", "aad_object_id"]
LOOKUP_KINDS: tuple[LookupKind, ...] = ("email", "upn", "aad_object_id")


class Overloaded(Exception):
    """The core already holds as many of these events as it may; the platform should send this
    one again after ``retry_after`` seconds. Raised only to a caller that asked not to wait
    (``dispatch(event, wait_for_room=False)``)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy; retry after {retry_after} s")
        self.retry_after = retry_after


class SendError(Exception):
    """A platform call failed; ``reason`` is safe to show an admin (never an answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    """Worth retrying: rate limited, server error, connection lost.

    ``outcome_unknown``: the message may have arrived (the connection was lost after the
    request went out, and the platform could not be asked since); it must be looked for before
    it is sent again."""

    def __init__(
        self, reason: str, retry_after: float | None = None, outcome_unknown: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class PermanentSendError(SendError):
    """Not worth retrying: the person is gone, the app is not installed, no such channel."""


class NoAdapterError(LookupError):
    """No adapter is configured for a reference's platform."""


@runtime_checkable
class Clock(Protocol):
    """The only source of the current time (timezone-aware UTC)."""

    def now(self) -> datetime: ...


@runtime_checkable
class ChatAdapter(Protocol):
    """What the core needs from a chat platform. ``platform`` is the reference prefix it owns."""

    platform: str

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        """Post a prompt to a person's 1:1 chat; the delivery id travels with the message."""
        ...

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        """Re-render a prompt in place (answer recorded, window closed)."""
        ...

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        """After a crash: did the prompt for this delivery arrive? Look, never resend blind."""
        ...

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        """A private message to one person (welcome, own trend, reminders of state)."""
        ...

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        """A message to a channel reference (digests, review)."""
        ...

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        """A file to a person privately (their data export)."""
        ...

    async def members(self, audience: str) -> list[Member]:
        """Expand an audience reference (channel, group, team, or one person) to people."""
        ...

    async def find_people(self, by: LookupKind, values: Collection[str]) -> dict[str, Member]:
        """The people the platform knows by these e-mail addresses, user principal names or
        AAD object ids, keyed by the value as given lower-cased; values it does not know (or
        a kind it has no use for) are left out."""
        ...


class ChatAdapters(Protocol):
    """The adapters of the running app, by the platform of a reference."""

    def for_ref(self, ref: str) -> ChatAdapter:
        """The adapter serving ``ref`` (raises ``NoAdapterError`` when none is enabled)."""
        ...

    def serves(self, ref: str) -> bool: ...

    def enabled(self) -> list[ChatAdapter]:
        """Each enabled adapter once (one may serve several platforms)."""
        ...
