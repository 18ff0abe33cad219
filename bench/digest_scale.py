"""All digests of one period over 1,000,000 answers (20 workstreams, 26 weeks), broken down by
3 segment attributes of 10 values each.

Anchor: one raw SQL ``GROUP BY workstream, question`` (count and mean of the score) over the
whole answer table. Target: computing every workstream's digest for the latest period (figures,
distributions, changes, pilot split, comment sentiment and quotes, response rates, audience,
chart series, and the key measure by department, location and team with the privacy rule)
takes at most 2x the anchor, with peak Python memory under 300 MB, on SQLite and on PostgreSQL
(``--database-url``; that database is emptied). People's attributes are stored and their
segments assigned through the product's own functions, timed apart. Rendering the chart PNGs is
matplotlib's work, not aggregation; it is timed and printed separately.

    .venv/bin/python -m bench.digest_scale [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.scratch import scratch_database
from bot.app import LearnPulse
from bot.clock import ManualClock
from surveys import segments
from surveys.digest import build_digests, scheduled_period
from surveys.person_attributes import store_attributes
from surveys.sentiment import polarity
from tests.factories import build_app, write_program

WORKSTREAMS = 20
WEEKS = 26
RESPONSE_RATE = 0.8  # the audience is sized so that this share answers
PILOT = 60
ATTRIBUTES = ("department", "location", "team")
VALUES_EACH = 10
QUESTIONS = (("key", "scale"), ("nps", "enps"), ("done", "yes_no"), ("pick", "choice"))
OPTIONS = ["Course", "Mentoring", "Reading", "Nothing yet"]
COMMENTS = [
    "The sessions were really useful and well organised.",
    "Too much at once, hard to keep up with everything.",
    "Fine, nothing special this week.",
    "I loved the hands-on exercises.",
    "Not enough time to practise; deadlines came first.",
    "Okay overall.",
]
LAST_MONDAY = date(2026, 11, 23)  # the 26th week; digests fall due on Friday 27 Nov
NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def program_yaml() -> str:
    lines = [
        "program: Digest benchmark",
        "timezone: UTC",
        "anonymity: {min_responses: 5, min_comments: 5, mode: confidential}",
        'admins: ["slack:U0BENCHADM"]',
        "workstreams:",
    ]
    for w in range(WORKSTREAMS):
        lines += [
            f"  - id: ws{w:02d}",
            f"    name: Workstream {w}",
            f"    lead: slack:U0LEAD{w:04d}",
            f"    digest_to: slack:channel:C0DIGEST{w:02d}",
            '    digest: {cadence: weekly, on: fri, at: "16:00"}',
            "    phase: organization",
            f"    pilot: [slack:U0PILOT{w:04d}]",
            f"    audience: [slack:channel:C0AUDIE{w:02d}]",
            f"    segments: [{', '.join(ATTRIBUTES)}]",
            "    questions:",
        ]
        for qid, kind in QUESTIONS:
            lines += [
                f"      - id: ws{w:02d}-{qid}",
                f"        ask: Question {qid} of workstream {w}?",
                f"        kind: {kind}",
                "        cadence: weekly",
                "        on: mon",
                '        at: "10:00"',
                "        comment: optional",
            ]
            if kind == "choice":
                lines.append(f"        options: {OPTIONS}")
            if qid == "key":
                lines += ["        key_measure: true", "        target: 3.8"]
    return "\n".join(lines) + "\n"


def _value(kind: str, rng: random.Random) -> tuple[str, float | None]:
    if kind == "scale":
        score = float(rng.choices([1, 2, 3, 4, 5], [1, 2, 4, 6, 3])[0])
        return str(int(score)), score
    if kind == "enps":
        score = float(rng.randint(0, 10))
        return str(int(score)), score
    if kind == "yes_no":
        yes = rng.random() < 0.7
        return ("yes" if yes else "no"), (1.0 if yes else 0.0)
    return rng.choice(OPTIONS), None


def seed(core: LearnPulse, answers_total: int) -> int:
    """People, audiences, occurrences, deliveries and answers, bulk-inserted in chunks."""
    rng = random.Random(7)
    engine = core.engine
    per_occurrence = answers_total // (WORKSTREAMS * WEEKS * len(QUESTIONS))
    audience = round(per_occurrence / RESPONSE_RATE)
    encrypted = [(core.vault.encrypt(c), polarity(c)) for c in COMMENTS]
    created = datetime(2026, 5, 1, tzinfo=UTC)
    people = [(w, i) for w in range(WORKSTREAMS) for i in range(audience)]
    bulk(engine, "person", ("id", "ref", "active", "is_bot", "opted_out"),
         ((n + 1, f"slack:UB{w:02d}{i:06d}", True, False, False)
          for n, (w, i) in enumerate(people)))  # fmt: skip
    bulk(engine, "audience_member", ("workstream_id", "person_id", "in_pilot"),
         ((f"ws{w:02d}", n + 1, i < PILOT) for n, (w, i) in enumerate(people)))  # fmt: skip
    segment_of = _segments(core, len(people), rng)
    occurrences: list[tuple[int, str, str, date]] = []
    for w in range(WORKSTREAMS):
        for week in range(WEEKS):
            day = LAST_MONDAY - timedelta(weeks=WEEKS - 1 - week)
            for qid, _ in QUESTIONS:
                occurrences.append((len(occurrences) + 1, f"ws{w:02d}", f"ws{w:02d}-{qid}", day))
    bulk(engine, "occurrence",
         ("id", "key", "workstream_id", "question_id", "cadence", "local_date", "manual",
          "planned", "created_at"),
         ((o, f"bench:{o}", ws, q, "weekly", day, False, True, created)
          for o, ws, q, day in occurrences))  # fmt: skip
    due = datetime(2026, 5, 4, 10, tzinfo=UTC)

    def deliveries() -> Iterator[tuple[Any, ...]]:
        for o, ws, _q, _day in occurrences:
            w = int(ws[2:])
            for i in range(audience):
                status = (
                    "answered" if i < per_occurrence else ("failed" if i % 97 == 0 else "expired")
                )
                yield (o, w * audience + i + 1, status, 0, due, due, due, 1,
                       "user_not_found" if status == "failed" else None, "[]")  # fmt: skip

    bulk(engine, "delivery",
         ("occurrence_id", "person_id", "status", "priority", "due_at", "expires_at",
          "next_attempt_at", "attempts", "last_error", "answered_items"),
         deliveries())  # fmt: skip
    kinds = dict(QUESTIONS)

    def answers() -> Iterator[tuple[Any, ...]]:
        for o, ws, q, day in occurrences:
            w = int(ws[2:])
            kind = kinds[q.split("-", 1)[1]]
            for i in range(per_occurrence):
                value, score = _value(kind, rng)
                comment, sentiment = rng.choice(encrypted) if rng.random() < 0.2 else (None, None)
                person = w * audience + i + 1
                yield (o, q, ws, f"{person:032x}", value, score, comment,
                       sentiment, i < PILOT, day, segment_of.get(person))  # fmt: skip

    return bulk(engine, "answer",
                ("occurrence_id", "question_id", "workstream_id", "respondent_key", "value",
                 "score", "comment", "sentiment", "in_pilot", "answered_on", "segment_id"),
                answers())  # fmt: skip


def _segments(core: LearnPulse, people: int, rng: random.Random) -> dict[int, int | None]:
    """Each person's department, location and team (10 values each, uneven), stored and
    assigned to segments by the product; person id -> segment id."""
    weights = [rng.uniform(0.3, 3.0) for _ in range(VALUES_EACH)]
    values = {
        person: {
            name: f"{name} {rng.choices(range(VALUES_EACH), weights)[0]}" for name in ATTRIBUTES
        }
        for person in range(1, people + 1)
    }
    start = time.perf_counter()
    store_attributes(core.engine, core.vault, values)
    stored = time.perf_counter() - start
    segments.assign(core.engine, core.vault, core.program, NOW.date())
    print(
        f"attributes of {people:,} people stored in {stored:.1f}s, segments assigned in "
        f"{time.perf_counter() - start - stored:.1f}s"
    )
    with core.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, segment_id FROM person"))
        return {int(person): segment for person, segment in rows}


def bulk(engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[Any]) -> int:
    """COPY on PostgreSQL, chunked executemany on SQLite; returns the row count."""
    names = ", ".join(columns)
    count = 0
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            connection.commit()
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.execute("BEGIN")
            chunk: list[Any] = []
            for row in rows:
                chunk.append(
                    tuple(r.isoformat(sep=" ") if isinstance(r, datetime) else r for r in row)
                )
                if len(chunk) == 50_000:
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)
                count += len(chunk)
            cursor.execute("COMMIT")
    finally:
        connection.close()
    if engine.dialect.name == "postgresql":
        # settled as autovacuum would leave it, so that it does not run during the timing
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f"VACUUM ANALYZE {table}"))
        with engine.begin() as c:
            if "id" in columns:
                c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))"))  # fmt: skip
    return count


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None, help="a scratch database (emptied)")
    parser.add_argument("--quick", action="store_true", help="100,000 answers")
    args = parser.parse_args()
    total = 100_000 if args.quick else 1_000_000
    workdir = Path(tempfile.mkdtemp())
    url, engine = scratch_database(args.database_url, workdir)
    program = write_program(workdir, program_yaml())
    core = build_app(url, program=program, clock=ManualClock(NOW), engine=engine)
    start = time.perf_counter()
    inserted = seed(core, total)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    print(
        f"{engine.dialect.name}: {inserted:,} answers seeded in {time.perf_counter() - start:.1f}s"
    )

    anchor_sql = text(
        "SELECT workstream_id, question_id, count(*), avg(score) FROM answer "
        "GROUP BY workstream_id, question_id"
    )

    def anchor() -> int:
        with engine.connect() as connection:
            return len(connection.execute(anchor_sql).all())

    workstreams = core.require_program().workstreams

    def digests(chart: bool = False) -> list[Any]:
        requests = [(w, scheduled_period(core, w)) for w in workstreams]
        return build_digests(core, requests, chart=chart)

    anchor()  # warm the cache for both sides alike
    anchor_time, groups = best_of(3, anchor)
    digest_time, built = best_of(3, digests)
    chart_time, _ = best_of(1, lambda: digests(chart=True))
    tracemalloc.start()
    digests()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shown = sum(1 for d in built for q in d.summary["responses"])
    segment_lines = sum(
        line.count(" people")
        for d in built
        for section in d.report.sections
        if section.heading.startswith("By segment")
        for line in section.lines
    )
    ratio = digest_time / anchor_time
    print(f"anchor: GROUP BY over all answers ({groups} groups): {anchor_time * 1000:.0f} ms")
    print(f"all {len(built)} digests of {built[0].period.label()}: {digest_time * 1000:.0f} ms "
          f"({shown} question figures and {segment_lines} segment figures shown)")  # fmt: skip
    print(f"with chart PNGs rendered as well: {chart_time * 1000:.0f} ms (matplotlib, not counted)")
    print(
        f"peak Python memory while building: {peak:.1f} MB (limit 300); "
        f"process max RSS {rss:.0f} MB"
    )
    verdict = "ok" if ratio <= 2.0 and peak < 300 else "FAIL"
    print(f"ratio digests/anchor: {ratio:.2f} (target <= 2) {verdict}")
    engine.dispose()
    raise SystemExit(0 if verdict == "ok" else 1)


if __name__ == "__main__":
    main()
