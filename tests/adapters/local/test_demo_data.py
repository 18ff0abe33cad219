"""The playground's clock, seeded history and simulated colleagues, on the real database."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from adapters.local import colleagues, setup, store, timeline
from adapters.local.company import store_company
from adapters.local.seed import seed_history
from adapters.local.timeline import demo_start, step_times
from adapters.local.voices import voices_of
from bot.app import LearnPulse, run_due_work
from bot.clock import ManualClock
from bot.server import build_web_app
from storage.tables import (
    Answer,
    AudienceMember,
    Delivery,
    DeliveryStatus,
    Occurrence,
    PersonRecord,
    QuestionRecord,
)
from surveys.banks import SELF_ASSESSMENT
from surveys.cadence import WorkCalendar
from surveys.digest import build_digests
from surveys.periods import Period, due_period, period_containing
from surveys.program import Question, Workstream
from surveys.sentiment import polarity

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


# --- The seeded company looks like one --------------------------------------------------------


async def _seeded(core: LearnPulse, clock: ManualClock) -> None:
    await _playground(core, clock)
    await seed_history(core)


def _refs_by_key(core: LearnPulse) -> dict[str, PersonRecord]:
    with core.session() as session:
        people = session.exec(select(PersonRecord)).all()
    return {core.vault.respondent_key(p.ref): p for p in people}


def _figure(kind: str, scores: list[float]) -> float:
    """The figure a digest shows: mean on 1-5, % yes, or eNPS."""
    if kind == "scale":
        return sum(scores) / len(scores)
    if kind == "yes_no":
        return 100 * sum(scores) / len(scores)
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return 100 * (promoters - detractors) / len(scores)


def _period_figures(
    core: LearnPulse, workstream: Workstream, question: Question
) -> list[tuple[Period, int, float]]:
    """(period, people, figure) of each digest period, counting each person's latest answer."""
    with core.session() as session:
        rows = session.exec(
            select(Answer)
            .where(Answer.question_id == question.id)
            .order_by(col(Answer.answered_on), col(Answer.id))
        ).all()
    latest: dict[Period, dict[str | None, float]] = defaultdict(dict)
    for answer in rows:
        assert answer.score is not None
        latest[period_containing(workstream.digest, answer.answered_on)][answer.respondent_key] = (
            answer.score
        )
    return [
        (period, len(by_person), _figure(question.kind, list(by_person.values())))
        for period, by_person in sorted(latest.items(), key=lambda item: item[0].start)
    ]


