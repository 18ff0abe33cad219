"""Slack payloads → the core's neutral events (or, for a button that opens a modal, what to open).

Pure functions over the parsed payloads Slack sends: slash-command forms, ``block_actions``,
``view_submission`` and Events API callbacks. Nothing here talks to Slack or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from adapters.slack import actions, refs
from bot.events import AnswerGiven, CommandIssued, CommentGiven, Event, PersonSeen, SnoozeRequested
from bot.ports import Member

Payload = dict[str, Any]


@dataclass(frozen=True)
class OpenModal:
    """A click that needs a modal first ("add a comment", a free-text answer)."""

    kind: Literal["comment", "answer"]
    context: actions.ModalContext
    ask: str | None
    trigger_id: str


def command(body: Payload) -> CommandIssued:
    """A slash command form (``command=/learning-status&text=lms&user_id=U…``)."""
    channel = body.get("channel_id")
    return CommandIssued(
        person=refs.person_ref(str(body["user_id"])),
        name=str(body["command"]).lstrip("/"),
        text=str(body.get("text") or "").strip(),
        channel=refs.channel_ref(str(channel)) if channel else None,
    )


def click_problem(body: Payload) -> str | None:
    """What makes a ``block_actions`` payload unlike any Slack sends, or None when it is fine."""
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return "a block_actions payload names no user"
    pressed = body.get("actions")
    if not isinstance(pressed, list) or not pressed or not isinstance(pressed[0], dict):
        return "a block_actions payload has no actions"
    return None


def action(body: Payload) -> Event | OpenModal | None:
    """The first action of a ``block_actions`` payload; None for anything not ours."""
    pressed = (body.get("actions") or [{}])[0]
    action_id = str(pressed.get("action_id", ""))
    block_id = str(pressed.get("block_id", ""))
    person = refs.person_ref(str(body["user"]["id"]))
    if action_id.startswith(actions.SNOOZE):
        return SnoozeRequested(person=person, days=_int(pressed.get("value"), default=0))
    if action_id.startswith(actions.REPORT):
        return report_action(person, str(pressed.get("value", "")))
    item = actions.parse_item_block_id(block_id)
    if item is None:
        return None
    delivery_id, question_id = item
    if action_id.startswith(actions.ANSWER):
        return AnswerGiven(person, delivery_id, question_id, str(pressed.get("value", "")))
    if action_id in (actions.CHOICE, actions.CHANGE):
        selected = pressed.get("selected_option") or {}
        if "value" not in selected:
            return None
        return AnswerGiven(person, delivery_id, question_id, str(selected["value"]))
    if action_id in (actions.COMMENT, actions.TEXT):
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        return OpenModal(
            kind="comment" if action_id == actions.COMMENT else "answer",
            context=actions.ModalContext(delivery_id, question_id, channel),
            ask=_ask_before(body, block_id),
            trigger_id=str(body.get("trigger_id", "")),
        )
    return None


def report_action(person: str, value: str) -> Event | None:
    """A button of a report (App Home): ``snooze:<days>``, ``resume`` or ``/command args``."""
    if value == "resume":
        return SnoozeRequested(person=person, days=0)
    if value.startswith("snooze:"):
        return SnoozeRequested(person=person, days=_int(value.removeprefix("snooze:"), default=0))
    if value.startswith("/"):
        name, _, text = value[1:].partition(" ")
        return CommandIssued(person=person, name=name, text=text.strip())
    return None


def view_submission(body: Payload) -> Event | None:
    """A submitted comment or free-text answer modal."""
    view = body.get("view") or {}
    context = actions.ModalContext.loads(str(view.get("private_metadata", "")))
    if context is None:
        return None
    values = (view.get("state") or {}).get("values") or {}
    typed = (values.get(actions.MODAL_INPUT_BLOCK) or {}).get(actions.MODAL_INPUT_ACTION) or {}
    text = str(typed.get("value") or "").strip()
    if not text:
        return None
    person = refs.person_ref(str(body["user"]["id"]))
    if view.get("callback_id") == actions.COMMENT_MODAL:
        return CommentGiven(person, context.delivery_id, context.question_id, text)
    if view.get("callback_id") == actions.TEXT_MODAL:
        return AnswerGiven(person, context.delivery_id, context.question_id, text)
    return None


REQUIRED = "Please fill this in."
NOT_A_DATE = "Pick a date from the calendar (YYYY-MM-DD)."


@dataclass(frozen=True)
class FormSubmission:
    """A submitted form: the command it runs, or what to correct (input block id -> message,
    Slack's ``response_action: errors``), and the shared channel it was asked from."""

    command: CommandIssued | None
    errors: dict[str, str] = field(default_factory=dict)
    channel: str | None = None  # a Slack channel id


def form_submission(body: Payload) -> FormSubmission | None:
    """The command a submitted form modal runs, with each field's value by name; None for a
    view that is not one of our forms. The view Slack sends back is the one the bot opened, so
    which fields are required and which are dates is read from its blocks."""
    view = body.get("view") or {}
    context = actions.FormContext.loads(str(view.get("private_metadata", "")))
    if view.get("callback_id") != actions.FORM_MODAL or context is None:
        return None
    state = (view.get("state") or {}).get("values") or {}
    options: dict[str, str] = {}
    errors: dict[str, str] = {}
    for block in view.get("blocks") or []:
        name = actions.parse_form_field_block_id(str(block.get("block_id", "")))
        if block.get("type") != "input" or name is None:
            continue
        given = (state.get(block["block_id"]) or {}).get(actions.FORM_VALUE) or {}
        value = _form_value(given)
        problem = _form_problem(block, value)
        if problem:
            errors[block["block_id"]] = problem
        elif value:
            options[name] = value
    if errors:
        return FormSubmission(None, errors)
    person = refs.person_ref(str(body["user"]["id"]))
    channel = refs.channel_ref(context.channel) if context.channel else None
    issued = CommandIssued(person=person, name=context.command, text=context.fixed,
                           channel=channel, options=options)  # fmt: skip
    return FormSubmission(issued, channel=context.channel)


def _form_value(given: Payload) -> str:
    kind = given.get("type")
    if kind == "static_select":
        return str((given.get("selected_option") or {}).get("value") or "")
    if kind == "datepicker":
        return str(given.get("selected_date") or "")
    return str(given.get("value") or "").strip()


def _form_problem(block: Payload, value: str) -> str | None:
    if not value:
        return None if block.get("optional") else REQUIRED
    if (block.get("element") or {}).get("type") == "datepicker":
        try:
            date.fromisoformat(value)
        except ValueError:
            return NOT_A_DATE
    return None


def conversation_of(body: Payload) -> str | None:
    """The channel a command or click came from, when it is a shared one (not a DM)."""
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    return str(channel) if channel and not str(channel).startswith("D") else None


def modal_context(body: Payload) -> actions.ModalContext | None:
    view = body.get("view") or {}
    return actions.ModalContext.loads(str(view.get("private_metadata", "")))


def person_seen(user_id: str, profile: Member | None, welcome: bool) -> PersonSeen:
    """First contact or a profile refresh, with what Slack's profile says."""
    return PersonSeen(
        person=refs.person_ref(user_id),
        timezone=profile.timezone if profile else None,
        display_name=profile.display_name if profile else None,
        is_bot=profile.is_bot if profile else False,
        active=profile.active if profile else True,
        welcome=welcome,
    )


def is_from_a_person(event: Payload) -> bool:
    """A message event typed by a human: no bot, no edits, joins or other subtypes."""
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))


def _ask_before(body: Payload, block_id: str) -> str | None:
    """The question text of the item whose actions block was used (from the message itself)."""
    blocks = (body.get("message") or {}).get("blocks") or []
    previous: str | None = None
    for block in blocks:
        if block.get("block_id") == block_id:
            return previous
        if block.get("type") == "section" and isinstance(block.get("text"), dict):
            text = str(block["text"].get("text", "")).strip("*")
            previous = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") or None
    return None


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default
