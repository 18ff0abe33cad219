"""``LEARNPULSE_CLAIM_LEASE_SECONDS``: how long a claimed send may go unrecorded before the
app's sender takes it for a crashed one, read through Settings and given to that sender."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ports import Member
from bot.settings import SettingsError, load_settings
from surveys.ledger.claim import claim_due
from surveys.occurrences import open_now
from tests.surveys.engine_support import make_core, program_text, question

ALICE = "slack:UALICE001"
MONDAY_10_NEW_YORK = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_the_lease_is_two_minutes_unless_set_and_never_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LEARNPULSE_CLAIM_LEASE_SECONDS", raising=False)
    assert load_settings().learnpulse_claim_lease_seconds == 30
    monkeypatch.setenv("LEARNPULSE_CLAIM_LEASE_SECONDS", "30")
    assert load_settings().learnpulse_claim_lease_seconds == 30
    for refused in ("0", "-5", "soon"):
        monkeypatch.setenv("LEARNPULSE_CLAIM_LEASE_SECONDS", refused)
        with pytest.raises(SettingsError, match=r"^LEARNPULSE_CLAIM_LEASE_SECONDS: "):
            load_settings()


def test_a_claim_abandoned_for_longer_than_the_set_lease_is_sent_again(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNPULSE_CLAIM_LEASE_SECONDS", "30")
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    people = [Member(ALICE, timezone="America/New_York")]
    core, chat, clock = make_core(database_url, tmp_path, text, MONDAY_10_NEW_YORK, people)
    sender = core.due_work.sender  # the one the app's periodic work sends with

    async def crash_then_send() -> tuple[int, int]:
        await open_now(core, "lms", "lms-confidence", actor="test")
        [_abandoned] = await asyncio.to_thread(claim_due, core.engine, clock.now(), 10)
        clock.advance(timedelta(seconds=29))
        within = (await sender.send_due()).sent  # still the crashed sender's claim
        clock.advance(timedelta(seconds=2))
        return within, (await sender.send_due()).sent

    assert asyncio.run(crash_then_send()) == (0, 1)
    assert len(chat.prompts[ALICE]) == 1
