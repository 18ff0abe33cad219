"""Sending within Microsoft Teams' rate limits, and what to do when the Bot Connector says no.

Teams throttles a bot per conversation (7 messages a second, 60 in 30 seconds) and across the
bot; exceeding a limit earns a 429. ``Throttle`` spaces sends so the limits are not hit, and
``call_with_retries`` retries what the Bot Connector documents as transient (429, 412, 502,
504) with jittered exponential backoff that never waits less than ``Retry-After``. Every other
4xx is permanent; other 5xx and lost connections are transient for the delivery ledger.

The monotonic clock and the sleep are arguments, so a test can run the limits on time that
passes only when something waits, and check them against a fake connector on the same clock.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.ports import PermanentSendError, TransientSendError

T = TypeVar("T")
Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

RETRIED_STATUSES = frozenset({412, 429, 502, 504})

# Slack for clock granularity between us and the Bot Connector.
WINDOW_MARGIN = 0.01


@dataclass(frozen=True)
class Limit:
    """At most ``count`` sends in any ``seconds``-long window."""

    count: int
    seconds: float


PER_CONVERSATION_LIMITS = (Limit(7, 1.0), Limit(60, 30.0))
DEFAULT_BOT_RATE = 30  # sends per second across the bot


class SlidingWindow:
    """At most ``limit.count`` sends in any window of ``limit.seconds``, as the service counts.

    The service counts a send when the request *arrives*, which is some time after we decide to
    send. So a slot is held from ``acquire`` until the call has returned, and only then dated
    (by ``release``): the window is measured from a moment no earlier than the arrival, which
    keeps the service's count within the limit whatever the latency. Waiters are served in
    arrival order (``asyncio.Lock`` is fair), so a burst drains at the limit's pace.
    """

    def __init__(
        self,
        limit: Limit,
        margin: float = WINDOW_MARGIN,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self._monotonic = monotonic
        self._sleep = sleep
        self._window = limit.seconds + margin
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._done and self._done[0] <= now - self._window:
                    self._done.popleft()
                if self._in_flight + len(self._done) < self.limit.count:
                    self._in_flight += 1
                    return
                if self._done:
                    await self._sleep(self._done[0] + self._window - now)
                else:  # every slot is in flight: its window starts when it returns
                    self._released.clear()
                    await self._released.wait()

    def release(self, finished: float) -> None:
        """The call holding a slot returned at ``finished`` (monotonic)."""
        self._in_flight -= 1
        self._done.append(finished)
        self._released.set()

    @property
    def idle(self) -> bool:
        """Nothing in flight or inside the current window, nobody waiting: safe to forget."""
        now = self._monotonic()
        return (
            not self._lock.locked()
            and self._in_flight == 0
            and (not self._done or self._done[-1] <= now - self._window)
        )


class Permit:
    """The slots one send holds; ``release`` once the call has returned, however it ended."""

    def __init__(self, windows: tuple[SlidingWindow, ...], monotonic: Monotonic) -> None:
        self._windows = windows
        self._monotonic = monotonic

    def release(self) -> None:
        finished = self._monotonic()
        for window in self._windows:
            window.release(finished)


class Throttle:
    """Per-conversation and bot-wide limits: hold ``await acquire(conversation)`` during a send."""

    def __init__(
        self,
        bot_rate: int = DEFAULT_BOT_RATE,
        per_conversation: tuple[Limit, ...] = PER_CONVERSATION_LIMITS,
        margin: float = WINDOW_MARGIN,
        max_tracked_conversations: int = 10_000,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot_limit = Limit(bot_rate, 1.0)
        self.per_conversation = per_conversation
        self.monotonic = monotonic
        self.sleep = sleep  # also how ``call_with_retries`` waits before a retry
        self._margin = margin
        self._bot = SlidingWindow(self.bot_limit, margin, monotonic, sleep)
        self._conversations: OrderedDict[str, tuple[SlidingWindow, ...]] = OrderedDict()
        self._max_tracked = max_tracked_conversations

    async def acquire(self, conversation: str) -> Permit:
        windows = self._windows(conversation)
        for window in windows:
            await window.acquire()
        await self._bot.acquire()
        return Permit((*windows, self._bot), self.monotonic)

    def _windows(self, conversation: str) -> tuple[SlidingWindow, ...]:
        windows = self._conversations.get(conversation)
        if windows is None:
            windows = tuple(
                SlidingWindow(limit, self._margin, self.monotonic, self.sleep)
                for limit in self.per_conversation
            )
            self._conversations[conversation] = windows
            self._forget_idle()
        else:
            self._conversations.move_to_end(conversation)
        return windows

    def _forget_idle(self) -> None:
        while len(self._conversations) > self._max_tracked:
            oldest, windows = next(iter(self._conversations.items()))
            if not all(w.idle for w in windows):
                return
            del self._conversations[oldest]


class ConnectorFailure(Exception):
    """A Bot Connector call failed with ``status`` (0: no HTTP answer at all)."""

    def __init__(self, status: int, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        self.detail = detail


@dataclass(frozen=True)
class Backoff:
    """Jittered exponential backoff: ``base * 2**attempt`` up to ``cap``, plus up to 25 %."""

    base: float = 0.5
    cap: float = 30.0
    attempts: int = 5

    def delay(self, attempt: int, retry_after: float | None) -> float:
        wait = min(self.cap, self.base * 2**attempt)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait * (1 + random.uniform(0, 0.25))


async def call_with_retries(
    throttle: Throttle,
    conversation: str,
    call: Callable[[], Awaitable[T]],
    backoff: Backoff = Backoff(),
) -> T:
    """Run one connector ``call`` inside the limits, retrying the transient statuses.

    Raises ``PermanentSendError`` for a refusal that retrying cannot fix and
    ``TransientSendError`` (with the last ``Retry-After``) once the retries are used up.
    """
    for attempt in range(backoff.attempts):
        permit = await throttle.acquire(conversation)
        try:
            return await call()
        except ConnectorFailure as failure:
            last = failure
        finally:
            permit.release()
        if last.status not in RETRIED_STATUSES or attempt + 1 == backoff.attempts:
            raise as_send_error(last)
        await throttle.sleep(backoff.delay(attempt, last.retry_after))
    raise AssertionError("unreachable")  # pragma: no cover


def as_send_error(failure: ConnectorFailure) -> PermanentSendError | TransientSendError:
    """Classify a failed call for the delivery ledger; the reason never holds message content."""
    if failure.status in RETRIED_STATUSES or failure.status == 0 or failure.status >= 500:
        label = f"HTTP {failure.status}" if failure.status else "no response"
        return TransientSendError(
            f"Teams Bot Connector: {label}{failure.detail}", retry_after=failure.retry_after
        )
    if failure.status in (403, 404):
        return PermanentSendError(
            f"Teams Bot Connector refused: HTTP {failure.status}{failure.detail}"
        )
    return PermanentSendError(f"Teams Bot Connector: HTTP {failure.status}{failure.detail}")
