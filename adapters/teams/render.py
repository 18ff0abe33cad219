"""Neutral messages rendered as Adaptive Cards 1.5 (plain JSON; no SDK types).

A prompt's one-click answers are ``Action.Execute`` (Universal Actions: Teams sends an
``adaptiveCard/action`` invoke and shows the card returned in the invoke response) with an
``Action.Submit`` fallback for clients without Universal Actions (those send a message whose
``value`` carries the same data). Every action's data carries ``delivery_id`` and
``question_id``, so an answer finds its delivery without any lookup by message.

A report's buttons, and those of its sections (a quoted comment's Reply), are ``run`` actions
whose data holds the command to run for whoever presses them; a report that asks for input
carries its form's inputs and a ``run`` action that submits them (``forms.py``).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

from adapters.teams import forms
from bot.messages import Choice, Prompt, PromptItem, PromptState, Report, Section
from surveys.references import described, name_references

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"

ANSWER_VERB = "answer"
COMMENT_VERB = "comment"
SNOOZE_VERB = "snooze"
RUN_VERB = "run"

SNOOZE_DAYS = 7
MAX_BUTTONS_PER_ROW = 5  # Teams shows at most five actions side by side
MAX_FACT_TITLE = 40  # Teams squeezes a fact's title into a narrow column; longer ones get a line
TEXT_ANSWER_MAX = 1000
CHOOSE = "Choose an answer…"
COMMENT_MAX = 1000

Card = dict[str, Any]


def answer_input_id(question_id: str) -> str:
    """Input id of a typed or picked answer (merged into the action's data by Teams)."""
    return f"answer:{question_id}"


def comment_input_id(question_id: str) -> str:
    """Input id of an item's optional comment."""
    return f"comment:{question_id}"


def prompt_card(prompt: Prompt) -> Card:
    """The card of a prompt in its current state: open, answered (changeable) or closed."""
    if prompt.lines and not prompt.items:
        return announcement_card(prompt)
    title = f"Reminder: {prompt.title}" if prompt.is_reminder else prompt.title
    body: list[Card] = [
        _text(title, weight="Bolder", size="Medium"),
        _text(prompt.workstream, isSubtle=True, spacing="None"),
    ]
    if prompt.status_line:
        body.append(_text(prompt.status_line, color="Accent"))
    for item in prompt.items:
        body.append(_item_container(prompt, item))
    body.append(_text(prompt.privacy_note, size="Small", isSubtle=True, separator=True))
    if prompt.state is PromptState.CLOSED:
        body.append(_text("This question is closed; it can no longer be answered.", size="Small"))
    else:
        body.append(_text(f"Open until {prompt.closes}.", size="Small", spacing="None"))
    card = _card(body)
    if prompt.state is PromptState.OPEN:
        card["actions"] = [
            _execute(
                f"Snooze {SNOOZE_DAYS} days",
                SNOOZE_VERB,
                {"delivery_id": prompt.delivery_id, "days": SNOOZE_DAYS},
            )
        ]
    return card


def announcement_card(prompt: Prompt) -> Card:
    """An announcement ("you said, we did"): its lines to read, nothing to answer or snooze."""
    body: list[Card] = [
        _text(prompt.title, weight="Bolder", size="Medium"),
        _text(prompt.workstream, isSubtle=True, spacing="None"),
    ]
    body.extend(_text(line, spacing="Small") for line in prompt.lines)
    return _card(body)


def _item_container(prompt: Prompt, item: PromptItem) -> Card:
    items: list[Card] = [_text(item.ask, weight="Bolder")]
    if item.recorded is not None:
        note = " (with your comment)" if item.recorded_comment else ""
        items.append(_text(f"Your answer: {item.recorded}{note}", color="Good"))
    answerable = prompt.state is PromptState.OPEN or (
        prompt.state is PromptState.ANSWERED and prompt.can_change
    )
    if answerable:
        items.extend(_answer_controls(prompt.delivery_id, item))
    return {"type": "Container", "spacing": "Medium", "items": items}


def _answer_controls(delivery_id: int, item: PromptItem) -> list[Card]:
    base = {"delivery_id": delivery_id, "question_id": item.question_id}
    answered = item.recorded is not None
    controls: list[Card] = []
    if item.kind == "text":
        controls.append(
            {
                "type": "Input.Text",
                "id": answer_input_id(item.question_id),
                "isMultiline": True,
                "maxLength": TEXT_ANSWER_MAX,
                "placeholder": "Type your answer",
                "label": "Change your answer" if answered else "Your answer",
            }
        )
        controls.append(_action_set([_execute("Send", ANSWER_VERB, base)]))
        return controls
    if item.comment_invited:
        controls.append(
            {
                "type": "Input.Text",
                "id": comment_input_id(item.question_id),
                "isMultiline": True,
                "maxLength": COMMENT_MAX,
                "placeholder": "Add a comment (optional)",
            }
        )
    if item.kind == "choice":
        controls.append(
            {
                "type": "Input.ChoiceSet",
                "id": answer_input_id(item.question_id),
                "style": "compact",
                "label": "Change your answer" if answered else "Pick one",
                "placeholder": CHOOSE,  # and no "value": nothing is chosen until the person picks
                "choices": [{"title": c.label, "value": c.value} for c in item.choices],
            }
        )
        controls.append(_action_set([_execute("Send", ANSWER_VERB, base)]))
    else:
        buttons = [
            _execute(choice.label, ANSWER_VERB, {**base, "value": choice.value})
            for choice in item.choices
        ]
        controls.extend(_action_set(row) for row in _rows(buttons))
        if item.ends and item.choices:
            low, high = item.ends
            first, last = item.choices[0].label, item.choices[-1].label
            controls.append(
                _text(f"{first} = {low} · {last} = {high}", size="Small", isSubtle=True)
            )
    if answered and item.comment_invited:
        controls.append(_action_set([_execute("Add comment", COMMENT_VERB, base)]))
    return controls


def _rows(buttons: list[Card]) -> list[list[Card]]:
    """Split buttons into even rows of at most ``MAX_BUTTONS_PER_ROW`` (0-10 becomes 4/4/3)."""
    if not buttons:
        return []
    rows = math.ceil(len(buttons) / MAX_BUTTONS_PER_ROW)
    size = math.ceil(len(buttons) / rows)
    return [buttons[i : i + size] for i in range(0, len(buttons), size)]


def report_card(report: Report, names: Callable[[str], str] = described) -> Card:
    """A digest, review, status overview or notice; the chart travels as a data URI image.

    The core's references in its text (``teams:channel:…``, ``teams:<aad-id>``) are shown as
    ``names`` calls them (``names.TeamsNames``), never as ids.
    """
    report = report.rewritten(lambda text: name_references(text, names))
    body: list[Card] = [_text(report.title, weight="Bolder", size="Medium")]
    if report.summary:
        body.append(_text(report.summary))
    body.extend(_section(part) for part in report.sections if _shows_something(part))
    if report.image_png:
        encoded = base64.b64encode(report.image_png).decode("ascii")
        body.append(
            {
                "type": "Image",
                "url": f"data:image/png;base64,{encoded}",
                "altText": report.image_alt or report.title,
                "size": "Stretch",
            }
        )
    buttons = [_run_action(choice) for choice in report.actions]
    if len(buttons) > MAX_BUTTONS_PER_ROW:  # a list of actions, each with its buttons
        body.extend(_action_set(row) for row in _rows(buttons))
        buttons = []
    if report.form is not None:
        body.extend(forms.inputs(report.form))
    card = _card(body)
    if buttons:
        card["actions"] = buttons
    if report.form is not None:
        submit = _execute(report.form.submit, RUN_VERB, forms.submit_data(report.form))
        card["actions"] = [*card.get("actions", []), submit]
    return card


def _shows_something(section: Section) -> bool:
    return bool(section.heading or section.lines or section.fields or section.actions)


def _section(section: Section) -> Card:
    """A report's section in a container of its own, its buttons (Reply, …) inside it."""
    items: list[Card] = []
    if section.heading:
        items.append(_text(section.heading, weight="Bolder"))
    items.extend(_text(line, spacing="Small") for line in section.lines)
    items.extend(_fields(section.fields))
    if section.actions:
        items.extend(_action_set(row) for row in _rows([_run_action(c) for c in section.actions]))
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def _fields(fields: tuple[tuple[str, str], ...]) -> list[Card]:
    """Short label/value pairs as facts, in order; a long label (a whole question) would be
    squeezed into the facts' narrow title column, so it gets its own line, value below."""
    out: list[Card] = []
    facts: list[dict[str, str]] = []
    for label, value in fields:
        if len(label) <= MAX_FACT_TITLE:
            facts.append({"title": label, "value": value})
            continue
        if facts:
            out.append({"type": "FactSet", "facts": facts})
            facts = []
        out.append(_text(label, weight="Bolder", spacing="Small"))
        out.append(_text(value, spacing="None"))
    if facts:
        out.append({"type": "FactSet", "facts": facts})
    return out


def _run_action(choice: Choice) -> Card:
    return _execute(choice.label, RUN_VERB, {"value": choice.value})


def invoke_card_response(card: Card) -> dict[str, Any]:
    """The body of an ``adaptiveCard/action`` invoke response that replaces the card."""
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}


def invoke_message_response(text: str) -> dict[str, Any]:
    """The body of an ``adaptiveCard/action`` invoke response that shows a short message."""
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": text}


def attachment(card: Card) -> dict[str, Any]:
    """A card as a Bot Framework attachment."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def _card(body: list[Card]) -> Card:
    return {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body}


def _text(text: str, **style: Any) -> Card:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _action_set(actions: list[Card]) -> Card:
    return {"type": "ActionSet", "actions": actions}


def _execute(title: str, verb: str, data: dict[str, Any]) -> Card:
    """``Action.Execute`` with an ``Action.Submit`` fallback carrying the same data and verb."""
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": {**data, "verb": verb}},
    }
