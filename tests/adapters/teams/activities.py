"""Real-shaped Teams activities (as Teams posts them to a bot's messaging endpoint)."""

from __future__ import annotations

import itertools
import json
from typing import Any

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
APP_ID = "3f1a9f9e-5d0b-4c5e-9a52-1c7d3f2b9e10"
BOT_ID = f"28:{APP_ID}"
ADMIN_AAD = "86022fb8-fba3-4628-a19b-c2495810d356"  # an admin in examples/program.yaml
EMPLOYEE_AAD = "044f46ca-fc75-4d48-a031-6d8da0cfe317"  # in the teams workstream's pilot
TEAM_ID = "19:c9eae6344619@thread.tacv2"
CHANNEL_ID = "19:66d3c922455a4f34a0f0899e1337891e@thread.tacv2"

_ids = itertools.count(1_700_000_000_000)


def personal_conversation(aad: str) -> str:
    return f"a:1personal{aad.replace('-', '')}"


def _base(service_url: str, aad: str, kind: str, conversation: str) -> dict[str, Any]:
    return {
        "id": str(next(_ids)),
        "timestamp": "2026-11-30T13:00:00.000Z",
        "localTimestamp": "2026-11-30T08:00:00.000-05:00",
        "localTimezone": "America/New_York",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:1{aad[:8]}", "name": "Ana Lima", "aadObjectId": aad},
        "conversation": {"conversationType": kind, "tenantId": TENANT, "id": conversation},
        "recipient": {"id": BOT_ID, "name": "LearnPulse"},
        "entities": [
            {
                "locale": "en-US",
                "country": "US",
                "platform": "Web",
                "timezone": "America/New_York",
                "type": "clientInfo",
            }
        ],
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-US",
    }


def personal_message(service_url: str, aad: str, text: str) -> dict[str, Any]:
    activity = _base(service_url, aad, "personal", personal_conversation(aad))
    activity.update({"type": "message", "textFormat": "plain", "text": text})
    return activity


def channel_message(service_url: str, aad: str, text: str) -> dict[str, Any]:
    """A message in a team channel that @mentions the bot."""
    conversation = f"{CHANNEL_ID};messageid={next(_ids)}"
    activity = _base(service_url, aad, "channel", conversation)
    activity["conversation"]["isGroup"] = True
    activity.update(
        {
            "type": "message",
            "textFormat": "plain",
            "text": f"<at>LearnPulse</at> {text}",
            "channelData": {
                "teamsChannelId": CHANNEL_ID,
                "teamsTeamId": TEAM_ID,
                "channel": {"id": CHANNEL_ID},
                "team": {"id": TEAM_ID},
                "tenant": {"id": TENANT},
            },
        }
    )
    activity["entities"].append(
        {
            "type": "mention",
            "text": "<at>LearnPulse</at>",
            "mentioned": {"id": BOT_ID, "name": "LearnPulse"},
        }
    )
    return activity


def submitted(service_url: str, aad: str, data: dict[str, Any]) -> dict[str, Any]:
    """What an ``Action.Submit`` sends: a message whose value is the action's data + inputs."""
    activity = _base(service_url, aad, "personal", personal_conversation(aad))
    activity.update({"type": "message", "value": data, "replyToId": "1:1"})
    return activity


def personal_install(service_url: str, aad: str) -> dict[str, Any]:
    """``conversationUpdate`` when a person adds the app (the bot is among membersAdded)."""
    activity = _base(service_url, aad, "personal", personal_conversation(aad))
    activity.update({"type": "conversationUpdate", "membersAdded": [{"id": BOT_ID}]})
    return activity


def installation_update(service_url: str, aad: str, action: str = "add") -> dict[str, Any]:
    activity = _base(service_url, aad, "personal", personal_conversation(aad))
    activity.update({"type": "installationUpdate", "action": action})
    return activity


def team_install(service_url: str, aad: str) -> dict[str, Any]:
    """``conversationUpdate`` when the app is added to a team (arrives in its General channel)."""
    activity = _base(service_url, aad, "channel", TEAM_ID)
    activity["conversation"]["isGroup"] = True
    activity.update(
        {
            "type": "conversationUpdate",
            "membersAdded": [{"id": BOT_ID}],
            "channelData": {
                "team": {"id": TEAM_ID, "name": "Plant Operations"},
                "eventType": "teamMemberAdded",
                "tenant": {"id": TENANT},
            },
        }
    )
    return activity


def card_action(service_url: str, aad: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    """The ``adaptiveCard/action`` invoke an ``Action.Execute`` sends."""
    activity = _base(service_url, aad, "personal", personal_conversation(aad))
    activity.update(
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "replyToId": "1:1",
            "value": {
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": "manual",
            },
        }
    )
    return activity


def file_consent(
    service_url: str, aad: str, action: str, token: str, upload_url: str = ""
) -> dict[str, Any]:
    """The ``fileConsent/invoke`` Teams sends when someone presses Allow or Decline."""
    activity = _base(service_url, aad, "personal", personal_conversation(aad))
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": {"file": token}}
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": "https://contoso-my.sharepoint.com/personal/ana/Documents/data.json",
            "name": "learnpulse-my-data.json",
            "uploadUrl": upload_url,
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
            "fileType": "json",
        }
    activity.update(
        {"type": "invoke", "name": "fileConsent/invoke", "replyToId": "1:1", "value": value}
    )
    return activity


def bloated_message(service_url: str, aad: str, size: int) -> dict[str, Any]:
    """A message padded with @mention entities to about ``size`` bytes of JSON: what a hostile
    client posts to make the bot parse and deserialize (msrest reads every entity in Python)."""
    activity = personal_message(service_url, aad, "hello")
    mention = {
        "type": "mention",
        "text": "<at>Ana Lima</at>",
        "mentioned": {"id": f"29:1{aad[:8]}", "name": "Ana Lima"},
    }
    each = len(json.dumps(mention)) + 2
    activity["entities"] = [dict(mention) for _ in range(max(1, size // each))]
    return activity


def channel_card_action(
    service_url: str, aad: str, verb: str, data: dict[str, Any]
) -> dict[str, Any]:
    """The ``adaptiveCard/action`` invoke of an ``Action.Execute`` pressed on a card posted in
    a team channel (a digest)."""
    activity = card_action(service_url, aad, verb, data)
    activity["conversation"] = {
        "conversationType": "channel",
        "tenantId": TENANT,
        "id": f"{CHANNEL_ID};messageid={next(_ids)}",
        "isGroup": True,
    }
    activity["channelData"] = {
        "teamsChannelId": CHANNEL_ID,
        "teamsTeamId": TEAM_ID,
        "channel": {"id": CHANNEL_ID},
        "team": {"id": TEAM_ID},
        "tenant": {"id": TENANT},
    }
    return activity
