"""bolt's request for a verified HTTP body, with the body parsed by its fields.

bolt decides that a form body is an interaction (``payload=<json>``) when the text "payload"
appears anywhere in it, and then finds no ``payload`` field and sees an empty request. A slash
command typed in a channel named ``#payload-team``, or with "payload" in its text, would reach
no listener and the person would see Slack's "dispatch_failed". Here a form is an interaction
only when it has a ``payload`` field; otherwise it is what it says it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.request.async_request import AsyncBoltRequest

JSON_TYPE = "application/json"


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request body as bolt's listeners expect it."""
    if not raw:
        return {}
    if (content_type or "").split(";")[0].strip() == JSON_TYPE or raw.startswith("{"):
        parsed: dict[str, Any] = json.loads(raw)
        return parsed
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in form:
        interaction: dict[str, Any] = json.loads(form["payload"])
        return interaction
    return form


def bolt_request(raw: str, query: str, headers: Mapping[str, str]) -> AsyncBoltRequest:
    """The request bolt would build from ``raw``, with the body parsed by ``parse_body``.

    bolt accepts an already parsed body only in its Socket Mode request; the request is then
    marked as the HTTP request it is, with its raw body, as bolt would have it.
    """
    request = AsyncBoltRequest(
        body=parse_body(raw, headers.get("Content-Type") or headers.get("content-type")),
        query=query,
        headers=dict(headers.items()),
        mode="socket_mode",
    )
    request.raw_body = raw
    request.mode = "http"
    return request
