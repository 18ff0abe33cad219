"""Audiences refreshed as a diff: people upserted in bulk, memberships added and removed by set
difference in short transactions, nobody removed when a platform could not be reached, and an
audience resolved within ``LEARNPULSE_AUDIENCE_TTL`` not resolved again for a survey."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bot.ports import Member, TransientSendError
from bot.settings import SettingsError, load_settings
from storage.tables import AudienceMember, PersonRecord
from surveys import audience, roster
from tests.surveys.engine_support import TOKYO, ChatCore, make_core, program_text, question

MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
ALL = "slack:channel:C0ALL"


def _people(n: int, start: int = 0) -> list[Member]:
    return [
        Member(f"slack:UR{i:07d}", timezone="America/New_York") for i in range(start, start + n)
    ]


def _core(database_url: str, tmp_path: Path, members: list[Member]) -> ChatCore:
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    return make_core(database_url, tmp_path, text, MONDAY_10AM_NY, members)


def _members(core: Any, workstream: str = "lms") -> dict[str, bool]:
    with core.session() as session:
        rows = session.exec(
            select(PersonRecord.ref, AudienceMember.in_pilot)
            .join(AudienceMember, col(AudienceMember.person_id) == PersonRecord.id)
            .where(AudienceMember.workstream_id == workstream)
        ).all()
    return dict(rows)


def _changes(core: Any) -> Counter[str]:
    """Rows changed per table from now on, as the database reports them."""
    changed: Counter[str] = Counter()

    def count(_c: Any, cursor: Any, sql: str, _params: Any, _ctx: Any, _many: bool) -> None:
        words = sql.split()
        verb = words[0].upper() if words else ""
        where = {"INSERT": 2, "UPDATE": 1, "DELETE": 2}.get(verb)
        table = words[where] if where is not None and len(words) > where else None
        if table is not None and cursor.rowcount > 0:
            changed[table.strip('"')] += cursor.rowcount

    event.listen(core.engine, "after_cursor_execute", count)
    return changed


def test_a_refresh_changes_only_what_changed(database_url: str, tmp_path: Path) -> None:
    people = _people(30)
    core, chat, _clock = _core(database_url, tmp_path, people)
    asyncio.run(audience.refresh(core))
    assert set(_members(core)) == {m.person for m in people}
    changes = _changes(core)
    asyncio.run(audience.refresh(core))
    assert changes["person"] == 0 and changes["audience_member"] == 0  # the same audience
    # Five leave, three join, one moves time zone.
    moved = Member(people[0].person, timezone="Europe/Berlin")
    chat.directory[ALL] = [moved, *people[6:], *_people(3, start=100)]
    asyncio.run(audience.refresh(core))
    assert changes["person"] == 3 + 1  # three new people, one time zone changed
    assert changes["audience_member"] == 5 + 3  # five out, three in
    assert set(_members(core)) == {m.person for m in chat.directory[ALL]}


def test_a_platform_that_cannot_be_reached_removes_nobody(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _people(8)
    core, chat, _clock = _core(database_url, tmp_path, people)
    asyncio.run(audience.refresh(core))
    members_before = _members(core)

    async def unreachable(ref: str) -> list[Member]:
        raise TransientSendError("connection refused")

    monkeypatch.setattr(chat, "members", unreachable)
    asyncio.run(audience.refresh(core))
    assert _members(core) == members_before


def test_people_are_written_in_short_transactions(database_url: str, tmp_path: Path) -> None:
    people = _people(2 * roster.CHUNK + 10)
    core, _chat, _clock = _core(database_url, tmp_path, people)
    commits: list[int] = []
    event.listen(core.engine, "commit", lambda _c: commits.append(1))
    inserted: list[int] = []

    def rows(_c: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("INSERT INTO AUDIENCE_MEMBER"):
            inserted.append(len(params) if many else max(1, str(sql).count("(?")))

    event.listen(core.engine, "before_cursor_execute", rows)
    sizes = asyncio.run(audience.refresh(core))
    assert sizes["lms"] == len(people)
    assert len(commits) >= 6  # people in three chunks, members of lms in three
    assert len(_members(core)) == len(people)


def test_an_audience_resolved_within_the_ttl_is_not_resolved_again(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _people(5)
    core, chat, clock = _core(database_url, tmp_path, people)
    asked: list[str] = []
    resolve = chat.members

    async def counting(ref: str) -> list[Member]:
        asked.append(ref)
        return await resolve(ref)

    monkeypatch.setattr(chat, "members", counting)
    ttl = timedelta(hours=1)
    asyncio.run(audience.refresh(core, ["lms"], max_age=ttl))
    assert asked == [ALL]
    clock.advance(timedelta(minutes=59))
    asyncio.run(audience.refresh(core, ["lms"], max_age=ttl))
    assert asked == [ALL]  # resolved 59 minutes ago: not again
    clock.advance(timedelta(minutes=2))
    asyncio.run(audience.refresh(core, ["lms"], max_age=ttl))
    assert asked == [ALL, ALL]


def test_the_pilot_phase_asks_the_pilot_and_marks_it(database_url: str, tmp_path: Path) -> None:
    text = program_text(
        [question("lms-confidence", "weekly", "mon", "10:00", key=True)], phase="pilot"
    )
    core, _chat, _clock = make_core(
        database_url, tmp_path, text, MONDAY_10AM_NY, [Member(TOKYO, timezone="Asia/Tokyo")]
    )
    asyncio.run(audience.refresh(core))
    assert _members(core) == {TOKYO: True}


def test_the_audience_ttl_setting_reads_durations() -> None:
    assert load_settings(LEARNPULSE_AUDIENCE_TTL="90s").learnpulse_audience_ttl == timedelta(
        seconds=90
    )
    assert load_settings(LEARNPULSE_AUDIENCE_TTL="2h").learnpulse_audience_ttl == timedelta(hours=2)
    assert load_settings().learnpulse_audience_ttl == timedelta(hours=1)
    try:
        load_settings(LEARNPULSE_AUDIENCE_TTL="soon")
    except SettingsError as exc:
        assert str(exc).startswith("LEARNPULSE_AUDIENCE_TTL: ")
    else:
        raise AssertionError("a bad duration was accepted")