async def test_key_measures_drift_from_week_to_week_without_jumps(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    minimum = program.anonymity.min_responses
    compared = Counter[str]()
    for workstream in program.workstreams:
        for question in (q for q in workstream.questions if q.key_measure):
            figures = _period_figures(core, workstream, question)
            shown = [(p, n, f) for p, n, f in figures if n >= minimum]
            assert shown, question.id
            for _, _, figure in shown:
                if question.kind == "scale":
                    assert 2.5 <= figure <= 4.6, (question.id, figure)
                elif question.kind == "yes_no":
                    assert 20 <= figure <= 95, (question.id, figure)
                else:
                    assert -40 <= figure <= 60, (question.id, figure)
            for (before, n0, f0), (after, n1, f1) in itertools.pairwise(shown):
                # One person is 100/n points of a small group: never ask for less than that.
                one_person = 100 / min(n0, n1)
                bound = {"scale": 0.5, "yes_no": max(15.0, one_person)}.get(
                    question.kind, max(25.0, one_person)
                )
                assert abs(f1 - f0) <= bound + 1e-9, (question.id, before, f0, after, f1)
                compared[question.id] += 1
    weekly = [
        q.id
        for w in program.workstreams
        for q in w.questions
        if q.key_measure and q.schedule.cadence == "weekly"
    ]
    assert weekly and all(compared[q] >= 4 for q in weekly), compared


async def test_response_rates_stay_plausible_and_drift(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    with core.session() as session:
        rows = session.exec(
            select(
                col(Occurrence.workstream_id), col(Occurrence.local_date), col(Delivery.person_id)
            )
            .join(Delivery, col(Delivery.occurrence_id) == Occurrence.id)
            .where(col(Delivery.status).in_([DeliveryStatus.ANSWERED, DeliveryStatus.EXPIRED]))
        ).all()
        answered = {
            (w, d, p)
            for w, d, p in session.exec(
                select(
                    col(Occurrence.workstream_id),
                    col(Occurrence.local_date),
                    col(Delivery.person_id),
                )
                .join(Delivery, col(Delivery.occurrence_id) == Occurrence.id)
                .where(Delivery.status == DeliveryStatus.ANSWERED)
            ).all()
        }
    asked: dict[tuple[str, Period], set[int]] = defaultdict(set)
    responded: dict[tuple[str, Period], set[int]] = defaultdict(set)
    today = clock.now().astimezone(program.zone).date()
    for workstream in program.workstreams:
        for w, day, person in rows:
            period = period_containing(workstream.digest, day)
            if w != workstream.id or period.end >= today:  # finished periods, as digests
                continue
            asked[(w, period)].add(person)
            if (w, day, person) in answered:
                responded[(w, period)].add(person)
    rates: dict[str, list[float]] = defaultdict(list)
    for (w, period), people in sorted(asked.items(), key=lambda i: (i[0][0], i[0][1].start)):
        rates[w].append(len(responded[(w, period)]) / len(people))
    assert set(rates) == {w.id for w in program.workstreams}
    for workstream in program.workstreams:
        series = rates[workstream.id]
        mean = sum(series) / len(series)
        # A pilot of six shows 83 % or 100 % (four would hide the key measure); bigger groups
        # land in the usual 70-90 %.
        highest = 0.95 if workstream.phase == "pilot" else 0.9
        assert 0.7 <= mean <= highest, (workstream.id, series)
        assert min(series) >= 0.5, (workstream.id, series)
    drifting = [w for w, series in rates.items() if len(series) > 2 and len(set(series)) > 1]
    assert len(drifting) >= 3, rates


async def test_seeded_prompts_and_reminders_fall_in_each_persons_working_hours(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    with core.session() as session:
        rows = session.exec(
            select(Delivery, Occurrence, PersonRecord)
            .join(Occurrence, col(Occurrence.id) == Delivery.occurrence_id)
            .join(PersonRecord, col(PersonRecord.id) == Delivery.person_id)
        ).all()
    zones = Counter[str]()
    late = answered = 0
    for delivery, occurrence, person in rows:
        work = WorkCalendar.for_person(program, person.timezone)
        if delivery.status == DeliveryStatus.PENDING:
            assert delivery.sent_at is None
            continue
        assert delivery.sent_at is not None and work.in_hours(delivery.sent_at), delivery
        sent_on = work.local_date(delivery.sent_at)
        assert work.is_working_day(sent_on) and sent_on >= occurrence.local_date
        if delivery.reminded_at is not None:
            assert work.in_hours(delivery.reminded_at), delivery
            assert delivery.sent_at < delivery.reminded_at < delivery.expires_at
        if delivery.closed_at is not None:
            assert delivery.closed_at == delivery.expires_at <= clock.now()
        if delivery.status == DeliveryStatus.ANSWERED:
            answered += 1
            late += delivery.reminded_at is not None  # answered only after the reminder
            zones[person.timezone or program.timezone] += 1
            assert delivery.answered_items
    assert len(zones) >= 3  # New York, Chicago, Los Angeles, London
    assert 0.04 <= late / answered <= 0.25, (late, answered)


async def test_colleagues_answer_only_inside_their_working_hours(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    people = _refs_by_key(core)
    seen = {"last": _max_answer_id(core)}
    moments: list[tuple[datetime, PersonRecord]] = []

    async def colleagues_answer() -> int:
        count = await colleagues.answer_due(core, set())
        with core.session() as session:
            new = session.exec(select(Answer).where(col(Answer.id) > seen["last"])).all()
        for answer in new:
            assert answer.respondent_key is not None
            moments.append((clock.now(), people[answer.respondent_key]))
        seen["last"] = max([seen["last"], *(a.id or 0 for a in new)])
        return count

    await run_due_work(core)
    await timeline.advance(core, clock, timedelta(days=3), run_due_work, colleagues_answer)
    assert len(moments) > 20
    zones = {person.timezone for _, person in moments}
    assert len(zones) >= 3
    for moment, person in moments:
        work = WorkCalendar.for_person(program, person.timezone)
        assert work.in_hours(moment), (moment, person.ref, person.timezone)


def _max_answer_id(core: LearnPulse) -> int:
    with core.session() as session:
        return int(session.exec(select(func.max(Answer.id))).one() or 0)


async def test_self_assessment_areas_differ_from_each_other(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    with core.session() as session:
        rows = session.exec(
            select(QuestionRecord.area, func.avg(Answer.score), func.count())
            .join(QuestionRecord, col(QuestionRecord.id) == Answer.question_id)
            .where(QuestionRecord.bank == SELF_ASSESSMENT)
            .group_by(QuestionRecord.area)
        ).all()
    means = {area: float(mean) for area, mean, _ in rows}
    assert len(means) == 6 and all(n >= 30 for _, _, n in rows)
    assert max(means.values()) - min(means.values()) >= 0.4, means
    assert max(means, key=means.__getitem__) == "resources-and-tools"
    assert min(means, key=means.__getitem__) == "leadership-commitment"


async def test_seeded_comments_fit_their_question_and_carry_their_computed_sentiment(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    people = _refs_by_key(core)
    with core.session() as session:
        commented = session.exec(select(Answer).where(col(Answer.comment).is_not(None))).all()
        kinds = {q.id: q.kind for q in session.exec(select(QuestionRecord)).all()}
    by_tone: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    mentions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for answer in commented:
        text = core.vault.decrypt(answer.comment or "")
        assert text and text != answer.comment  # stored encrypted
        assert answer.sentiment == polarity(text)  # what the product computes
        voices = voices_of(answer.workstream_id)
        line = next((x for x in voices.comments if x.text == text), None)
        assert line is not None, (answer.workstream_id, text)  # the workstream's own voice
        assert not line.fits or answer.question_id in line.fits, (answer.question_id, text)
        assert line.tone == (
            "positive"
            if answer.sentiment > 0.1
            else "negative"
            if answer.sentiment < -0.1
            else "neutral"
        )
        if kinds[answer.question_id] == "scale" and answer.score is not None:
            by_tone[answer.question_id][line.tone].append(answer.score)
        assert answer.respondent_key is not None
        for theme, words in voices.themes.items():
            if any(word.lower() in text.lower() for word in words):
                mentions[answer.workstream_id][theme].add(answer.respondent_key)
        person = people[answer.respondent_key]
        workstream = program.workstream(answer.workstream_id)
        assert workstream is not None
        assert answer.in_pilot == (person.ref in workstream.pilot)
    for workstream in program.workstreams:  # themes that recur across people
        recurring = [t for t, who in mentions[workstream.id].items() if len(who) >= 2]
        assert len(recurring) >= 3, (workstream.id, dict(mentions[workstream.id]))
    # A comment's tone follows the score it came with.
    for question_id, tones in by_tone.items():
        if tones["positive"] and tones["negative"]:
            low = sum(tones["negative"]) / len(tones["negative"])
            high = sum(tones["positive"]) / len(tones["positive"])
            assert low < high, question_id


async def test_the_last_finished_period_of_every_lead_has_figures_and_quotes(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    local_now = clock.now().astimezone(program.zone)
    with core.session() as session:
        answers = session.exec(select(Answer)).all()
        # An asking moved past a weekend to today is still going out: it is not over.
        over = set(session.exec(select(Occurrence.id).where(Occurrence.planned == True)).all())  # noqa: E712
    shown = 0
    for workstream in program.workstreams:
        period = due_period(workstream.digest, local_now)
        mine = [
            a
            for a in answers
            if a.workstream_id == workstream.id and period.contains(a.answered_on)
        ]
        if len({a.respondent_key for a in mine}) < program.anonymity.min_responses:
            continue  # nothing asked that period (a holiday week): nothing to show
        commenters = {a.respondent_key for a in mine if a.comment}
        assert len(commenters) >= program.anonymity.min_comments, workstream.id
        shown += 1
        for question in (q for q in workstream.questions if q.key_measure):
            people = {
                a.respondent_key
                for a in mine
                if a.question_id == question.id and a.occurrence_id in over
            }
            if people:  # asked in that period
                assert len(people) >= program.anonymity.min_responses, question.id
    assert shown == len(program.workstreams)


async def test_an_asking_moved_past_the_weekend_to_today_still_reaches_everyone(
    core: LearnPulse, clock: ManualClock
) -> None:
    # Saturday 5 December's monthly questions are asked on Monday 7 December at 10:30 local:
    # by 09:55 in New York London has been asked, New York not yet.
    clock.set(datetime(2026, 12, 7, 14, 55, tzinfo=UTC))
    web_app = build_web_app(core)
    core.adapters.register(setup(core, web_app), "slack", "teams", "local")
    await seed_history(core)
    await run_due_work(core)
    key = "leadership-growth-conversation@2026-12-05"
    with core.session() as session:
        occurrence = session.exec(select(Occurrence).where(Occurrence.key == key)).one()
        asked = session.exec(
            select(PersonRecord.timezone)
            .join(Delivery, col(Delivery.person_id) == PersonRecord.id)
            .where(Delivery.occurrence_id == occurrence.id)
        ).all()
        members = session.exec(
            select(func.count())
            .select_from(AudienceMember)
            .where(AudienceMember.workstream_id == "leadership")
        ).one()
    assert len(asked) == members
    assert {"Europe/London", "America/New_York"} <= {zone for zone in asked}


async def test_the_seeded_comments_repeat_themes_that_the_digests_show(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _seeded(core, clock)
    program = core.require_program()
    local_now = clock.now().astimezone(program.zone)
    requests = [(w, due_period(w.digest, local_now)) for w in program.workstreams]
    themed = {}
    for built in build_digests(core, requests, chart=False):
        for section in built.report.sections:
            if section.heading == "Themes":
                themed[built.workstream_id] = list(section.lines)
    assert len(themed) >= 3, themed  # most workstreams' colleagues keep to a few themes
    for lines in themed.values():
        for line in lines:
            people = int(line.split(": ", 1)[1].split(" people")[0])
            assert people >= program.anonymity.min_comments


async def test_the_company_breaks_the_respect_digest_down_by_location(
    core: LearnPulse, clock: ManualClock
) -> None:
    await _playground(core, clock)
    directory = next(iter(core.adapters.enabled())).directory  # type: ignore[attr-defined]
    store_company(core, directory)
    await seed_history(core)
    program = core.require_program()
    with core.session() as session:
        respect = session.exec(select(Answer).where(Answer.workstream_id == "respect")).all()
    # Seeded answers carry their person's segment, as a confidential click stores it.
    assert respect and all(a.segment_id is not None for a in respect)
    workstream = program.workstream("respect")
    assert workstream is not None and workstream.segments == ["location"]
    local_now = clock.now().astimezone(program.zone)
    [built] = build_digests(core, [(workstream, due_period(workstream.digest, local_now))])
    lines = [
        line
        for section in built.report.sections
        if section.heading.startswith("By segment")
        for line in section.lines
    ]
    # The all-hands is large enough for its locations, the pilot (all at headquarters) beside.
    assert lines[0].startswith("Location: Lisbon: "), lines
    assert "Denver: " in lines[0] and "people" in lines[0]
