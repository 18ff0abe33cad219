"""Throttling within Teams' limits and the retry policy's arithmetic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import Engine

from adapters.teams.adapter import TeamsAdapter
from adapters.teams.throttle import (
    DEFAULT_BOT_RATE,
    PER_CONVERSATION_LIMITS,
    Backoff,
    ConnectorFailure,
    Limit,
    Permit,
    Throttle,
    as_send_error,
    call_with_retries,
)
from bot.clock import ManualClock
from bot.ports import PermanentSendError, TransientSendError
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness, serve_teams, teams_core
from tests.adapters.teams.fake_connector import FakeConnector, Received, running
from tests.adapters.teams.test_proactive import installed, prompt
from tests.virtual_time import VirtualTime


def test_the_defaults_are_teams_published_limits() -> None:
    assert (Limit(7, 1.0), Limit(60, 30.0)) == PER_CONVERSATION_LIMITS
    assert DEFAULT_BOT_RATE == 30
    assert Throttle(bot_rate=50).bot_limit == Limit(50, 1.0)


def max_in_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


async def test_each_window_is_respected_per_conversation_and_across_the_bot() -> None:
    driven = VirtualTime()
    throttle = Throttle(
        bot_rate=6,
        per_conversation=(Limit(2, 0.2), Limit(4, 0.6)),
        margin=0.0,
        monotonic=driven.monotonic,
        sleep=driven.sleep,
    )
    stamps: dict[str, list[float]] = {"a": [], "b": [], "c": []}

    async def send(conversation: str) -> None:
        permit = await throttle.acquire(conversation)
        stamps[conversation].append(driven.monotonic())
        await driven.sleep(0.01)  # the call
        permit.release()

    await asyncio.gather(*(send(c) for c in "abc" for _ in range(6)))
    everything = sorted(t for times in stamps.values() for t in times)
    assert max_in_window(everything, 1.0) <= 6
    for times in stamps.values():
        assert max_in_window(times, 0.2) <= 2
        assert max_in_window(times, 0.6) <= 4
    # 18 sends at 6 per second: the last starts in the third window after the first, and the
    # throttle asks for no wait beyond what the limits need
    assert 2.0 <= everything[-1] - everything[0] < 3.0


async def test_a_slot_is_dated_when_the_call_returns_not_when_it_starts() -> None:
    driven = VirtualTime()
    throttle = Throttle(
        bot_rate=1, per_conversation=(), margin=0.0, monotonic=driven.monotonic, sleep=driven.sleep
    )
    first = await throttle.acquire("c")
    waiting = asyncio.ensure_future(throttle.acquire("c"))
    await driven.sleep(0.3)  # a slow call: the next send must wait for it, then a window
    assert not waiting.done()
    first.release()
    (await waiting).release()
    assert driven.monotonic() == pytest.approx(1.3)


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


# -- Teams' published limits, reached through the fake connector on a driven clock ------------


class ThrottleOnDrivenTime(Throttle):
    """Teams' limits at their production settings, on driven time: a send waiting in
    ``acquire`` lets the clock run."""

    def __init__(self, driven: VirtualTime) -> None:
        super().__init__(monotonic=driven.monotonic, sleep=driven.sleep)
        self.driven = driven

    async def acquire(self, conversation: str) -> Permit:
        with self.driven.idle():
            return await super().acquire(conversation)


@pytest.fixture
async def timed_teams(
    database_url: str, engine: Engine, clock: ManualClock
) -> AsyncIterator[tuple[TeamsHarness, VirtualTime]]:
    """Teams against a fake connector that enforces the real limits, the bot's throttle and its
    retries at their production settings, both on one clock that moves only when they wait."""
    driven = VirtualTime()
    async with running(FakeConnector(monotonic=driven.monotonic)) as connector:
        core = teams_core(database_url, engine, clock, connector.url, TEAMS_EMULATOR="1")
        throttle = ThrottleOnDrivenTime(driven)
        async with serve_teams(core, connector, throttle=throttle, backoff=Backoff()) as teams:
            yield teams, driven


def aad(n: int) -> str:
    return f"{n:08x}-5a1e-4c0d-9e2b-{n:012x}"


async def install_people(teams: TeamsHarness, driven: VirtualTime, count: int) -> list[str]:
    """``count`` people with the app installed; returns their references, once the welcomes
    are out of every window."""
    people = []
    for n in range(count):
        await installed(teams, aad(n))
        people.append(f"teams:{aad(n)}")
    await driven.sleep(60)
    teams.connector.calls.clear()
    return people


async def send_prompts(
    driven: VirtualTime, adapter: TeamsAdapter, people: list[str], ids: range
) -> None:
    """Prompt ``ids[n]`` to ``people[n]``, all at once; each send's own work takes no time."""

    async def send(person: str, delivery_id: int) -> None:
        with driven.busy():
            await adapter.send_prompt(person, prompt(delivery_id))

    await asyncio.gather(*(send(p, i) for p, i in zip(people, ids, strict=True)))


