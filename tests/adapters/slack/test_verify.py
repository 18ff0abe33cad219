"""Request signing: Slack's published example, and the server refusing forged or stale requests."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote_plus

import pytest
from sqlmodel import select

from adapters.slack.verify import make_verifier
from storage.tables import PersonRecord
from tests.adapters.slack.conftest import OUTSIDER, SlackServer
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.payloads import FORM, JSON, event_callback, signed_headers, slash_command

# Slack's request-verification guide: a /webhook-collect slash command, signed at 1531420618.
EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EXAMPLE_TIMESTAMP = 1531420618
EXAMPLE_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIG"
    "lgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slacks_published_example_verifies() -> None:
    verifier = make_verifier(EXAMPLE_SECRET, now=lambda: EXAMPLE_TIMESTAMP + 10)
    assert verifier.generate_signature(timestamp=str(EXAMPLE_TIMESTAMP), body=EXAMPLE_BODY) == (
        EXAMPLE_SIGNATURE
    )
    assert verifier.is_valid(EXAMPLE_BODY, str(EXAMPLE_TIMESTAMP), EXAMPLE_SIGNATURE)
    assert not verifier.is_valid(EXAMPLE_BODY + "x", str(EXAMPLE_TIMESTAMP), EXAMPLE_SIGNATURE)


def test_the_same_example_is_stale_six_minutes_later() -> None:
    verifier = make_verifier(EXAMPLE_SECRET, now=lambda: EXAMPLE_TIMESTAMP + 6 * 60)
    assert not verifier.is_valid(EXAMPLE_BODY, str(EXAMPLE_TIMESTAMP), EXAMPLE_SIGNATURE)


async def test_the_server_checks_the_example_with_its_own_verifier(
    slack_server: SlackServer,
) -> None:
    slack_server.app.verifier = make_verifier(EXAMPLE_SECRET, now=lambda: EXAMPLE_TIMESTAMP + 1)
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(EXAMPLE_TIMESTAMP),
        "X-Slack-Signature": EXAMPLE_SIGNATURE,
    }
    status, _ = await slack_server.post(EXAMPLE_BODY, FORM, headers)
    assert status == 404  # authentic; /webhook-collect is simply not one of our commands
    forged = {**headers, "X-Slack-Signature": EXAMPLE_SIGNATURE[:-1] + "0"}
    assert (await slack_server.post(EXAMPLE_BODY, FORM, forged))[0] == 401


def _people(server: SlackServer) -> list[str]:
    with server.core.session() as session:
        return list(session.exec(select(PersonRecord.ref)).all())


async def test_forged_stale_and_unsigned_requests_get_401_and_store_nothing(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    before = _people(slack_server)
    hello = event_callback(
        {"type": "message", "channel_type": "im", "user": OUTSIDER, "text": "hi", "ts": "1.1"}
    )
    forged = signed_headers(hello, JSON, secret="not-the-signing-secret")
    stale = signed_headers(hello, JSON, timestamp=int(time.time()) - 5 * 60 - 30)
    future = signed_headers(hello, JSON, timestamp=int(time.time()) + 5 * 60 + 30)
    garbage = {**signed_headers(hello, JSON), "X-Slack-Request-Timestamp": "yesterday"}
    for headers in (forged, stale, future, garbage, {"Content-Type": JSON}):
        status, body = await slack_server.post(hello, JSON, headers)
        assert status == 401, headers
        assert "invalid request" in body
    command = slash_command("learning-help", OUTSIDER, response_url=fake_slack.hook_url())
    assert (await slack_server.post(command, FORM, signed_headers(command, FORM, secret="x")))[
        0
    ] == 401
    assert _people(slack_server) == before
    assert fake_slack.calls == []  # nothing was even looked up


async def test_a_fresh_signature_is_accepted_and_url_verification_answers_the_challenge(
    slack_server: SlackServer,
) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps(
        {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"}
    )
    status, text = await slack_server.event(body)
    assert status == 200
    assert challenge in text


async def test_a_signed_body_that_is_not_slacks_gets_400_and_stores_nothing(
    slack_server: SlackServer, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    before = _people(slack_server)
    secret_looking = "my answer is 2"
    for body, content_type in (
        ("payload=" + quote_plus('{"type": "block_actions", ' + secret_looking), FORM),
        ("payload=" + quote_plus('["block_actions"]'), FORM),
        ('{"type": "event_callback", ' + secret_looking, JSON),
    ):
        with caplog.at_level(logging.WARNING):
            status, text = await slack_server.post(body, content_type)
        assert status == 400, body
        assert "JSON" in json.loads(text)["error"]
    assert "not understood" in caplog.text
    assert secret_looking not in caplog.text  # the body is not echoed into the log
    assert _people(slack_server) == before
    assert fake_slack.calls == []


async def test_a_signed_click_without_a_user_or_actions_gets_400_and_stores_nothing(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    before = _people(slack_server)
    for payload, problem in (
        ({"type": "block_actions", "actions": [{"action_id": "x"}]}, "no user"),
        ({"type": "block_actions", "user": {"id": OUTSIDER}, "actions": []}, "no actions"),
    ):
        status, text = await slack_server.interact(payload)
        assert status == 400, payload
        assert problem in json.loads(text)["error"]
    assert _people(slack_server) == before
    assert fake_slack.calls == []
