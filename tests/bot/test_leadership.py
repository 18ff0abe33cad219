"""With several replicas on one database, the work that must run once (audiences, planning,
digests) is done by one replica at a time, and taken over when that replica stops renewing its
lease; sending stays shared."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.due_work import LEASE, ONCE
from bot.ports import Member
from storage import lease
from storage.db import make_engine
from tests.surveys.engine_support import NEW_YORK, ChatCore, make_core, program_text, question

MONDAY_8AM_NY = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def _replicas(database_url: str, tmp_path: Path) -> tuple[ChatCore, ChatCore]:
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    people = [Member(NEW_YORK, timezone="America/New_York")]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = make_core(database_url, tmp_path / "a", text, MONDAY_8AM_NY, people)
    b = make_core(database_url, tmp_path / "b", text, MONDAY_8AM_NY, people)
    return a, b


def test_one_replica_plans_and_the_other_takes_over_when_it_stops(
    database_url: str, tmp_path: Path
) -> None:
    (core_a, _chat_a, clock_a), (core_b, _chat_b, clock_b) = _replicas(database_url, tmp_path)
    first = asyncio.run(core_a.due_work.run())
    second = asyncio.run(core_b.due_work.run())
    assert first.leading and first.planned > 0
    assert not second.leading and second.planned == 0
    # a keeps renewing on every pass; b keeps waiting
    for step in (10, 20):
        clock_a.set(MONDAY_8AM_NY + timedelta(seconds=step))
        clock_b.set(MONDAY_8AM_NY + timedelta(seconds=step))
        assert asyncio.run(core_a.due_work.run()).leading
        assert not asyncio.run(core_b.due_work.run()).leading
    # a dies: after the lease, b's next pass takes over
    later = MONDAY_8AM_NY + timedelta(seconds=20) + LEASE + timedelta(seconds=1)
    clock_b.set(later)
    assert asyncio.run(core_b.due_work.run()).leading
    clock_a.set(later)
    assert not asyncio.run(core_a.due_work.run()).leading  # back, but b holds it now


def test_a_clean_shutdown_hands_the_lease_over_at_once(database_url: str, tmp_path: Path) -> None:
    (core_a, _a, _clock_a), (core_b, _b, _clock_b) = _replicas(database_url, tmp_path)
    assert asyncio.run(core_a.due_work.run()).leading
    core_a.due_work.resign()
    assert asyncio.run(core_b.due_work.run()).leading


def test_replicas_reaching_for_the_lease_at_once_get_one_holder(
    database_url: str, engine: Engine
) -> None:
    engines = [make_engine(database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    won: list[str] = []

    def reach(index: int) -> None:
        start.wait()
        if lease.hold(engines[index], ONCE, f"replica-{index}", MONDAY_8AM_NY, LEASE):
            won.append(f"replica-{index}")

    threads = [threading.Thread(target=reach, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for one in engines:
        one.dispose()
    assert len(won) == 1