def delivery_ids(posted: list[Received]) -> list[int]:
    cards = [str(call.body["attachments"][0]["content"]) for call in posted]
    return sorted(int(card.split("'delivery_id': ")[1].split(",")[0]) for card in cards)


async def test_sixty_messages_in_thirty_seconds_to_one_person_and_the_rest_wait(
    timed_teams: tuple[TeamsHarness, VirtualTime],
) -> None:
    teams, driven = timed_teams
    [person] = await install_people(teams, driven, 1)
    await send_prompts(driven, teams.adapter, [person] * 75, range(75))
    assert teams.connector.refused(429) == []
    posted = teams.connector.posted()
    assert delivery_ids(posted) == list(range(75))  # each prompt once, none lost
    arrived = [call.at for call in posted]
    assert max_in_window(arrived, 30.0) == 60  # the limit is used, never passed
    assert max_in_window(arrived, 1.0) == 7
    assert arrived[60] - arrived[0] >= 30.0  # the 61st waited for the 1st to leave the window


async def test_thirty_messages_a_second_across_the_bot(
    timed_teams: tuple[TeamsHarness, VirtualTime],
) -> None:
    teams, driven = timed_teams
    people = await install_people(teams, driven, 45)
    await send_prompts(driven, teams.adapter, people, range(45))
    assert teams.connector.refused(429) == []
    posted = teams.connector.posted()
    assert delivery_ids(posted) == list(range(45))
    arrived = sorted(call.at for call in posted)
    assert max_in_window(arrived, 1.0) == 30
    assert arrived[30] - arrived[0] >= 1.0


async def test_a_429_from_the_shared_limit_is_waited_out_and_nothing_is_lost(
    timed_teams: tuple[TeamsHarness, VirtualTime],
) -> None:
    """Two replicas of the bot each keep their own 30 a second; together they pass the bot's
    limit. The connector's 429s are waited out as long as Retry-After says, then sent."""
    teams, driven = timed_teams
    people = await install_people(teams, driven, 40)
    replica = TeamsAdapter(teams.core, throttle=ThrottleOnDrivenTime(driven), backoff=Backoff())
    try:
        await asyncio.gather(
            send_prompts(driven, teams.adapter, people[:20], range(20)),
            send_prompts(driven, replica, people[20:], range(20, 40)),
        )
    finally:
        await replica.authentication.pool.close()
    refused = teams.connector.refused(429)
    assert len(refused) >= 10  # 40 at once against 30 a second
    assert delivery_ids(teams.connector.posted()) == list(range(40))
    for call in refused:
        assert call.retry_after is not None
        [retried] = [
            later
            for later in teams.connector.calls
            if later.conversation == call.conversation and later.at > call.at
        ][:1]
        assert retried.at >= call.at + call.retry_after


async def test_the_fake_connector_refuses_past_sixty_in_thirty_seconds_or_thirty_a_second(
    connector: FakeConnector,
) -> None:
    """The oracle of the tests above, sent raw on the driven clock."""
    driven = VirtualTime()
    connector.monotonic = driven.monotonic

    async def post(session: aiohttp.ClientSession, conversation: str) -> tuple[int, str | None]:
        url = f"{connector.url}v3/conversations/{conversation}/activities"
        async with session.post(url, json={"type": "message", "text": "x"}) as response:
            return response.status, response.headers.get("Retry-After")

    async with aiohttp.ClientSession() as session:
        for _ in range(60):  # 6 a second: inside 7 a second
            assert await post(session, "a:1person") == (201, None)
            await driven.sleep(1 / 6)
        status, retry_after = await post(session, "a:1person")
        assert status == 429 and retry_after is not None
        assert 19.0 < float(retry_after) <= 20.0  # the first of the sixty leaves at 30 s
        await driven.sleep(float(retry_after))
        assert (await post(session, "a:1person"))[0] == 201

        await driven.sleep(30)
        statuses = [(await post(session, f"a:1other{n}"))[0] for n in range(31)]
        assert statuses == [201] * 30 + [429]
