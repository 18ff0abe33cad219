"""Form bodies decode exactly as ``urllib.parse`` decodes them, whatever they hold."""

from __future__ import annotations

import json
import random
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlencode

import pytest

from adapters.slack.bolt_request import MalformedBody, parse_body
from adapters.slack.form_body import form_fields, unquote

# Pieces that stress the decoder: escapes of every kind, malformed ones, what quoted-printable
# reads differently (=, line breaks, underscores), multi-byte UTF-8 and bytes that are not UTF-8.
PIECES = (
    "a", "Z", " ", "+", "_", "=", "&", "\r\n", "\n", "\t", "%", "%%", "%4", "%4g", "%zz", "%41",
    "%7b", "%7B", "%2B", "%3D", "%3d", "%26", "%0A", "%C3%A9", "%c3%a9", "%E2%82%AC", "%FF",
    "%C3", "é", "€", "=4", "=41", "%=", "%%41", "%20", "%25",
)  # fmt: skip


def test_every_value_decodes_as_unquote_plus_does() -> None:
    shuffle = random.Random(20261129)
    for _ in range(20_000):
        value = "".join(shuffle.choice(PIECES) for _ in range(shuffle.randint(0, 12)))
        assert unquote(value) == unquote_plus(value), value


def test_a_form_has_the_fields_parse_qsl_gives() -> None:
    shuffle = random.Random(7)
    for _ in range(2_000):
        fields = [
            (
                "".join(shuffle.choice(PIECES) for _ in range(shuffle.randint(0, 4))),
                "".join(shuffle.choice(PIECES) for _ in range(shuffle.randint(0, 8))),
            )
            for _ in range(shuffle.randint(0, 5))
        ]
        raw = "&".join(f"{name}={value}" for name, value in fields)
        assert form_fields(raw) == dict(parse_qsl(raw, keep_blank_values=True)), raw
    encoded = urlencode({"text": "R&D = 100% + café", "channel_name": "payload-team"})
    assert form_fields(encoded) == {"text": "R&D = 100% + café", "channel_name": "payload-team"}


def test_an_interaction_is_its_payloads_json() -> None:
    interaction = {"type": "block_actions", "actions": [{"value": "100% & more + é"}]}
    raw = "payload=" + quote_plus(json.dumps(interaction))
    assert parse_body(raw, "application/x-www-form-urlencoded") == interaction
    assert parse_body(json.dumps(interaction), "application/json") == interaction
    assert parse_body("", None) == {}


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("payload=" + quote_plus("{not json"), "application/x-www-form-urlencoded"),
        ("payload=" + quote_plus("[1, 2]"), "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ('"a string"', "application/json"),
    ],
)
def test_a_body_that_is_not_slacks_is_malformed(raw: str, content_type: str) -> None:
    with pytest.raises(MalformedBody):
        parse_body(raw, content_type)
