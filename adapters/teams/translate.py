"""Teams activities translated into neutral events and stored-reference documents.

Pure functions over botbuilder ``Activity`` objects and raw activity JSON; nothing here talks to
the network or the database.
"""

from __future__ import annotations

import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.teams import forms, render
from adapters.teams.refs import CHANNEL_PREFIX, TEAM_PREFIX, channel_ref, person_ref, team_ref
from bot.commands.table import COMMAND_NAMES
from bot.events import AnswerGiven, CommandIssued, CommentGiven, Event, SnoozeRequested
from surveys.references import RefKind, kind_of

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_THREAD_SUFFIX = re.compile(r";messageid=\d+$")


def person_of(activity: Activity) -> str | None:
    """``teams:<aad-object-id>`` of the sender, or None when Teams did not say who it is.

    Teams always sends ``aadObjectId``; the Bot Framework Emulator does not, but its user ids
    are GUIDs, which are used instead (a Teams user id, ``29:…``, never looks like one).
    """
    sender = activity.from_property
    if sender is None:
        return None
    for candidate in (getattr(sender, "aad_object_id", None), sender.id):
        ref = person_ref(str(candidate))
        if candidate and kind_of(ref) is RefKind.PERSON:
            return ref
    return None


def conversation_type(activity: Activity) -> str:
    """``personal``, ``channel`` or ``groupChat`` (``personal`` when Teams does not say)."""
    conversation = activity.conversation
    return str(getattr(conversation, "conversation_type", None) or "personal")


def channel_conversation_id(conversation_id: str) -> str:
    """A channel's conversation id without the thread suffix (``;messageid=…``)."""
    return _THREAD_SUFFIX.sub("", conversation_id)


def reference_keys(body: dict[str, Any], person: str | None) -> list[str]:
    """Under which references a conversation is stored: the person's 1:1 chat, or a channel
    or group chat and, for a team's channel, the team itself."""
    conversation = body.get("conversation") or {}
    kind = conversation.get("conversationType") or "personal"
    if kind == "personal":
        return [person] if person else []
    keys = [channel_ref(channel_conversation_id(str(conversation.get("id", ""))))]
    team_id = ((body.get("channelData") or {}).get("team") or {}).get("id")
    if team_id:
        keys.append(team_ref(team_id))
    return keys


def reference_document(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The part of an incoming activity needed to write to its conversation later.

    Channel and team references point at the channel itself, not at the thread the activity
    came from, and no reference keeps the activity id (proactive posts are new messages).
    """
    conversation = dict(body.get("conversation") or {})
    tenant = conversation.get("tenantId") or (
        ((body.get("channelData") or {}).get("tenant") or {}).get("id")
    )
    if key.startswith(TEAM_PREFIX):
        conversation_id = key.removeprefix(TEAM_PREFIX)
    elif key.startswith(CHANNEL_PREFIX):
        conversation_id = key.removeprefix(CHANNEL_PREFIX)
    else:
        conversation_id = str(conversation.get("id", ""))
    sender = body.get("from") or {}
    document: dict[str, Any] = {
        "channelId": body.get("channelId") or "msteams",
        "serviceUrl": body.get("serviceUrl"),
        "bot": {"id": (body.get("recipient") or {}).get("id")},
        "conversation": {
            "id": conversation_id,
            "conversationType": conversation.get("conversationType") or "personal",
            "tenantId": tenant,
            "isGroup": conversation.get("conversationType") not in (None, "personal"),
        },
    }
    if conversation.get("conversationType") in (None, "personal"):
        document["user"] = {"id": sender.get("id"), "aadObjectId": sender.get("aadObjectId")}
    return document


def command_of(activity: Activity) -> tuple[str, str] | None:
    """``(name, arguments)`` when a message is one of the commands, else None.

    The bot's @mention (in channels) and a leading slash are ignored: ``@LearnPulse
    /learning-status lms`` and ``learning-status lms`` are the same command.
    """
    text = activity.text or ""
    if activity.recipient is not None and activity.entities:
        text = TurnContext.remove_recipient_mention(activity) or text
    text = _MENTION.sub(" ", text).replace("&nbsp;", " ").strip()
    if not text:
        return None
    word, _, rest = text.partition(" ")
    name = word.lstrip("/").lower()
    if name not in COMMAND_NAMES:
        return None
    return name, rest.strip()


def action_event(person: str, verb: str, data: dict[str, Any]) -> Event | str:
    """The event a card action stands for, or a short reason it cannot be one."""
    if verb == render.SNOOZE_VERB:
        return SnoozeRequested(person=person, days=_int(data.get("days"), render.SNOOZE_DAYS))
    if verb == render.RUN_VERB and forms.is_submission(data):
        return forms.submitted(person, data)
    if verb == render.RUN_VERB:
        return _run_event(person, str(data.get("value") or ""))
    try:
        delivery_id = int(data["delivery_id"])
        question_id = str(data["question_id"])
    except (KeyError, TypeError, ValueError):
        return "That card is out of date; the question could not be found."
    comment = _text(data.get(render.comment_input_id(question_id)))
    if verb == render.COMMENT_VERB:
        if comment is None:
            return "Type a comment first, then press Add comment."
        return CommentGiven(
            person=person, delivery_id=delivery_id, question_id=question_id, comment=comment
        )
    if verb == render.ANSWER_VERB:
        value = _text(data.get("value")) or _text(data.get(render.answer_input_id(question_id)))
        if value is None:
            return "Pick or type an answer first."
        return AnswerGiven(
            person=person,
            delivery_id=delivery_id,
            question_id=question_id,
            value=value,
            comment=comment,
        )
    return "That button is not something LearnPulse knows."


def submitted_action(activity: Activity) -> tuple[str, dict[str, Any]] | None:
    """``(verb, data)`` of an ``Action.Submit`` (a message whose value holds the card's data)."""
    value = activity.value
    if not isinstance(value, dict) or "verb" not in value:
        return None
    return str(value["verb"]), value


def executed_action(activity: Activity) -> tuple[str, dict[str, Any]] | None:
    """``(verb, data)`` of an ``adaptiveCard/action`` invoke (``Action.Execute``)."""
    value = activity.value
    if not isinstance(value, dict):
        return None
    action = value.get("action") or {}
    if action.get("type") != "Action.Execute":
        return None
    data = action.get("data")
    return str(action.get("verb") or ""), data if isinstance(data, dict) else {}


def _run_event(person: str, value: str) -> Event | str:
    word, _, rest = value.strip().partition(" ")
    if word.lstrip("/") in COMMAND_NAMES:
        return CommandIssued(person=person, name=word.lstrip("/"), text=rest.strip())
    return "That button is not something LearnPulse knows."


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default
