"""HTML for the playground: jinja2 templates, and stored message bodies turned into view items.

Prompts and reports are rebuilt from their stored JSON (``codec``) and rendered by the templates
in ``templates/``: prompt cards with their answer controls, reports with sections and the chart
inline as a ``data:`` URI, files as download links.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from adapters.local.codec import prompt_from_json, report_from_json
from adapters.local.store import StoredMessage
from bot.messages import Prompt, PromptItem, Report
from surveys.references import described, name_references

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _data_uri(png: bytes | None) -> str:
    return "data:image/png;base64," + base64.b64encode(png or b"").decode("ascii")


def _recorded_label(item: PromptItem) -> str | None:
    """What the person answered, in the words of the button they pressed."""
    if item.recorded is None:
        return None
    for choice in item.choices:
        if choice.value == item.recorded:
            return choice.label
    return item.recorded


def make_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["data_uri"] = _data_uri
    environment.filters["recorded_label"] = _recorded_label
    return environment


@dataclass(frozen=True)
class ViewItem:
    """One message as a template draws it: exactly one of prompt, report or file is set."""

    id: int
    at: str
    edited: bool
    prompt: Prompt | None = None
    report: Report | None = None
    file: dict[str, Any] | None = None
    superseded: bool = False  # a newer message (a reminder) carries the same delivery


def named(report: Report | None, names: Callable[[str], str] = described) -> Report | None:
    """The report with the core's references in its text (``slack:channel:C…``) shown as
    ``names`` calls them (the directory's ``#channel`` and people's names)."""
    if report is None:
        return None
    return report.rewritten(lambda text: name_references(text, names))


def view_items(
    messages: list[StoredMessage], zone: ZoneInfo, names: Callable[[str], str] = described
) -> list[ViewItem]:
    """Turn stored messages into view items, times shown in the reader's zone, references
    named by ``names``.

    A reminder is a new message for the same delivery; only the newest one is drawn with its
    controls, the older ones point to it.
    """
    newest: dict[int, int] = {}
    for message in messages:
        if message.kind == "prompt" and message.delivery_id is not None:
            newest[message.delivery_id] = message.id
    items: list[ViewItem] = []
    for message in messages:
        at = local_time(message.created_at, zone)
        edited = message.updated_at != message.created_at
        if message.kind == "prompt":
            prompt = prompt_from_json(message.body["prompt"])
            later = newest.get(prompt.delivery_id, message.id) != message.id
            items.append(ViewItem(message.id, at, edited, prompt=prompt, superseded=later))
        elif message.kind == "file":
            items.append(ViewItem(message.id, at, edited, file=message.body))
        else:
            report = report_from_json(message.body["report"]).rewritten(
                lambda text: name_references(text, names)
            )
            items.append(ViewItem(message.id, at, edited, report=report))
    return items


def local_time(instant: datetime, zone: ZoneInfo) -> str:
    """``Mon 30 Nov 10:00`` in the given zone."""
    return instant.astimezone(zone).strftime("%a %d %b %H:%M")
