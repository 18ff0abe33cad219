"""Throttling within Teams' limits and the retry policy's arithmetic."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from adapters.teams.throttle import (
    DEFAULT_BOT_RATE,
    PER_CONVERSATION_LIMITS,
    Backoff,
    ConnectorFailure,
    Limit,
    Throttle,
    as_send_error,
    call_with_retries,
)
from bot.ports import PermanentSendError, TransientSendError
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.test_proactive import installed, prompt


def test_the_defaults_are_teams_published_limits() -> None:
    assert (Limit(7, 1.0), Limit(60, 30.0)) == PER_CONVERSATION_LIMITS
    assert DEFAULT_BOT_RATE == 30
    assert Throttle(bot_rate=50).bot_limit == Limit(50, 1.0)


def max_in_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


async def test_each_window_is_respected_per_conversation_and_across_the_bot() -> None:
    throttle = Throttle(bot_rate=6, per_conversation=(Limit(2, 0.2), Limit(4, 0.6)), margin=0.0)
    stamps: dict[str, list[float]] = {"a": [], "b": [], "c": []}

    async def send(conversation: str) -> None:
        permit = await throttle.acquire(conversation)
        stamps[conversation].append(time.monotonic())
        await asyncio.sleep(0.01)  # the call
        permit.release()

    started = time.monotonic()
    await asyncio.gather(*(send(c) for c in "abc" for _ in range(6)))
    elapsed = time.monotonic() - started
    everything = sorted(t for times in stamps.values() for t in times)
    assert max_in_window(everything, 1.0) <= 6
    for times in stamps.values():
        assert max_in_window(times, 0.2) <= 2
        assert max_in_window(times, 0.6) <= 4
    assert 2.0 <= elapsed < 3.5  # 18 sends at 6 per second: three more windows after the first


async def test_a_slot_is_dated_when_the_call_returns_not_when_it_starts() -> None:
    throttle = Throttle(bot_rate=1, per_conversation=(), margin=0.0)
    first = await throttle.acquire("c")
    waiting = asyncio.ensure_future(throttle.acquire("c"))
    await asyncio.sleep(0.3)  # a slow call: the next send must wait for it, then a window
    assert not waiting.done()
    first.release()
    released = time.monotonic()
    (await waiting).release()
    assert time.monotonic() - released >= 0.99


def test_backoff_never_waits_less_than_retry_after_and_is_jittered() -> None:
    backoff = Backoff(base=0.5, cap=30.0)
    delays = {backoff.delay(0, 2.0) for _ in range(20)}
    assert all(2.0 <= d <= 2.5 for d in delays) and len(delays) > 1
    assert all(0.5 <= backoff.delay(0, None) <= 0.625 for _ in range(20))
    assert all(30.0 <= backoff.delay(10, None) <= 37.5 for _ in range(20))


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, TransientSendError),
        (412, TransientSendError),
        (502, TransientSendError),
        (504, TransientSendError),
        (500, TransientSendError),
        (0, TransientSendError),
        (400, PermanentSendError),
        (401, PermanentSendError),
        (403, PermanentSendError),
        (404, PermanentSendError),
    ],
)
def test_failures_are_classified_for_the_ledger(status: int, kind: type[Exception]) -> None:
    error = as_send_error(ConnectorFailure(status, retry_after=3.0))
    assert type(error) is kind
    assert "answer" not in error.reason.lower()


async def test_a_500_is_left_to_the_ledger_not_retried_inline() -> None:
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        raise ConnectorFailure(500)

    with pytest.raises(TransientSendError):
        await call_with_retries(Throttle(), "c", failing, Backoff(base=0.001))
    assert calls == 1


async def test_a_burst_to_one_person_never_trips_the_connectors_limit(
    teams: TeamsHarness,
) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    person = f"teams:{a.EMPLOYEE_AAD}"
    started = time.monotonic()
    await asyncio.gather(*(teams.adapter.send_prompt(person, prompt(i)) for i in range(9)))
    assert time.monotonic() - started >= 1.0  # 7 per second in one conversation
    assert len(teams.connector.posted()) == 9
    assert teams.connector.refused(429) == []


async def test_the_fake_connector_does_refuse_a_burst_beyond_the_limit(
    connector: FakeConnector,
) -> None:
    """The oracle the burst test relies on: sent raw, the eighth message in a second is a 429."""
    url = f"{connector.url}v3/conversations/a:1raw/activities"
    async with aiohttp.ClientSession() as session:
        statuses, retry_after = [], None
        for _ in range(8):
            async with session.post(url, json={"type": "message", "text": "x"}) as response:
                statuses.append(response.status)
                retry_after = response.headers.get("Retry-After")
    assert statuses == [201] * 7 + [429]
    assert retry_after is not None and 0 < float(retry_after) <= 1.0
