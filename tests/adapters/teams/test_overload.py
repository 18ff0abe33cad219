"""When the answer recorder holds as many clicks as it may, a Teams answer gets 503 with
``Retry-After`` at once (Teams holds the request open for the outcome) and nothing of it is
stored; once there is room again the same click goes through."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from bot import recording
from bot.clock import ManualClock
from surveys import answers
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness
from tests.adapters.teams.test_flow import answer_buttons, open_survey, stored_answers

HELD = 2


@pytest.fixture
def held_up_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Answers are written only once the returned event is set (always set at the end)."""
    release = threading.Event()
    write = answers.record_all

    def held_up(core: Any, events: Sequence[Any]) -> list[answers.AnswerOutcome]:
        release.wait(timeout=30)
        return write(core, events)

    monkeypatch.setattr(answers, "record_all", held_up)
    yield release
    release.set()


def held(teams: TeamsHarness) -> float:
    return teams.core.metrics.registry.get_sample_value("learnpulse_answers_held") or 0.0


async def test_a_full_recorder_answers_503_with_retry_after_and_stores_nothing_of_it(
    teams: TeamsHarness,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    held_up_writes: threading.Event,
) -> None:
    teams.core.dispatcher.recorder = recording.AnswerRecorder(teams.core, max_held=HELD)
    card = await open_survey(teams, clock)
    buttons = {b["data"]["value"]: b["data"] for b in answer_buttons(card)}
    url = teams.connector.url

    def click(value: str, comment: str | None = None) -> dict[str, Any]:
        data = dict(buttons[value])
        if comment is not None:
            data[f"comment:{data['question_id']}"] = comment
        return a.card_action(url, a.EMPLOYEE_AAD, "answer", data)

    # two clicks on "no" (in whichever order they arrive), held by the recorder
    first = asyncio.create_task(teams.post(click("no")))
    second = asyncio.create_task(teams.post(click("no", "a second thought")))
    deadline = time.monotonic() + 10
    while held(teams) < HELD:
        assert time.monotonic() < deadline, "the first two clicks never reached the recorder"
        await asyncio.sleep(0.01)

    async with teams.session.post(
        f"{teams.url}api/messages", json=click("yes", "this one is refused")
    ) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"

    held_up_writes.set()
    assert [(await first)[0], (await second)[0]] == [200, 200]
    (answer,) = stored_answers(teams)
    assert answer.value == "no"  # the refused click ("yes") left no trace
    assert answer.comment is not None
    assert teams.core.vault.decrypt(answer.comment) == "a second thought"
    refused = teams.core.metrics.registry.get_sample_value(
        "learnpulse_clicks_refused_total", {"platform": "teams"}
    )
    assert refused == 1

    status, _ = await teams.post(click("yes"))  # room again: the click goes through
    assert status == 200
    (answer,) = stored_answers(teams)
    assert answer.value == "yes"
