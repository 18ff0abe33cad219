"""bolt's request for a verified HTTP body, with the body parsed by its fields.

bolt decides that a form body is an interaction (``payload=<json>``) when the text "payload"
appears anywhere in it, and then finds no ``payload`` field and sees an empty request. A slash
command typed in a channel named ``#payload-team``, or with "payload" in its text, would reach
no listener and the person would see Slack's "dispatch_failed". Here a form is an interaction
only when it has a ``payload`` field; otherwise it is what it says it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.form_body import form_fields

JSON_TYPE = "application/json"


class MalformedBody(ValueError):
    """A signed body that is not what Slack sends: JSON that does not parse, or not an object."""


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request body as bolt's listeners expect it; ``MalformedBody`` when it is not one."""
    if not raw:
        return {}
    if (content_type or "").split(";")[0].strip() == JSON_TYPE or raw.startswith("{"):
        return _json_object(raw)
    form = form_fields(raw)
    if "payload" in form:
        return _json_object(form["payload"])
    return form


def _json_object(text: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise MalformedBody("the body's JSON does not parse") from None
    if not isinstance(parsed, dict):
        raise MalformedBody("the body's JSON is not an object")
    return parsed


def bolt_request(
    body: dict[str, Any], raw: str, query: str, headers: Mapping[str, str]
) -> AsyncBoltRequest:
    """The request bolt would build from ``raw``, with ``body`` as ``parse_body`` parsed it.

    bolt accepts an already parsed body only in its Socket Mode request; the request is then
    marked as the HTTP request it is, with its raw body, as bolt would have it.
    """
    request = AsyncBoltRequest(
        body=body,
        query=query,
        headers=dict(headers.items()),
        mode="socket_mode",
    )
    request.raw_body = raw
    request.mode = "http"
    return request
