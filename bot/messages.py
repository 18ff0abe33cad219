"""Neutral outgoing messages: what the core asks an adapter to render.

Adapters turn these into Block Kit, Adaptive Cards or HTML; the core never builds a platform
payload itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal


class PromptState(StrEnum):
    """Where a prompt stands; decides which controls are rendered."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


@dataclass(frozen=True)
class Choice:
    """One answer button or menu entry: the stored ``value`` and what the person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class PromptItem:
    """One question inside a prompt, with its one-click choices (empty for ``text``).

    ``ends`` names the two ends of a numbered scale whose choices are bare numbers (0-10:
    "Not at all likely", "Extremely likely"), for the adapter to show at each end.
    """

    question_id: str
    ask: str
    kind: str
    choices: tuple[Choice, ...]
    comment_invited: bool
    recorded: str | None = None
    recorded_comment: bool = False
    ends: tuple[str, str] | None = None


@dataclass(frozen=True)
class Prompt:
    """A delivered prompt: one message, one or more items, the privacy note and snooze."""

    delivery_id: int
    workstream: str
    title: str
    items: tuple[PromptItem, ...]
    privacy_note: str
    closes: str
    state: PromptState = PromptState.OPEN
    can_change: bool = True
    is_reminder: bool = False
    status_line: str | None = None
    # An announcement ("you said, we did") has lines to read and no items to answer; it goes
    # through the same delivery ledger as a prompt, so it too arrives exactly once.
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled block of lines inside a report; ``fields`` are short label/value pairs."""

    heading: str
    lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    actions: tuple[Choice, ...] = ()  # buttons that belong with this section (Reply, …)


@dataclass(frozen=True)
class FormField:
    """One input of a form: free text, a choice, or a date (``YYYY-MM-DD``)."""

    name: str
    label: str
    kind: Literal["text", "choice", "date"] = "text"
    choices: tuple[Choice, ...] = ()
    required: bool = False
    placeholder: str = ""


@dataclass(frozen=True)
class Form:
    """Input the core asks for. The adapter shows it (a Slack modal, an Adaptive Card, a page
    form) and submits it as the command ``command`` with the text ``fixed`` and the fields'
    values by name (``CommandIssued.options``)."""

    title: str
    submit: str
    command: str
    fields: tuple[FormField, ...]
    fixed: str = ""


@dataclass(frozen=True)
class Report:
    """A digest, status overview, review or plain notice: title, sections, optional chart."""

    title: str
    sections: tuple[Section, ...] = ()
    summary: str | None = None
    image_png: bytes | None = field(default=None, repr=False)
    image_alt: str = ""
    actions: tuple[Choice, ...] = ()
    form: Form | None = None  # a reply that asks for input shows this form
    # The reply to an erasure: the person's data is gone, so the adapter delivers this without
    # storing anything about them again (no conversation reference, no copy of the message).
    leaves_no_trace: bool = False

    def rewritten(self, change: Callable[[str], str]) -> Report:
        """The same report with ``change`` applied to every text a reader sees (title,
        summary, headings, lines, fields, image description, button labels); a section's
        buttons and the form stay where they were."""
        return replace(
            self,
            title=change(self.title),
            summary=change(self.summary) if self.summary is not None else None,
            sections=tuple(
                Section(
                    change(part.heading),
                    tuple(change(line) for line in part.lines),
                    tuple((change(label), change(value)) for label, value in part.fields),
                    tuple(Choice(a.value, change(a.label)) for a in part.actions),
                )
                for part in self.sections
            ),
            image_alt=change(self.image_alt),
            actions=tuple(Choice(a.value, change(a.label)) for a in self.actions),
        )


def notice(text: str, title: str = "LearnPulse") -> Report:
    """A one-paragraph message (command replies, welcome, errors)."""
    return Report(title=title, summary=text)
