"""Store 100,000 people's attributes (department, location, team, manager, start date).

``surveys.person_attributes.store_attributes`` as ``learnpulse people import`` runs it, once into
empty tables and once more with every value changed. Anchor: a bare ``executemany`` of the same
link rows through SQLAlchemy. Target: a few seconds for 100,000 people, at most 3x the anchor,
with no write transaction held longer than about 100 ms on SQLite; on SQLite and on PostgreSQL
(``--database-url``; that database is emptied).

    .venv/bin/python -m bench.attribute_store [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, event, insert

from bench.scratch import scratch_database
from storage.crypto import Vault
from storage.tables import PersonRecord, table_of
from surveys.person_attributes import LINKS, store_attributes

ATTRIBUTES = {"department": 40, "location": 25, "team": 400, "manager": 2_000, "start_date": 300}


class LongestTransaction:
    """The longest time between a transaction's start and its end, on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.longest = 0.0
        self._started: dict[int, float] = {}
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, connection: Any) -> None:
        self._started[id(connection)] = time.perf_counter()

    def _end(self, connection: Any) -> None:
        start = self._started.pop(id(connection), None)
        if start is not None:
            self.longest = max(self.longest, time.perf_counter() - start)


def attributes(people: int, rng: random.Random, round_: int) -> dict[int, dict[str, str]]:
    return {
        person: {
            name: f"{name} {rng.randrange(values)} r{round_}" for name, values in ATTRIBUTES.items()
        }
        for person in range(1, people + 1)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None, help="a scratch database (emptied)")
    parser.add_argument("--quick", action="store_true", help="10,000 people")
    args = parser.parse_args()
    people = 10_000 if args.quick else 100_000
    _url, engine = scratch_database(args.database_url, Path(tempfile.mkdtemp()))
    vault = Vault("bench-attribute-store")
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(PersonRecord)),
            [{"ref": f"slack:UA{p:07d}", "active": True} for p in range(1, people + 1)],
        )
    rng = random.Random(11)
    first, second = attributes(people, rng, 1), attributes(people, rng, 2)
    rows = [
        {"person_id": p, "attribute": name, "value_id": 1}
        for p, values in first.items()
        for name in values
    ]
    # the anchor's rows point at one value: the value table is the product's business
    store_attributes(engine, vault, {1: {"department": "anchor"}})
    start = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(delete(LINKS))
        connection.execute(insert(LINKS), rows)
    anchor = time.perf_counter() - start
    with engine.begin() as connection:
        connection.execute(delete(LINKS))
    watch = LongestTransaction(engine)
    start = time.perf_counter()
    links = store_attributes(engine, vault, first)
    fresh = time.perf_counter() - start
    start = time.perf_counter()
    store_attributes(engine, vault, second)
    changed = time.perf_counter() - start
    ratio = fresh / anchor
    print(f"{engine.dialect.name}: {people:,} people, {links:,} attribute links")
    print(f"anchor: executemany of the {len(rows):,} link rows: {anchor:.2f}s")
    print(f"stored into empty tables: {fresh:.2f}s; again with every value changed: {changed:.2f}s")
    print(f"longest write transaction: {watch.longest * 1000:.0f} ms")
    verdict = "ok" if ratio <= 3.0 else "FAIL"
    print(f"ratio stored/anchor: {ratio:.2f} (target <= 3) {verdict}")
    engine.dispose()
    raise SystemExit(0 if verdict == "ok" else 1)


if __name__ == "__main__":
    main()
