"""Each person at their own local time; working days, holidays and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.ports import Member
from storage.tables import Delivery
from surveys.cadence import WorkCalendar, local_instant
from surveys.program import parse_program
from tests.surveys.engine_support import (
    BERLIN,
    NEW_YORK,
    TOKYO,
    make_core,
    program_text,
    question,
    run,
)


def test_nonexistent_local_time_fires_at_the_first_valid_minute() -> None:
    new_york = ZoneInfo("America/New_York")
    assert local_instant(date(2027, 3, 14), time(2, 30), new_york) == datetime(
        2027, 3, 14, 7, 0, tzinfo=UTC
    )
    # an ambiguous time (fall back) takes its first occurrence
    assert local_instant(date(2026, 11, 1), time(1, 30), new_york) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_window_and_reminder_stay_inside_working_hours() -> None:
    program = parse_program(program_text([question("q", "weekly", "mon", "10:00", key=True)]))
    work = WorkCalendar.for_person(program, "America/New_York")
    due = local_instant(date(2026, 11, 30), time(10), work.zone)
    end = work.window_end(due, "weekly")
    assert end.astimezone(work.zone) == datetime(2026, 12, 2, 17, 0, tzinfo=work.zone)  # Wed 17:00
    midpoint = work.working_midpoint(due, end)
    assert midpoint is not None and midpoint.astimezone(work.zone) == datetime(
        2026, 12, 1, 13, 30, tzinfo=work.zone
    )
    # a daily window ends with the working day
    assert work.window_end(due, "daily").astimezone(work.zone).time() == time(17, 0)
    # a holiday does not count toward a window
    christmas_eve = local_instant(date(2026, 12, 24), time(10), work.zone)
    assert work.window_end(christmas_eve, "weekly").astimezone(work.zone).date() == date(
        2026, 12, 29
    )


def test_tokyo_and_new_york_each_at_their_own_ten(database_url: str, tmp_path: Path) -> None:
    people = [Member(TOKYO, timezone="Asia/Tokyo"), Member(NEW_YORK, timezone="America/New_York")]
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    core, chat, clock = make_core(
        database_url, tmp_path, text, datetime(2026, 11, 29, 12, 0, tzinfo=UTC), people
    )
    run(core)
    assert chat.count(TOKYO) == chat.count(NEW_YORK) == 0
    clock.set(datetime(2026, 11, 30, 0, 59, tzinfo=UTC))  # Tokyo 09:59 Monday
    run(core)
    assert chat.count(TOKYO) == 0
    clock.set(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Tokyo 10:00
    run(core)
    assert chat.count(TOKYO) == 1 and chat.count(NEW_YORK) == 0
    clock.set(datetime(2026, 11, 30, 14, 59, tzinfo=UTC))  # New York 09:59
    run(core)
    assert chat.count(NEW_YORK) == 0
    clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # New York 10:00
    run(core)
    assert chat.count(TOKYO) == 1 and chat.count(NEW_YORK) == 1
    prompt = chat.prompts[NEW_YORK][0]
    assert prompt.title == "LMS rollout" and prompt.items[0].question_id == "lms-confidence"
    assert "at least 5" in prompt.privacy_note


def test_nothing_on_weekends_holidays_or_outside_hours(database_url: str, tmp_path: Path) -> None:
    people = [Member(NEW_YORK, timezone="America/New_York")]
    text = program_text([question("daily-q", "daily", None, "10:00", key=True)], budget=10)
    # Thursday 2026-12-24 .. Monday 2026-12-28, with Christmas on Friday
    core, chat, clock = make_core(
        database_url, tmp_path, text, datetime(2026, 12, 24, 12, 0, tzinfo=UTC), people
    )
    sent_days: list[date] = []
    moment = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
    while moment < datetime(2026, 12, 29, 5, 0, tzinfo=UTC):
        clock.set(moment)
        before = chat.count(NEW_YORK)
        run(core)
        if chat.count(NEW_YORK) > before:
            local = moment.astimezone(ZoneInfo("America/New_York"))
            assert time(9) <= local.time() < time(17), local
            sent_days.append(local.date())
        moment += timedelta(hours=1)
    assert sent_days == [date(2026, 12, 24), date(2026, 12, 28)]


@pytest.mark.parametrize(
    ("person", "zone", "day", "expected_utc"),
    [
        (
            NEW_YORK,
            "America/New_York",
            date(2027, 3, 14),
            datetime(2027, 3, 14, 7, 0, tzinfo=UTC),
        ),  # spring forward
        (
            NEW_YORK,
            "America/New_York",
            date(2026, 11, 1),
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        ),  # fall back
        (BERLIN, "Europe/Berlin", date(2027, 3, 28), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        (BERLIN, "Europe/Berlin", date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_daylight_saving_days_fire_exactly_once(
    database_url: str, tmp_path: Path, person: str, zone: str, day: date, expected_utc: datetime
) -> None:
    """02:30 does not exist on spring-forward days; 01:30 (NY), 02:30 (Berlin) repeat in fall."""
    at = "01:30" if (zone == "America/New_York" and day.month == 11) else "02:30"
    text = program_text(
        [question("night", "daily", None, at, key=True)],
        days="[mon, tue, wed, thu, fri, sat, sun]",
        hours='["00:00", "23:59"]',
        budget=20,
    )
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0, 0), tz).astimezone(UTC)
    core, chat, clock = make_core(
        database_url, tmp_path, text, start, [Member(person, timezone=zone)]
    )
    moment, sends = start, []
    while moment < start + timedelta(hours=6):
        clock.set(moment)
        before = chat.count(person)
        run(core)
        if chat.count(person) > before:
            sends.append(moment)
        moment += timedelta(minutes=10)
    assert sends == [expected_utc]
    with core.session() as session:
        rows = session.exec(select(Delivery)).all()
        todays = [d for d in rows if d.due_at.astimezone(tz).date() == day]
    assert len(todays) == 1 and todays[0].due_at == expected_utc
