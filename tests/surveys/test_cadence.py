"""Each person at their own local time; working days, holidays and daylight-saving changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.events import AnswerGiven
from bot.ports import Member
from storage.tables import Answer, Delivery, DeliveryStatus, Occurrence
from surveys.cadence import WorkCalendar, asking_day, local_instant, timing_for
from surveys.program_file import parse_program
from tests.surveys.engine_support import (
    BERLIN,
    NEW_YORK,
    TOKYO,
    ChatCore,
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


# -- across Christmas and New Year (holidays on Friday 25 December and Friday 1 January) --------

NY = ZoneInfo("America/New_York")
CHRISTMAS_AND_NEW_YEAR = '["2026-12-25", "2027-01-01"]'
ALICE, BOB = "slack:UALICE001", "slack:UBOB00001"


def _ny(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), NY).astimezone(UTC)


def test_weekly_and_monthly_askings_move_past_a_holiday_and_the_weekend() -> None:
    """Weekly and monthly questions move to the next working day (daily ones are skipped)."""
    program = parse_program(
        program_text(
            [
                question("weekly-fri", "weekly", "fri", "10:00", key=True),
                question("monthly-25", "monthly", 25, "10:00"),
                question("monthly-1", "monthly", 1, "10:00"),
            ],
            holidays=CHRISTMAS_AND_NEW_YEAR,
        )
    )
    work = WorkCalendar.for_person(program, "America/New_York")
    schedules = {q.id: q.schedule for ws in program.workstreams for q in ws.questions}
    cases = [
        ("weekly-fri", date(2026, 12, 25), date(2026, 12, 28)),  # Friday holiday → Monday
        ("monthly-25", date(2026, 12, 25), date(2026, 12, 28)),
        ("monthly-1", date(2027, 1, 1), date(2027, 1, 4)),
        ("weekly-fri", date(2026, 12, 18), date(2026, 12, 18)),  # a working Friday stays
    ]
    for qid, scheduled, asked in cases:
        assert asking_day(schedules[qid], scheduled, work) == asked, qid
        timing = timing_for(schedules[qid], scheduled, work)
        assert timing is not None and timing.due_at == _ny(asked, 10)


def test_a_question_due_on_a_holiday_friday_is_asked_on_monday_once(
    database_url: str, tmp_path: Path
) -> None:
    text = program_text(
        [
            question("weekly-fri", "weekly", "fri", "10:00", key=True),
            question("monthly-25", "monthly", 25, "10:00"),
        ],
        holidays=CHRISTMAS_AND_NEW_YEAR,
    )
    people = [Member(ALICE, timezone="America/New_York")]
    core, chat, clock = make_core(database_url, tmp_path, text, _ny(date(2026, 12, 24), 8), people)
    asked: list[tuple[str, datetime]] = []
    for day in (24, 25, 26, 27, 28):
        for hour, minute in ((9, 59), (10, 0), (16, 0)):
            clock.set(_ny(date(2026, 12, day), hour, minute))
            before = len(chat.prompts[ALICE])
            run(core)
            asked += [(p.items[0].question_id, clock.now()) for p in chat.prompts[ALICE][before:]]
    monday_ten = _ny(date(2026, 12, 28), 10)
    assert sorted(asked) == [("monthly-25", monday_ten), ("weekly-fri", monday_ten)]


@pytest.mark.parametrize(
    ("cadence", "on", "asked", "reminder", "closes"),
    [
        # 5 working days from Monday 28 December: Mon, Tue, Wed, Thu, (New Year, weekend), Mon
        ("monthly", 25, (12, 28), (12, 30, 13, 30), (1, 4, 17, 0)),
        # 3 working days from Thursday 24 December: Thu, (Christmas, weekend), Mon, Tue
        ("weekly", "thu", (12, 24), (12, 28, 13, 30), (12, 29, 17, 0)),
    ],
)
def test_the_answer_window_counts_working_days_across_a_holiday_and_a_weekend(
    database_url: str,
    tmp_path: Path,
    cadence: str,
    on: str | int,
    asked: tuple[int, int],
    reminder: tuple[int, int, int, int],
    closes: tuple[int, int, int, int],
) -> None:
    def moment(month: int, day: int, hour: int, minute: int) -> datetime:
        return _ny(date(2026 if month == 12 else 2027, month, day), hour, minute)

    text = program_text(
        [question("q", cadence, on, "10:00", key=True)], holidays=CHRISTMAS_AND_NEW_YEAR
    )
    people = [Member(ALICE, timezone="America/New_York"), Member(BOB, timezone="America/New_York")]
    core, chat, clock = make_core(database_url, tmp_path, text, moment(12, 24, 8, 0), people)
    run(core)  # Thursday 24 December, 08:00: planned
    clock.set(moment(*asked, 10, 0))
    run(core)
    assert chat.count(ALICE) == chat.count(BOB) == 1
    with core.session() as session:
        sent = session.exec(select(Delivery).where(Delivery.status == DeliveryStatus.SENT)).all()
    assert {(d.remind_at, d.expires_at) for d in sent} == {(moment(*reminder), moment(*closes))}

    clock.set(moment(*reminder) - timedelta(minutes=1))
    run(core)
    assert chat.reminders(ALICE) == chat.reminders(BOB) == 0
    clock.set(moment(*reminder))  # halfway through the working time of the window
    run(core)
    assert chat.reminders(ALICE) == chat.reminders(BOB) == 1

    alice, bob = chat.prompts[ALICE][0].delivery_id, chat.prompts[BOB][0].delivery_id
    clock.set(moment(*closes) - timedelta(minutes=1))  # still open after the days off
    assert asyncio.run(core.dispatch(AnswerGiven(ALICE, alice, "q", "4"))) is None
    clock.set(moment(*closes))
    run(core)
    late = asyncio.run(core.dispatch(AnswerGiven(BOB, bob, "q", "2")))
    assert late is not None and "closed" in (late.summary or "")
    with core.session() as session:
        assert session.get_one(Delivery, bob).status == DeliveryStatus.EXPIRED
        assert [a.value for a in session.exec(select(Answer)).all()] == ["4"]


def _monthly_25(database_url: str, tmp_path: Path, start: datetime) -> ChatCore:
    text = program_text(
        [
            question("key", "weekly", "wed", "10:00", key=True),
            question("monthly-25", "monthly", 25, "10:00"),
        ],
        holidays=CHRISTMAS_AND_NEW_YEAR,
    )
    return make_core(
        database_url, tmp_path, text, start, [Member(ALICE, timezone="America/New_York")]
    )


def test_a_first_start_on_the_moved_day_still_asks_the_holiday_question(
    database_url: str, tmp_path: Path
) -> None:
    """The monthly 25th falls on Christmas (a Friday) and moves to Monday 28: a bot started
    for the first time that Monday asks it, as PRODUCT.md's restart rule says."""
    core, chat, _clock = _monthly_25(database_url, tmp_path, _ny(date(2026, 12, 28), 11))
    run(core)
    assert [p.items[0].question_id for p in chat.prompts[ALICE]] == ["monthly-25"]


def test_a_first_start_after_the_window_closed_plans_nothing_for_it(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, _clock = _monthly_25(database_url, tmp_path, _ny(date(2027, 1, 8), 11))
    run(core)  # Friday 8 January: the moved asking was long ago
    assert chat.count(ALICE) == 0
    with core.session() as session:
        days = {o.local_date for o in session.exec(select(Occurrence)).all()}
    assert date(2026, 12, 25) not in days
