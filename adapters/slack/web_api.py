"""Every Web API call goes through here: paced per channel, retried, errors classified.

Slack allows about one message per second per channel and answers bursts with HTTP 429 and
``Retry-After``. A rate-limited call waits as told and is retried, never dropped; server errors
and lost connections are retried with backoff a bounded number of times, then surface as
``TransientSendError`` so the delivery ledger tries again later; errors that will not heal
(``user_not_found``, ``channel_not_found``…) surface at once as ``PermanentSendError``.

The monotonic clock and the sleep are arguments, so a test can check the waits the pacing and
the retries ask for on time that passes only when something waits.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import PermanentSendError, TransientSendError

log = logging.getLogger("learnpulse.slack")

PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "user_disabled",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "no_such_subteam",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
# The app is misconfigured, not the delivery: worth retrying once an operator fixed it.
CONFIGURATION_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope"}
)
SERVER_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

Reconcile = Callable[[], Awaitable[dict[str, Any] | None]]
Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def connection_pool(max_connections: int) -> aiohttp.ClientSession:
    """The HTTP session every Web API call shares while the server runs.

    slack_sdk hands each call's arguments to aiohttp as JSON, and aiohttp encodes them with the
    session's serializer: the standard library's by default, which was about a twentieth of the
    event loop's time in a fan-out (a prompt's blocks are a few kilobytes). orjson writes the
    same JSON several times faster.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max_connections), json_serialize=json_text
    )


def json_text(value: Any) -> str:
    """``value`` as JSON text; keys that are not strings become strings, as ``json.dumps``
    makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class ChannelPacer:
    """About one call per ``interval`` seconds per channel; different channels never wait."""

    def __init__(
        self, interval: float, monotonic: Monotonic = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait_turn(self, channel: str) -> None:
        lock = self._locks.get(channel)
        if lock is None:
            now = self._monotonic()
            if self._next_at.get(channel, 0.0) <= now:  # its turn, and nobody waits before it
                self._next_at[channel] = now + self.interval
                self._forget_idle_now_and_then()
                return
            # only a channel that must wait gets a lock: a fan-out to 10,000 people builds none
            lock = self._locks[channel] = asyncio.Lock()
        async with lock:
            now = self._monotonic()
            at = self._next_at.get(channel, 0.0)
            if at > now:
                await self._sleep(at - now)
                now = self._monotonic()
            self._next_at[channel] = max(now, at) + self.interval
        self._forget_idle_now_and_then()

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said wait: nothing more goes to this channel for ``seconds``."""
        self._next_at[channel] = max(self._next_at.get(channel, 0.0), self._monotonic() + seconds)

    def _forget_idle_now_and_then(self) -> None:
        if len(self._next_at) > 50_000:
            self._forget_idle()

    def _forget_idle(self) -> None:
        now = self._monotonic()
        for channel in [c for c, at in self._next_at.items() if at < now]:
            lock = self._locks.get(channel)
            if lock is None or not lock.locked():
                self._next_at.pop(channel, None)
                self._locks.pop(channel, None)


class SlackWebApi:
    """A paced, retrying front of ``AsyncWebClient``; returns the response body as a dict."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        per_channel_interval: float = 1.0,
        max_in_flight: int = 100,
        server_error_attempts: int = 4,
        backoff_base: float = 0.5,
        max_rate_limited_wait: float = 300.0,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.pacer = ChannelPacer(per_channel_interval, monotonic, sleep)
        self._sleep = sleep
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self.server_error_attempts = server_error_attempts
        self.backoff_base = backoff_base
        self.max_rate_limited_wait = max_rate_limited_wait
        self.rate_limited = 0  # how many 429s were waited out (for operators and benchmarks)
        self.retried = 0  # how many server / connection errors were retried

    async def call(
        self,
        method: str,
        *,
        pace: str | None = None,
        reconcile: Reconcile | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Call ``method`` (``chat.postMessage``…) with ``params``.

        ``pace`` names the channel the call posts into (one per second each). ``reconcile`` is
        asked before retrying a call whose outcome is unknown (a 5xx or a lost connection after
        sending), and once more after the last attempt: when it finds the call's effect, its
        answer is returned instead of calling again; when Slack cannot be asked either, the
        ``TransientSendError`` says ``outcome_unknown``.
        """
        function: Callable[..., Awaitable[Any]] = getattr(self.client, method.replace(".", "_"))
        failures = 0
        waited = 0.0
        unknown = False  # a failed attempt may have had its effect, and nobody looked since
        while True:
            if pace is not None:
                await self.pacer.wait_turn(pace)
            try:
                async with self._in_flight:
                    response = await function(**params)
                return dict(response.data) if isinstance(response.data, dict) else {}
            except SlackApiError as exc:
                status = exc.response.status_code
                error = _error_code(exc)
                if status == 429 or error == "ratelimited":
                    delay = _retry_after(exc)
                    if waited + delay > self.max_rate_limited_wait:
                        raise TransientSendError("ratelimited", retry_after=delay) from None
                    self.rate_limited += 1
                    waited += delay
                    self.pacer.hold(pace or method, delay)
                    await self._sleep(delay)
                    continue
                if status < 500 and error not in SERVER_ERRORS:
                    raise _classified(error) from None
                reason = f"{error or 'server_error'} (HTTP {status})"
                unknown = True
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = f"connection failed ({type(exc).__name__})"
                # refused before anything was sent: nothing happened; otherwise who knows
                unknown = unknown or not isinstance(exc, aiohttp.ClientConnectorError)
            failures += 1
            last = failures >= self.server_error_attempts
            if not last:
                self.retried += 1
                delay = self.backoff_base * 2 ** (failures - 1) * (1 + random.random() / 4)
                log.info("%s failed (%s); retrying in %.1fs", method, reason, delay)
                await self._sleep(delay)
            if unknown and reconcile is not None:
                try:
                    found = await reconcile()
                except TransientSendError:  # Slack cannot be asked either: still unknown
                    raise TransientSendError(
                        f"slack unavailable: {reason}", outcome_unknown=True
                    ) from None
                if found is not None:
                    return found
                unknown = False  # looked for, and not there: safe to post again
            if last:
                raise TransientSendError(f"slack unavailable: {reason}") from None


def _error_code(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else 1.0
    except ValueError:
        return 1.0


def _classified(error: str) -> PermanentSendError | TransientSendError:
    if error in CONFIGURATION_ERRORS:
        return TransientSendError(error or "slack_error")
    return PermanentSendError(error or "slack_error")
