"""The playground's clock, seeded history and simulated colleagues, on the real database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from adapters.local import colleagues, setup, store
from adapters.local.seed import seed_history
from adapters.local.timeline import demo_start, step_times
from bot.app import LearnPulse, run_due_work
from bot.clock import ManualClock
from bot.server import build_web_app
from storage.tables import Answer, Delivery, DeliveryStatus, Occurrence

MONDAY_0955_NEW_YORK = datetime(2026, 11, 30, 14, 55, tzinfo=UTC)


def test_the_demo_starts_on_a_monday_before_ten_skipping_holidays(core: LearnPulse) -> None:
    program = core.require_program()
    assert demo_start(program, date(2026, 11, 29)) == MONDAY_0955_NEW_YORK
    assert demo_start(program, date(2026, 11, 30)) == MONDAY_0955_NEW_YORK
    # 2027-01-18 is a holiday in the example program: the week after is used
    start = demo_start(program, date(2027, 1, 14)).astimezone(program.zone)
    assert (start.date(), start.hour, start.minute) == (date(2027, 1, 25), 9, 55)


def test_steps_skip_nights_and_weekends_but_always_reach_the_end(core: LearnPulse) -> None:
    program = core.require_program()
    hour = step_times(MONDAY_0955_NEW_YORK, MONDAY_0955_NEW_YORK + timedelta(hours=1), program)
    assert [s.astimezone(program.zone).strftime("%H:%M") for s in hour] == [
        "10:00",
        "10:30",
        "10:55",
    ]
    friday_evening = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # 17:00 in New York
    week = step_times(friday_evening, friday_evening + timedelta(days=7), program)
    local = [s.astimezone(program.zone) for s in week[:-1]]
    assert all(s.weekday() < 5 and 6 <= s.hour < 20 for s in local)
    assert week[-1] == friday_evening + timedelta(days=7)
    assert len(week) < 80


async def _playground(core: LearnPulse, clock: ManualClock) -> None:
    clock.set(MONDAY_0955_NEW_YORK)
    web_app = build_web_app(core)
    core.adapters.register(setup(core, web_app), "slack", "teams", "local")


async def test_seeded_history_has_enough_answers_for_digests(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _playground(core, clock)
    report = await seed_history(core, weeks=3)
    assert report.answers > 0 and report.occurrences > 0
    program = core.require_program()
    with core.session() as session:
        weekly = session.exec(
            select(Answer.occurrence_id, func.count())
            .join(Occurrence, col(Occurrence.id) == Answer.occurrence_id)
            .where(Occurrence.question_id == "lms-find-what-i-need")
            .group_by(col(Answer.occurrence_id))
        ).all()
        assert len(weekly) == 3
        assert all(count >= program.anonymity.min_responses for _, count in weekly)
        commented = session.exec(select(Answer).where(col(Answer.comment).is_not(None))).all()
        assert commented and all(a.sentiment is not None for a in commented)
        assert {round(a.sentiment or 0) for a in commented} >= {0, 1}  # some positive
        assert all(core.vault.decrypt(a.comment or "") for a in commented[:5])
        assert all(a.respondent_key and len(a.respondent_key) == 32 for a in commented)
        statuses = Counter(d.status for d in session.exec(select(Delivery)).all())
        assert statuses[DeliveryStatus.ANSWERED] > statuses[DeliveryStatus.EXPIRED] > 0
        future = session.exec(
            select(func.count()).select_from(Answer).where(Answer.answered_on >= date(2026, 11, 30))
        ).one()
        assert future == 0


async def test_colleagues_answer_their_prompts_but_leave_played_people_alone(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _playground(core, clock)
    clock.advance(timedelta(minutes=5))
    await run_due_work(core)
    with core.session() as session:
        sent = session.exec(select(Delivery).where(Delivery.status == DeliveryStatus.SENT)).all()
    assert sent
    assert await colleagues.answer_due(core, set()) == 0  # nobody answers within minutes
    clock.advance(timedelta(days=2))
    played = {"slack:U04K7QP2M1"}
    answered = await colleagues.answer_due(core, played)
    assert answered > 0
    with core.session() as session:
        answers = session.exec(select(func.count()).select_from(Answer)).one()
        mine = session.exec(
            select(func.count())
            .select_from(Answer)
            .where(Answer.respondent_key == core.vault.respondent_key("slack:U04K7QP2M1"))
        ).one()
    assert answers == answered and mine == 0
    # their prompt cards were updated in place, through the adapter, like a real click
    updated = [
        m
        for d in sent
        for m in store.history(core.engine, "dm:" + _ref_of(core, d.person_id))
        if m.updated_at != m.created_at
    ]
    assert updated


def _ref_of(core: LearnPulse, person_id: int) -> str:
    from storage.tables import PersonRecord

    with core.session() as session:
        person = session.get(PersonRecord, person_id)
        assert person is not None
        return person.ref
