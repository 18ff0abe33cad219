"""What finding a comment's themes adds to storing it: extraction, and the theme rows written
in the comment's transaction.

For each of a few thousand comments in the example program's voices (and the program's
``themes:`` rules), it times ``surveys.themes.extract`` and then ``surveys.theme_writes.store``
inside a transaction that also inserts the comment's answer, against the same transaction
without the themes. Target: the median added time per stored comment at most 2 ms, on SQLite and
on PostgreSQL (``--database-url``). Prints the medians and the 90th percentiles.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, insert

from adapters.local.voices import BY_WORKSTREAM
from bench.scratch import scratch_database
from bot.clock import ManualClock
from storage.crypto import Vault
from storage.tables import Answer, Occurrence, table_of
from surveys import theme_writes
from surveys.themes import extract
from tests.factories import build_app

TARGET_MS = 2.0
ANSWERS = table_of(Answer)


@dataclass(frozen=True)
class Figures:
    comments: int
    extract_ms: float  # median
    store_ms: float  # median of (with themes - without), per comment
    added_ms: float  # median of extraction + writing, per comment
    added_p90_ms: float
    themes: int  # distinct themes stored


def measure(url: str, engine: Engine, comments: int) -> Figures:
    """Store ``comments`` comments, each in its own transaction, timing what themes add."""
    core = build_app(url, clock=ManualClock(datetime(2026, 12, 1, 9, tzinfo=UTC)), engine=engine)
    program = core.require_program()  # the example program, its questions stored
    rules = program.themes
    question = program.workstreams[0].questions[0].id
    vault = Vault("bench-theme-extraction")
    with engine.begin() as connection:
        occurrence = connection.execute(
            insert(table_of(Occurrence)).returning(table_of(Occurrence).c.id),
            {"key": "bench", "workstream_id": program.workstreams[0].id, "question_id": question,
             "cadence": "weekly", "local_date": date(2026, 12, 1),
             "created_at": datetime(2026, 12, 1, tzinfo=UTC)},
        ).scalar_one()  # fmt: skip
    texts = [line.text for voices in BY_WORKSTREAM.values() for line in voices.comments]
    extracting: list[float] = []
    added: list[float] = []
    storing: list[float] = []
    for n in range(comments):
        text = f"{texts[n % len(texts)]} ({n // len(texts)})" if n >= len(texts) else texts[n]
        row = _row(vault, text, occurrence, program.workstreams[0].id, question)
        with engine.begin() as connection:  # the same write without themes, for the baseline
            started = time.perf_counter()
            connection.execute(insert(ANSWERS), {**row, "id": 2 * n + 1, "respondent_key": f"b{n}"})
            baseline = time.perf_counter() - started
        started = time.perf_counter()
        found = extract(text, rules)
        extracted = time.perf_counter() - started
        with engine.begin() as connection:
            started = time.perf_counter()
            connection.execute(insert(ANSWERS), {**row, "id": 2 * n + 2, "respondent_key": f"t{n}"})
            theme_writes.store(connection, vault, {2 * n + 2: found})
            written = time.perf_counter() - started
        extracting.append(extracted)
        storing.append(max(0.0, written - baseline))
        added.append(extracted + max(0.0, written - baseline))
    with engine.connect() as connection:
        themes = len(connection.execute(theme_writes.THEMES.select()).all())
    deciles = statistics.quantiles(added, n=10)
    return Figures(
        comments,
        1000 * statistics.median(extracting),
        1000 * statistics.median(storing),
        1000 * statistics.median(added),
        1000 * deciles[-1],
        themes,
    )


def _row(
    vault: Vault, text: str, occurrence: int, workstream: str, question: str
) -> dict[str, object]:
    return {
        "occurrence_id": occurrence,
        "question_id": question,
        "workstream_id": workstream,
        "value": "4",
        "score": 4.0,
        "comment": vault.encrypt(text),
        "sentiment": 0.0,
        "in_pilot": False,
        "answered_on": date(2026, 12, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--comments", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="1,000 comments")
    args = parser.parse_args()
    comments = 1_000 if args.quick else args.comments
    url, engine = scratch_database(args.database_url, Path(tempfile.mkdtemp()))
    figures = measure(url, engine, comments)
    print(f"database: {engine.dialect.name}, {figures.comments} comments, "
          f"{figures.themes} distinct themes")  # fmt: skip
    print(f"extraction alone: median {figures.extract_ms:.3f} ms")
    print(f"theme rows written: median {figures.store_ms:.3f} ms more than the comment alone")
    print(f"added per stored comment: median {figures.added_ms:.3f} ms, "
          f"p90 {figures.added_p90_ms:.3f} ms (target ≤ {TARGET_MS} ms median)")  # fmt: skip
    raise SystemExit(0 if figures.added_ms <= TARGET_MS else 1)


if __name__ == "__main__":
    main()
