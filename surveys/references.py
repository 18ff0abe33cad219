"""Reference strings for people and places (``PLATFORM:ID``) and what each kind may name."""

from __future__ import annotations

import re
from enum import StrEnum


class RefKind(StrEnum):
    PERSON = "person"
    CHANNEL = "channel"
    GROUP = "group"
    TEAM = "team"


_PATTERNS: dict[RefKind, re.Pattern[str]] = {
    RefKind.PERSON: re.compile(
        r"^(slack:[UW][A-Z0-9]{2,}|teams:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
        r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|local:[a-z0-9][a-z0-9._-]*)$"
    ),
    RefKind.CHANNEL: re.compile(
        r"^(slack:channel:[CGD][A-Z0-9]{2,}|teams:channel:\S+|local:channel:\S+)$"
    ),
    RefKind.GROUP: re.compile(r"^slack:group:S[A-Z0-9]{2,}$"),
    RefKind.TEAM: re.compile(r"^teams:team:\S+$"),
}

FORMATS = (
    "slack:U…, slack:channel:C…, slack:group:S…, teams:<aad-object-id>, "
    "teams:channel:<conversation-id>, teams:team:<team-id>"
)


def kind_of(ref: str) -> RefKind | None:
    """Which kind of reference ``ref`` is, or None when it matches no known format."""
    for kind, pattern in _PATTERNS.items():
        if pattern.match(ref):
            return kind
    return None


def platform_of(ref: str) -> str:
    """The platform prefix of a reference (``slack``, ``teams``, ``local``)."""
    return ref.split(":", 1)[0]


def check(ref: object, allowed: set[RefKind], what: str) -> str | None:
    """An error message when ``ref`` is not a reference of an allowed kind, else None."""
    if not isinstance(ref, str):
        return f"{what} must be a reference string like slack:U0123ABC, got {ref!r}"
    kind = kind_of(ref)
    if kind is None:
        return f"{what} {ref!r} is not a known reference format ({FORMATS})"
    if kind not in allowed:
        names = " or ".join(sorted(k.value for k in allowed))
        return f"{what} {ref!r} is a {kind.value} reference; expected a {names}"
    return None
