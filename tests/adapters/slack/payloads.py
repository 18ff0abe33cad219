"""What Slack sends to ``/slack/events``, shaped like the real thing, and signed like Slack signs.

Slash commands are form posts, interactivity is a form post with one ``payload`` JSON field, and
Events API callbacks are JSON; each carries ``X-Slack-Signature`` and ``X-Slack-Request-Timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from tests.adapters.slack.fake_slack import BOT_USER, SIGNING_SECRET, TEAM

_counter = itertools.count(1)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_headers(
    body: str, content_type: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def slash_command(
    command: str, user: str, text: str = "", channel: str = "C0ALLHANDS", response_url: str = ""
) -> str:
    """The form body of a slash command invocation."""
    n = next(_counter)
    return urlencode(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": TEAM,
            "team_domain": "northwind",
            "channel_id": channel,
            "channel_name": "all-hands",
            "user_id": user,
            "user_name": user.lower(),
            "command": f"/{command}",
            "text": text,
            "api_app_id": "A0LEARNPLS",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{n}.4744562912.abc{n:04d}",
        }
    )


def interaction(payload: Mapping[str, Any]) -> str:
    """Interactivity posts one form field, ``payload``, holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}


def find_element(
    message: dict[str, Any], action_prefix: str, value: str | None = None
) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the first element whose action_id starts with the prefix."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if not element.get("action_id", "").startswith(action_prefix):
                continue
            if (
                value is None
                or element.get("value") == value
                or any(o.get("value") == value for o in element.get("options", []))
            ):
                return block["block_id"], element
    raise LookupError(f"no {action_prefix} element with value {value!r} in the message")


def block_actions(
    user: str,
    channel: str,
    message: dict[str, Any],
    action_prefix: str,
    value: str | None = None,
    response_url: str = "",
) -> dict[str, Any]:
    """A click on a button (or a pick in a static_select) of a message the bot posted."""
    block_id, element = find_element(message, action_prefix, value)
    n = next(_counter)
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "type": element["type"],
        "action_ts": f"{1764500000 + n}.123456",
    }
    if element["type"] == "button":
        action.update(text=element["text"], value=element["value"])
    else:
        chosen = next(o for o in element["options"] if value is None or o["value"] == value)
        action.update(selected_option=chosen, placeholder=element.get("placeholder"))
    return {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": "A0LEARNPLS",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{n}.4744562912.trig{n:04d}",
        "team": {"id": TEAM, "domain": "northwind"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def home_click(user: str, view: dict[str, Any], action_prefix: str, value: str) -> dict[str, Any]:
    """A click on a button of the published App Home view."""
    block_id, element = "", {}
    for block in view.get("blocks", []):
        for candidate in block.get("elements", []) if block.get("type") == "actions" else []:
            if candidate["action_id"].startswith(action_prefix) and candidate["value"] == value:
                block_id, element = block["block_id"], candidate
    assert element, f"no {action_prefix} button with value {value!r} in the home view"
    n = next(_counter)
    return {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": "A0LEARNPLS",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {"type": "view", "view_id": "V0HOME0001"},
        "trigger_id": f"{n}.4744562912.home{n:04d}",
        "team": {"id": TEAM, "domain": "northwind"},
        "view": {**view, "id": "V0HOME0001", "type": "home"},
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block_id,
                "text": element["text"],
                "value": element["value"],
                "type": "button",
                "action_ts": f"{1764500000 + n}.654321",
            }
        ],
    }


def view_submission(user: str, view: dict[str, Any], typed: str) -> dict[str, Any]:
    """Submitting a modal the bot opened, with ``typed`` in its text input."""
    input_block = next(b for b in view["blocks"] if b["type"] == "input")
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "northwind"},
        "user": _user(user),
        "api_app_id": "A0LEARNPLS",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": f"{next(_counter)}.4744562912.view",
        "view": {
            **view,
            "id": "V0MODAL001",
            "team_id": TEAM,
            "state": {
                "values": {
                    input_block["block_id"]: {
                        input_block["element"]["action_id"]: {
                            "type": "plain_text_input",
                            "value": typed,
                        }
                    }
                }
            },
            "hash": "1764500000.abcdef",
            "app_id": "A0LEARNPLS",
            "bot_id": "B0BOTID001",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def form_submission(user: str, view: dict[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """Submitting a form modal with ``given`` (field name -> value): typed into a text input,
    picked in a menu (by option value) or a date picker; fields not given are left empty."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = given.get(block["block_id"].removeprefix("lp_field:"))
        state: dict[str, Any] = {"type": element["type"]}
        if element["type"] == "static_select":
            chosen = [o for o in element["options"] if o["value"] == value]
            state["selected_option"] = chosen[0] if chosen else None
        elif element["type"] == "datepicker":
            state["selected_date"] = value
        else:
            state["value"] = value
        values[block["block_id"]] = {element["action_id"]: state}
    submitted = view_submission(user, view, "")
    submitted["view"]["state"] = {"values": values}
    return submitted


def event_callback(event: dict[str, Any], event_id: str | None = None) -> str:
    """An Events API delivery (JSON)."""
    n = next(_counter)
    return json.dumps(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": TEAM,
            "api_app_id": "A0LEARNPLS",
            "event": {**event, "event_ts": f"{1764500000 + n}.000300"},
            "type": "event_callback",
            "event_id": event_id or f"Ev0{n:08d}",
            "event_time": 1764500000 + n,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
    )
