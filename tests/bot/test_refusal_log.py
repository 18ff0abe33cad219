"""A flood of refused requests is logged as a count once a minute, not a line per request."""

from __future__ import annotations

import logging

import pytest

from bot.refusal_log import RefusalLog


def test_refusals_are_logged_once_a_minute_with_their_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    refusals = RefusalLog(
        logging.getLogger("learnpulse.test"), "requests", every=60, monotonic=lambda: now[0]
    )
    with caplog.at_level(logging.INFO, logger="learnpulse.test"):
        refusals.refused("InvalidSignatureError")  # the first at once
        for _ in range(5_000):
            now[0] += 0.01
            refusals.refused("DecodeError")
        now[0] += 15
        refusals.refused("DecodeError")
    assert [r.getMessage() for r in caplog.records] == [
        "refused 1 requests (latest: InvalidSignatureError)",
        "refused 5001 requests (latest: DecodeError)",
    ]
