"""The Slack app manifest is valid against Slack's schema and declares exactly what we handle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jsonschema
import yaml
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.app import SlackApp
from bot.app import LearnPulse
from bot.commands.table import LISTED_NAMES
from tests.adapters.slack.fake_slack import BOT_TOKEN
from tests.conftest import SHARED
from tests.factories import ROOT

MANIFEST = ROOT / "manifest" / "slack" / "manifest.yaml"
SCHEMA = SHARED / "schemas" / "slack" / "manifest.schema.1.0.0.json"


def manifest() -> dict[str, Any]:
    return yaml.safe_load(Path(MANIFEST).read_text(encoding="utf-8"))


def test_the_manifest_is_valid_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(manifest(), schema)


def test_every_request_url_is_the_one_endpoint() -> None:
    document = manifest()
    urls = {c["url"] for c in document["features"]["slash_commands"]}
    urls.add(document["settings"]["interactivity"]["request_url"])
    urls.add(document["settings"]["event_subscriptions"]["request_url"])
    assert urls == {"https://learnpulse.example.com/slack/events"}


async def routed(app: SlackApp, command: str) -> bool:
    """Whether a bolt listener of the app matches a slash command (without running it)."""
    body = urlencode({"command": f"/{command}", "user_id": "U0ADMIN001", "team_id": "T0NORTHWND"})
    request = AsyncBoltRequest(
        body=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    response = BoltResponse(status=200)
    return any(
        [
            await listener.async_matches(req=request, resp=response)
            for listener in app.bolt._async_listeners
        ]
    )


async def test_declared_commands_equal_the_registry_and_what_the_bolt_app_routes(
    slack_core: LearnPulse,
) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/")
    app = SlackApp(slack_core, SlackAdapter(client, slack_core.clock))
    declared = {c["command"].lstrip("/") for c in manifest()["features"]["slash_commands"]}
    assert declared == set(LISTED_NAMES)
    assert {name for name in LISTED_NAMES if await routed(app, name)} == declared
    assert not await routed(app, "webhook-collect")


def test_the_scopes_cover_every_web_api_method_the_adapter_calls() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = {
        "chat:write",
        "im:write",
        "im:history",
        "users:read",
        "users:read.email",  # users.list profile e-mail and users.lookupByEmail (people file)
        "usergroups:read",
        "channels:read",
        "groups:read",
        "files:write",
        "commands",
    }
    assert needed <= scopes
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "member_joined_channel", "message.im"} <= events
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True
