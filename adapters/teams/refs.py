"""The ``teams:`` references of PRODUCT.md and the conversation ids behind them."""

from __future__ import annotations

PLATFORM = "teams"
PERSON_PREFIX = f"{PLATFORM}:"
CHANNEL_PREFIX = f"{PLATFORM}:channel:"
TEAM_PREFIX = f"{PLATFORM}:team:"


def person_ref(aad_object_id: str) -> str:
    """``teams:<aad-object-id>``, lower-cased as Azure AD writes object ids."""
    return f"{PERSON_PREFIX}{aad_object_id.lower()}"


def channel_ref(conversation_id: str) -> str:
    return f"{CHANNEL_PREFIX}{conversation_id}"


def team_ref(team_id: str) -> str:
    return f"{TEAM_PREFIX}{team_id}"
