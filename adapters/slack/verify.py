"""Is a request really from Slack? HMAC-SHA256 signature and a five-minute timestamp window."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from slack_sdk.signature import Clock, SignatureVerifier

WINDOW_SECONDS = 5 * 60  # enforced by SignatureVerifier; stated here for readers


class EpochClock(Clock):
    """Seconds since the epoch from an injectable source (wall time unless a test pins it)."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def make_verifier(signing_secret: str, now: Callable[[], float] = time.time) -> SignatureVerifier:
    """The verifier every HTTP request to ``/slack/events`` passes through."""
    return SignatureVerifier(signing_secret=signing_secret, clock=EpochClock(now))


def is_authentic(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """True only for a correctly signed body whose timestamp is within five minutes of now."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    return verifier.is_valid(body, timestamp, signature)
