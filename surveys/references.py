"""Reference strings for people and places (``PLATFORM:ID``) and what each kind may name."""

from __future__ import annotations

import re
from collections.abc import Callable
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


# A reference inside a sentence: not part of a longer word or address, and up to the first
# space, bracket, quote or list punctuation (ids never contain those).
_IN_TEXT = re.compile(r"(?<![\w:/@.-])(?:slack|teams|local):[^\s<>()\[\]{}\"'“”\u2018\u2019,;]+")
_SENTENCE_END = ".:!?"
_PLATFORMS = {"slack": "Slack", "teams": "Teams", "local": "playground"}
_DESCRIBED = {
    RefKind.PERSON: "a {} user",
    RefKind.CHANNEL: "a {} channel",
    RefKind.GROUP: "a {} user group",
    RefKind.TEAM: "a {} team",
}


def name_references(text: str, name_of: Callable[[str], str]) -> str:
    """``text`` with each reference in it (``slack:channel:C…``, ``teams:<aad-id>`` …) replaced
    by what ``name_of`` calls it. Punctuation ending the sentence after a reference stays; a
    string that only looks like a reference is left alone.

    The core writes references in some of its report text ("Posted the lms digest to
    slack:channel:C0LMS"); each adapter names them the way its platform shows people and
    places, once, where it renders a report.
    """

    def named(found: re.Match[str]) -> str:
        ref = found.group(0)
        ref, tail = ref.rstrip(_SENTENCE_END), ref[len(ref.rstrip(_SENTENCE_END)) :]
        return name_of(ref) + tail if kind_of(ref) is not None else found.group(0)

    return _IN_TEXT.sub(named, text)


def described(ref: str) -> str:
    """A reference in words, without its id ("a Teams channel"), for a platform that cannot
    show it by name."""
    kind = kind_of(ref)
    platform = _PLATFORMS.get(platform_of(ref), platform_of(ref))
    return _DESCRIBED[kind].format(platform) if kind is not None else ref
