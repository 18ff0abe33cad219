"""The answers a question kind accepts, how they are shown, and their numeric score."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.messages import Choice
from storage.crypto import Vault

SCALE_LABELS = ("Very low", "Low", "Moderate", "High", "Very high")
AGREEMENT_LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")
ENPS_ENDS = ("Not at all likely", "Extremely likely")  # the words of the standard eNPS question
MAX_TEXT = 2000
# A number answer as our buttons send it: ASCII digits only. ``str.isdigit`` also accepts "²"
# and "٣", and ``lstrip("-")`` lets "--3" through, and ``int()`` then raises or reads them.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,6}")


class InvalidAnswer(ValueError):
    """The value does not fit the question; the message is safe to show the person."""


def choices_for(
    kind: str, options: list[str] | None, statement: bool = False
) -> tuple[Choice, ...]:
    """The one-click choices of a question kind (none for ``text``)."""
    return _choices(kind, tuple(options or ()), statement)


@lru_cache(maxsize=1024)
def _choices(kind: str, options: tuple[str, ...], statement: bool) -> tuple[Choice, ...]:
    """The choices, built once per distinct question shape: every prompt re-rendered after a
    click asks for them again."""
    if kind == "scale":
        labels = AGREEMENT_LABELS if statement else SCALE_LABELS
        return tuple(Choice(str(i), f"{i} · {label}") for i, label in enumerate(labels, start=1))
    if kind == "enps":
        return tuple(Choice(str(i), str(i)) for i in range(11))
    if kind == "yes_no":
        return (Choice("yes", "Yes"), Choice("no", "No"))
    if kind == "choice":
        return tuple(Choice(option, option) for option in options)
    return ()


def scale_ends(kind: str) -> tuple[str, str] | None:
    """What the lowest and highest of a bare-number scale mean (0 and 10 of ``enps``); None
    for kinds whose every choice says it in words."""
    return ENPS_ENDS if kind == "enps" else None


def check(kind: str, value: str, options: list[str] | None) -> tuple[str, float | None]:
    """Validate a raw value; return the stored value and its score (None when not numeric)."""
    value = value.strip()
    if kind in ("scale", "enps"):
        low, high = (1, 5) if kind == "scale" else (0, 10)
        if WHOLE_NUMBER.fullmatch(value) is None or not low <= int(value) <= high:
            shown = value if len(value) <= 12 else f"{value[:12]}…"
            raise InvalidAnswer(
                f"{shown!r} is not an answer here: pick a number from {low} to {high}."
            )
        return str(int(value)), float(int(value))
    if kind == "yes_no":
        lowered = value.lower()
        if lowered not in ("yes", "no"):
            raise InvalidAnswer("Answer yes or no.")
        return lowered, 1.0 if lowered == "yes" else 0.0
    if kind == "choice":
        if value not in (options or []):
            raise InvalidAnswer("Pick one of the offered options.")
        return value, None
    if not value:
        raise InvalidAnswer("The answer is empty.")
    if len(value) > MAX_TEXT:
        raise InvalidAnswer(f"Keep it under {MAX_TEXT} characters.")
    return value, None


def label_of(kind: str, value: str, options: list[str] | None, statement: bool = False) -> str:
    for choice in choices_for(kind, options, statement):
        if choice.value == value:
            return choice.label
    return value


def is_free_text(kind: str) -> bool:
    """Free-text answers are encrypted at rest, like comments; the others are counted in SQL."""
    return kind == "text"


def stored_value(vault: Vault, kind: str, value: str) -> str:
    """The value as written to the database: encrypted for free text, as is otherwise."""
    return vault.encrypt(value) if is_free_text(kind) and value else value


def readable_value(vault: Vault, kind: str, stored: str) -> str:
    """The value as a person wrote it (free text decrypted; a value under another key stays
    unreadable rather than shown as ciphertext)."""
    if not is_free_text(kind) or not stored:
        return stored
    try:
        return vault.decrypt(stored)
    except ValueError:
        return "[cannot be decrypted with LEARNPULSE_SECRET_KEY]"
