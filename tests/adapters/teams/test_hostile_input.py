"""``/api/messages`` under hostile input: the token is checked before the body is read, and a
body larger than any activity Teams sends is refused with 413 without being read."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.schema import Activity

from adapters.teams import turns
from adapters.teams.turns import MAX_BODY_BYTES
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness
from tests.adapters.teams.test_trust import (  # noqa: F401 (fixtures)
    SigningKey,
    bearer,
    new_key,
    nothing_happened,
    openid,
    secured,
    trusted_key,
)
from tests.partial_upload import status_before_upload_ends

HOSTILE_BYTES = 900_000
JSON_HEAD = {"Content-Type": "application/json"}


@pytest.fixture
def deserialized(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per activity botbuilder's deserializer reads, in whatever thread it runs."""
    calls: list[int] = []
    real = Activity.deserialize.__func__

    def counting(cls: type[Activity], data: Any, content_type: str | None = None) -> Any:
        calls.append(1)
        return real(cls, data, content_type)

    monkeypatch.setattr(Activity, "deserialize", classmethod(counting))
    return calls


def hostile_body(harness: TeamsHarness) -> bytes:
    return json.dumps(
        a.bloated_message(harness.connector.url, a.EMPLOYEE_AAD, HOSTILE_BYTES)
    ).encode()


async def post_raw(harness: TeamsHarness, body: bytes, headers: dict[str, str]) -> int:
    async with harness.session.post(
        f"{harness.url}api/messages", data=body, headers={**JSON_HEAD, **headers}
    ) as response:
        return response.status


@pytest.mark.parametrize("case", ["no header", "foreign key", "not a token"])
async def test_an_unauthenticated_900_kb_post_is_refused_without_being_parsed(
    secured: TeamsHarness,  # noqa: F811
    deserialized: list[int],
    case: str,
) -> None:
    headers = {
        "no header": {},
        "foreign key": bearer(new_key("trusted-key").token(serviceurl=secured.connector.url)),
        "not a token": {"Authorization": "Bearer " + "x" * 2000},
    }[case]
    assert await post_raw(secured, hostile_body(secured), headers) == 401
    assert deserialized == []
    nothing_happened(secured)


async def test_an_unauthenticated_body_is_not_even_read_as_json(
    secured: TeamsHarness,  # noqa: F811
) -> None:
    forged = bearer(new_key("trusted-key").token(serviceurl=secured.connector.url))
    assert await post_raw(secured, b"{not json", forged) == 401  # not 400: never parsed


async def test_a_slow_unauthenticated_upload_gets_its_401_before_the_upload_ends(
    secured: TeamsHarness,  # noqa: F811
    deserialized: list[int],
) -> None:
    forged = bearer(new_key("trusted-key").token(serviceurl=secured.connector.url))
    body = hostile_body(secured)
    status = await status_before_upload_ends(
        f"{secured.url}api/messages", {**JSON_HEAD, **forged}, len(body), body[:16_384]
    )
    assert status == 401
    assert deserialized == []


async def test_an_oversized_activity_is_refused_with_413_before_it_is_read(
    secured: TeamsHarness,  # noqa: F811
    trusted_key: SigningKey,  # noqa: F811
    deserialized: list[int],
) -> None:
    token = bearer(trusted_key.token(serviceurl=secured.connector.url))
    body = hostile_body(secured)
    status = await status_before_upload_ends(
        f"{secured.url}api/messages", {**JSON_HEAD, **token}, len(body), body[:16_384]
    )
    assert status == 413
    assert deserialized == []
    nothing_happened(secured)


async def test_an_oversized_chunked_activity_is_refused_with_413(
    secured: TeamsHarness,  # noqa: F811
    trusted_key: SigningKey,  # noqa: F811
    deserialized: list[int],
) -> None:
    """Without a declared length the body is read only up to the cap."""
    token = bearer(trusted_key.token(serviceurl=secured.connector.url))
    body = hostile_body(secured)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    async with secured.session.post(
        f"{secured.url}api/messages", data=chunks(), headers={**JSON_HEAD, **token}
    ) as response:
        assert response.status == 413
    assert deserialized == []
    nothing_happened(secured)


async def test_a_signed_activity_near_the_cap_is_still_handled(
    secured: TeamsHarness,  # noqa: F811
    trusted_key: SigningKey,  # noqa: F811
    deserialized: list[int],
) -> None:
    install = a.personal_install(secured.connector.url, a.EMPLOYEE_AAD)
    install["entities"] = a.bloated_message(
        secured.connector.url, a.EMPLOYEE_AAD, MAX_BODY_BYTES - 4096
    )["entities"]
    body = json.dumps(install).encode()
    assert MAX_BODY_BYTES - 8192 < len(body) <= MAX_BODY_BYTES
    token = bearer(trusted_key.token(serviceurl=install["serviceUrl"]))
    assert await post_raw(secured, body, token) == 200
    assert deserialized == [1]
    (welcome,) = secured.connector.posted()
    assert "LearnPulse" in str(welcome.body.get("attachments"))


async def test_tokens_are_checked_even_while_every_database_thread_is_busy(
    secured: TeamsHarness,  # noqa: F811
) -> None:
    """Token checks have a thread of their own: a flood of forged requests does not queue for
    the threads that store answers, and busy database threads do not hold up a refusal."""
    release = threading.Event()
    loop = asyncio.get_running_loop()
    busy = [loop.run_in_executor(None, release.wait, 30) for _ in range(64)]
    try:
        forged = bearer(new_key("trusted-key").token(serviceurl=secured.connector.url))
        status = await asyncio.wait_for(post_raw(secured, b"{}", forged), timeout=10)
        assert status == 401
    finally:
        release.set()
        await asyncio.gather(*busy)


async def test_a_refused_token_is_answered_after_a_pause_and_only_so_many_wait(
    secured: TeamsHarness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that sends again as soon as it is refused cannot make the server check tokens
    as fast as it can send them; and the pause cannot be used to pile up held requests."""
    forged = bearer(new_key("trusted-key").token(serviceurl=secured.connector.url))

    async def timed() -> tuple[int, float]:
        started = time.monotonic()
        status = await post_raw(secured, b"{}", forged)
        return status, time.monotonic() - started

    status, seconds = await timed()
    assert status == 401 and seconds >= turns.REFUSAL_PAUSE_SECONDS / 2

    monkeypatch.setattr(turns, "MAX_PAUSED", 1)
    (first, waited), (second, answered_in) = await asyncio.gather(timed(), timed())
    assert (first, second) == (401, 401)
    assert max(waited, answered_in) >= turns.REFUSAL_PAUSE_SECONDS / 2  # one waited
    assert min(waited, answered_in) < max(waited, answered_in)  # the other was answered first
