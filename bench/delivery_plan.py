"""Plan and insert the deliveries of one occurrence for 100,000 people.

Anchor: a bare bulk INSERT of the same rows through SQLAlchemy. Target: at most 2x the anchor,
on SQLite and on PostgreSQL (``--database-url``). Prints wall times, peak memory and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, insert, select, text

from bench.scratch import scratch_database
from bot.app import LearnPulse
from bot.clock import ManualClock
from storage.tables import AudienceMember, Delivery, Occurrence, PersonRecord, table_of
from surveys.occurrences import TimingRule, askings, plan_occurrence
from tests.factories import build_app

ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Asia/Kolkata",
    None,
]


def seed(core: LearnPulse, people: int) -> None:
    engine = core.engine
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(PersonRecord)),
            [
                {
                    "ref": f"slack:UB{i:08d}",
                    "timezone": ZONES[i % len(ZONES)],
                    "active": True,
                    "is_bot": False,
                    "opted_out": False,
                }
                for i in range(people)
            ],
        )
        ids = [row[0] for row in connection.execute(text("SELECT id FROM person ORDER BY id"))]
        connection.execute(
            insert(table_of(AudienceMember)),
            [{"workstream_id": "respect", "person_id": pid, "in_pilot": False} for pid in ids],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 people")
    args = parser.parse_args()
    people = 10_000 if args.quick else args.people
    url, engine = scratch_database(args.database_url, Path(tempfile.mkdtemp()))
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    core = build_app(url, clock=ManualClock(now), engine=engine)  # the example program
    seed(core, people)
    asking = next(
        a
        for a in askings(core.require_program())
        if a.workstream_id == "respect" and a.priority == 0
    )

    def new_occurrence(key: str) -> Occurrence:
        with core.session() as session:
            occurrence = Occurrence(
                key=key,
                workstream_id="respect",
                question_id=asking.question_id,
                cadence=asking.schedule.cadence,
                local_date=now.date(),
                created_at=now,
            )
            session.add(occurrence)
        return occurrence

    planned_occurrence = new_occurrence("bench@planned")
    started = time.perf_counter()
    inserted = plan_occurrence(
        core, planned_occurrence, asking, TimingRule(asking.schedule, now.date(), now)
    )
    planned_seconds = time.perf_counter() - started
    assert inserted == people, inserted
    # Memory is measured on a second, identical plan (tracemalloc would slow the timed one).
    with engine.begin() as connection:
        connection.execute(delete(table_of(Delivery)))
    tracemalloc.start()
    plan_occurrence(
        core, new_occurrence("bench@memory"), asking, TimingRule(asking.schedule, now.date(), now)
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    table = table_of(Delivery)
    columns = [c for c in table.c if c.name not in ("id", "occurrence_id")]
    with engine.begin() as connection:
        rows = [dict(r._mapping) for r in connection.execute(select(*columns))]
        connection.execute(delete(table))
    anchor_occurrence = new_occurrence("bench@anchor")
    prepared = [{**row, "occurrence_id": anchor_occurrence.id} for row in rows]
    started = time.perf_counter()
    with engine.begin() as connection:
        for start in range(0, len(prepared), 5_000):
            connection.execute(insert(table), prepared[start : start + 5_000])
    anchor_seconds = time.perf_counter() - started
    ratio = planned_seconds / anchor_seconds
    print(f"database: {engine.dialect.name}, people: {people:,}")
    print(f"plan + insert: {planned_seconds:.2f} s, peak traced memory {peak / 1e6:.1f} MB")
    print(f"anchor (bare bulk INSERT): {anchor_seconds:.2f} s")
    print(f"ratio: {ratio:.2f}x (target <= 2.0x) {'OK' if ratio <= 2.0 else 'OVER TARGET'}")
    engine.dispose()


if __name__ == "__main__":
    main()
