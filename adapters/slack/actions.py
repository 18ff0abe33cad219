"""The ids that travel inside Block Kit and come back in interaction payloads.

``render`` writes them and ``translate`` reads them; keeping them in one place is the contract.
Every item's controls sit in one actions block whose ``block_id`` names the delivery and question,
so element values can stay the plain stored answer value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

ANSWER = "lp_answer"  # buttons: lp_answer_0, lp_answer_1, …; value = the answer value
CHOICE = "lp_choice"  # static_select of a ``choice`` question; option value = the answer value
CHANGE = "lp_change"  # static_select "Change answer" after answering
COMMENT = "lp_comment"  # button: open the comment modal
TEXT = "lp_text"  # button: open the free-text answer modal
SNOOZE = "lp_snooze"  # buttons: lp_snooze_1, lp_snooze_7, …; value = days (0 resumes)
REPORT = "lp_report"  # buttons of a report's actions: lp_report_0, …; value = the action value

COMMENT_MODAL = "lp_comment_modal"
TEXT_MODAL = "lp_text_modal"
MODAL_INPUT_BLOCK = "lp_input"
MODAL_INPUT_ACTION = "text"
FORM_MODAL = "lp_form"  # a core ``Form`` (plan an action, reply to a comment) as a modal
FORM_FIELD = "lp_field:"  # input block of a form field: lp_field:<field name>
FORM_VALUE = "value"  # the action_id of every form field's element
MAX_METADATA = 3000  # Slack's limit on a view's private_metadata

PROMPT_EVENT_TYPE = "learnpulse_prompt"  # Slack message metadata event_type of every prompt

_ITEM_PREFIX = "lp:"


def item_block_id(delivery_id: int, question_id: str) -> str:
    """``lp:<delivery>:<question>``: which prompt item an actions block belongs to."""
    return f"{_ITEM_PREFIX}{delivery_id}:{question_id}"


def parse_item_block_id(block_id: str) -> tuple[int, str] | None:
    """The (delivery id, question id) of an item block, or None for any other block."""
    if not block_id.startswith(_ITEM_PREFIX):
        return None
    delivery, _, question = block_id.removeprefix(_ITEM_PREFIX).partition(":")
    if not delivery.isdigit() or not question:
        return None
    return int(delivery), question


def snooze_block_id(delivery_id: int | None) -> str:
    return f"lp_snooze:{delivery_id}" if delivery_id is not None else "lp_snooze:home"


@dataclass(frozen=True)
class ModalContext:
    """What a comment or text-answer modal is about; travels in the view's private_metadata."""

    delivery_id: int
    question_id: str
    channel: str | None = None  # the DM the prompt lives in, for a private reply

    def dumps(self) -> str:
        return json.dumps({"d": self.delivery_id, "q": self.question_id, "c": self.channel})

    @classmethod
    def loads(cls, text: str) -> ModalContext | None:
        try:
            data = json.loads(text)
            return cls(int(data["d"]), str(data["q"]), data.get("c"))
        except (ValueError, KeyError, TypeError):
            return None


def form_field_block_id(name: str) -> str:
    return f"{FORM_FIELD}{name}"


def parse_form_field_block_id(block_id: str) -> str | None:
    """The field name of a form's input block, or None for any other block."""
    if not block_id.startswith(FORM_FIELD):
        return None
    return block_id.removeprefix(FORM_FIELD) or None


@dataclass(frozen=True)
class FormContext:
    """What a submitted form runs: the command and its fixed text (a workstream id, a reply
    token), and the channel it was asked from when that is a shared one (a DM is not kept: the
    reply goes to the person's DM anyway). Nothing about the person travels in it."""

    command: str
    fixed: str
    channel: str | None = None

    def dumps(self) -> str | None:
        """The private_metadata, or None when it would not fit Slack's limit."""
        text = json.dumps({"f": self.command, "t": self.fixed, "c": self.channel})
        return text if len(text) <= MAX_METADATA else None

    @classmethod
    def loads(cls, text: str) -> FormContext | None:
        try:
            data = json.loads(text)
            channel = data.get("c")
            return cls(str(data["f"]), str(data["t"]), str(channel) if channel else None)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
