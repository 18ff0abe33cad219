"""The heartbeat: jobs come from the program, and starting catches up on what fell due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.ports import Member
from bot.scheduler import Heartbeat
from tests.surveys.engine_support import NEW_YORK, make_core, program_text, question


async def test_start_catches_up_and_ticks(database_url: str, tmp_path: Path) -> None:
    text = program_text(
        [
            question("lms-confidence", "weekly", "mon", "10:00", key=True),
            question("lms-x", "weekly", "wed", "11:30"),
        ]
    )
    start = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Monday 11:00 New York: one prompt is due
    core, chat, clock = await asyncio.to_thread(
        make_core,
        database_url,
        tmp_path,
        text,
        start,
        [Member(NEW_YORK, timezone="America/New_York")],
    )
    heartbeat = Heartbeat(core, tick=timedelta(seconds=0.2))
    assert heartbeat.wake_times() == {(10, 0), (11, 30), (16, 0)}  # questions and the digest
    heartbeat.start()
    try:
        jobs = {job.id for job in heartbeat.scheduler.get_jobs()}
        assert jobs == {"tick", "at-1000", "at-1130", "at-1600"}
        for _ in range(50):
            if chat.count(NEW_YORK):
                break
            await asyncio.sleep(0.1)
        assert chat.count(NEW_YORK) == 1
        clock.set(
            datetime(2026, 12, 2, 16, 30, tzinfo=UTC)
        )  # Wednesday 11:30: the next one, by tick
        for _ in range(50):
            if chat.count(NEW_YORK) == 2:
                break
            await asyncio.sleep(0.1)
        assert [p.items[0].question_id for p in chat.prompts[NEW_YORK] if not p.is_reminder] == [
            "lms-confidence",
            "lms-x",
        ]
    finally:
        heartbeat.stop()
