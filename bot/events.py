"""Neutral incoming events: what an adapter turns a platform payload into.

People are named by a reference string (``slack:U0123``, ``teams:<aad-id>``, ``local:ana``); the
core never sees a platform payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    """Base of every incoming event: who caused it."""

    person: str


@dataclass(frozen=True)
class AnswerGiven(Event):
    """A one-click answer (or a typed one) to an item of a delivered prompt."""

    delivery_id: int
    question_id: str
    value: str
    comment: str | None = None


@dataclass(frozen=True)
class CommentGiven(Event):
    """A free-text comment added to an answer already given."""

    delivery_id: int
    question_id: str
    comment: str


@dataclass(frozen=True)
class CommandIssued(Event):
    """A slash command (Slack) or command message (Teams, local): ``name`` without the slash."""

    name: str
    text: str = ""
    channel: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # a submitted form's values


@dataclass(frozen=True)
class SnoozeRequested(Event):
    """Snooze from a prompt's or App Home's button; ``days`` 0 resumes."""

    days: int


@dataclass(frozen=True)
class HomeOpened(Event):
    """The person opened the bot's home (Slack App Home)."""


@dataclass(frozen=True)
class PersonSeen(Event):
    """First contact or profile refresh: app installed, member joined, a message arrived."""

    timezone: str | None = None
    display_name: str | None = None
    is_bot: bool = False
    active: bool = True
    welcome: bool = False
    extra: dict[str, str] = field(default_factory=dict)
