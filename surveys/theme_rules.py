"""Checks of the program file's ``themes:`` key beyond its types: a synonym or an ignored
phrase must be a phrase, a synonym must not lead to another synonym (one step names a theme),
and a phrase cannot be both merged and ignored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from surveys.themes import normalized
from surveys.yamlsource import Path


def check(themes: Any) -> Iterator[tuple[Path, str]]:
    """Problems of ``themes`` (the raw mapping), each with where it is in the file."""
    if not isinstance(themes, dict):
        return
    synonyms = themes.get("synonyms")
    ignore = themes.get("ignore")
    ignored = (
        {normalized(p) for p in ignore if isinstance(p, str)} if isinstance(ignore, list) else set()
    )
    if isinstance(synonyms, dict):
        merged = {normalized(k) for k in synonyms if isinstance(k, str)}
        for phrase, theme in synonyms.items():
            at: Path = ("themes", "synonyms", phrase)
            if not isinstance(phrase, str) or not isinstance(theme, str):
                continue  # the model's own validation says so
            if not normalized(phrase) or not normalized(theme):
                yield at, f"themes.synonyms: {phrase!r}: {theme!r}: both sides must be a phrase"
            elif normalized(theme) in merged and normalized(theme) != normalized(phrase):
                yield (
                    at,
                    (
                        f"themes.synonyms: {phrase!r} maps to {theme!r}, which is itself "
                        "a synonym; map it to the final theme"
                    ),
                )
            elif normalized(phrase) in ignored or normalized(theme) in ignored:
                yield at, f"themes.synonyms: {phrase!r} is also in themes.ignore"
    if isinstance(ignore, list):
        for i, phrase in enumerate(ignore):
            if isinstance(phrase, str) and not normalized(phrase):
                yield ("themes", "ignore", i), "themes.ignore: an empty phrase"
