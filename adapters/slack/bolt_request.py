"""bolt's request for a verified HTTP body, with the body parsed by its fields.

bolt decides that a form body is an interaction (``payload=<json>``) when the text "payload"
appears anywhere in it, and then finds no ``payload`` field and sees an empty request. A slash
command typed in a channel named ``#payload-team``, or with "payload" in its text, would reach
no listener and the person would see Slack's "dispatch_failed". Here a form is an interaction
only when it has a ``payload`` field; otherwise it is what it says it is. ``parse_body`` also
tells a body that is not Slack's (``MalformedBody``, answered ``400``) from one that is, where
bolt would raise out of its request's constructor.

This is a correction, not a speed trick: bolt's own parsing (``AsyncBoltRequest(body=raw)``, as
``slack_bolt.adapter.aiohttp.to_bolt_request`` builds it) brings the quirk back, and
``test_a_command_mentioning_payload_reaches_its_handler`` fails. That the body is parsed once
instead of twice saves little: no click comes this way (``fast_clicks``), so ``bench.slack_clicks``
cannot see it, and a slash command or a view submission takes 33-36 us here against 77-85 us
parsed again by bolt (``timeit``, 2026-12-03, on a shared 2-core machine).
"""

# Upstream report (slack_bolt 1.30.0, the version in this project's lock as ``pip show
# slack-bolt`` gives it; checked 2026-12-03):
#
#   Title: parse_body treats any form body containing the text "payload" as an interaction
#
#   What bolt does: ``slack_bolt.request.internals.parse_body`` tests ``"payload" in body`` on
#   the raw form body. When the text occurs anywhere (a slash command's ``text``, a channel
#   named ``payload-team``, a user name), it looks for a ``payload`` field, finds none and
#   returns ``{}``. The request then matches no listener and the app answers 404, which Slack
#   shows as "dispatch_failed".
#
#   What it should do: decide by the parsed fields, not the raw text: parse the form once with
#   ``parse_qsl(body, keep_blank_values=True)``, and read ``payload`` as JSON only when that
#   field is present; otherwise return the fields.
#
#   Minimal reproduction (prints ``{} 404`` for the second body; ``{...} 200`` expected):
#
#       from slack_bolt import App, BoltRequest
#       from slack_bolt.authorization import AuthorizeResult
#
#       app = App(
#           signing_secret="unused",
#           request_verification_enabled=False,
#           authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1",
#                                                 bot_token="xoxb-1"),
#       )
#
#       @app.command("/deploy")
#       def deploy(ack, body):
#           ack()
#
#       form = {"content-type": ["application/x-www-form-urlencoded"]}
#       for raw in ("command=%2Fdeploy&text=v2&team_id=T1",
#                   "command=%2Fdeploy&text=payload+v2&team_id=T1"):
#           request = BoltRequest(body=raw, headers=form)
#           print(request.body, app.dispatch(request).status)
#
#   Workaround here: the body is parsed by ``parse_body`` below and handed to bolt already
#   parsed. bolt's request accepts a parsed body only in Socket Mode, so the request is built
#   that way and then marked as the HTTP request it is, with its raw body (in 1.30.0 the mode
#   only decides whether signature verification may be skipped and what a copy for a lazy
#   listener carries). Drop this module when bolt parses by fields.

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
