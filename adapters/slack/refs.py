"""LearnPulse references (``slack:U…``, ``slack:channel:C…``, ``slack:group:S…``) ↔ Slack ids."""

from __future__ import annotations

from surveys.references import RefKind, described, kind_of

PREFIX = "slack:"
CHANNEL_PREFIX = "slack:channel:"
GROUP_PREFIX = "slack:group:"


class NotASlackReference(ValueError):
    """The reference does not name the kind of Slack thing the caller needs."""


def person_ref(user_id: str) -> str:
    """The core's name for a Slack user."""
    return PREFIX + user_id


def channel_ref(channel_id: str) -> str:
    """The core's name for a Slack channel."""
    return CHANNEL_PREFIX + channel_id


def user_id(ref: str) -> str:
    """The Slack user id of a person reference (``slack:U0123`` → ``U0123``)."""
    if not ref.startswith(PREFIX) or ref.startswith((CHANNEL_PREFIX, GROUP_PREFIX)):
        raise NotASlackReference(f"{ref!r} is not a Slack person reference")
    return ref.removeprefix(PREFIX)


def channel_id(ref: str) -> str:
    """The Slack channel id of a channel reference (``slack:channel:C0123`` → ``C0123``)."""
    if not ref.startswith(CHANNEL_PREFIX):
        raise NotASlackReference(f"{ref!r} is not a Slack channel reference")
    return ref.removeprefix(CHANNEL_PREFIX)


def group_id(ref: str) -> str:
    """The Slack user group id of a group reference (``slack:group:S0123`` → ``S0123``)."""
    if not ref.startswith(GROUP_PREFIX):
        raise NotASlackReference(f"{ref!r} is not a Slack user group reference")
    return ref.removeprefix(GROUP_PREFIX)


def mention(ref: str) -> str:
    """How Slack mrkdwn shows a reference: ``<#C…>`` a channel, ``<@U…>`` a person (Slack
    draws the name); anything else in words, never its id."""
    kind = kind_of(ref)
    if kind is RefKind.CHANNEL and ref.startswith(CHANNEL_PREFIX):
        return f"<#{channel_id(ref)}>"
    if kind is RefKind.PERSON and ref.startswith(PREFIX):
        return f"<@{user_id(ref)}>"
    return described(ref)
