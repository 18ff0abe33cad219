"""Sending within Microsoft Teams' rate limits, and what to do when the Bot Connector says no.

Teams throttles a bot per conversation (7 messages a second, 60 in 30 seconds) and across the
bot; exceeding a limit earns a 429. ``Throttle`` spaces sends so the limits are not hit, and
``call_with_retries`` retries what the Bot Connector documents as transient (429, 412, 502,
504) with jittered exponential backoff that never waits less than ``Retry-After``. Every other
4xx is permanent; other 5xx and lost connections are transient for the delivery ledger.
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

RETRIED_STATUSES = frozenset({412, 429, 502, 504})

# Slack between our own clock and the Bot Connector's: a window is treated as this much
# longer than it is, so network jitter never makes the service count one send too many.
WINDOW_MARGIN = 0.05


@dataclass(frozen=True)
class Limit:
    """At most ``count`` sends in any ``seconds``-long window."""

    count: int
    seconds: float


PER_CONVERSATION_LIMITS = (Limit(7, 1.0), Limit(60, 30.0))
DEFAULT_BOT_RATE = 30  # sends per second across the bot


class SlidingWindow:
    """A sliding-window limiter: ``acquire`` returns once a send fits in the window.

    Waiters are served in arrival order (``asyncio.Lock`` is fair), so a burst drains at the
    limit's pace without starving anyone.
    """

    def __init__(self, limit: Limit, margin: float = WINDOW_MARGIN) -> None:
        self.limit = limit
        self._window = limit.seconds + margin
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - self._window:
                    self._sent.popleft()
                if len(self._sent) < self.limit.count:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._sent[0] + self._window - now)

    @property
    def idle(self) -> bool:
        """No send inside the current window and nobody waiting: safe to forget."""
        now = time.monotonic()
        return not self._lock.locked() and (not self._sent or self._sent[-1] <= now - self._window)


class Throttle:
    """Per-conversation and bot-wide limits; call ``acquire(conversation)`` before each send."""

    def __init__(
        self,
        bot_rate: int = DEFAULT_BOT_RATE,
        per_conversation: tuple[Limit, ...] = PER_CONVERSATION_LIMITS,
        margin: float = WINDOW_MARGIN,
        max_tracked_conversations: int = 10_000,
    ) -> None:
        self.bot_limit = Limit(bot_rate, 1.0)
        self.per_conversation = per_conversation
        self._margin = margin
        self._bot = SlidingWindow(self.bot_limit, margin)
        self._conversations: OrderedDict[str, tuple[SlidingWindow, ...]] = OrderedDict()
        self._max_tracked = max_tracked_conversations

    async def acquire(self, conversation: str) -> None:
        for window in self._windows(conversation):
            await window.acquire()
        await self._bot.acquire()

    def _windows(self, conversation: str) -> tuple[SlidingWindow, ...]:
        windows = self._conversations.get(conversation)
        if windows is None:
            windows = tuple(SlidingWindow(limit, self._margin) for limit in self.per_conversation)
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
        await throttle.acquire(conversation)
        try:
            return await call()
        except ConnectorFailure as failure:
            if failure.status in RETRIED_STATUSES and attempt + 1 < backoff.attempts:
                await asyncio.sleep(backoff.delay(attempt, failure.retry_after))
                continue
            raise as_send_error(failure) from None
    raise AssertionError("unreachable")  # pragma: no cover


def as_send_error(failure: ConnectorFailure) -> PermanentSendError | TransientSendError:
    """Classify a failed call for the delivery ledger; the reason never holds message content."""
    if failure.status in RETRIED_STATUSES or failure.status == 0 or failure.status >= 500:
        label = f"HTTP {failure.status}" if failure.status else "no answer"
        return TransientSendError(
            f"Teams Bot Connector: {label}{failure.detail}", retry_after=failure.retry_after
        )
    if failure.status in (403, 404):
        return PermanentSendError(
            f"Teams Bot Connector refused: HTTP {failure.status}{failure.detail}"
        )
    return PermanentSendError(f"Teams Bot Connector: HTTP {failure.status}{failure.detail}")
