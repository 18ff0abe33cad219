"""Six weeks of synthetic history for the playground, written through the real tables.

Audiences are resolved by the engine itself (``surveys.audience.refresh`` asks the local
adapter's directory), then every scheduled asking of the past weeks gets its occurrence, one
delivery per person asked (with that person's own due time, reminder and window in their time
zone) and the answers: values through ``surveys.choices.check``, pseudonymous respondent keys and
encrypted comments and free text from the vault, sentiment from ``surveys.sentiment``, one answer
per person per question per asking, ``in_pilot`` as the engine sets it. Occurrence keys are the
engine's own (``<asking>@<local date>``), so it never asks those days again.

Who answers: each week a share of a workstream's people take part (``storyline.taking_part``,
70-90 %, drifting); those answer most prompts, at a moment inside their own working hours
(``answer_time``), so some were reminded first. An asking that would stay under ``min_responses``
gets the most engaged of the others, and each lead's last finished period gets enough
commenters for its quotes, so the digests that open the demo show figures. What they answer
follows the storyline (``synthetic``). A window still open when the playground starts leaves its
non-responders ``pending``: the engine's first tick sends them, as it would after a restart.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session, col

from adapters.local.answer_time import answer_moment, answer_share
from adapters.local.seed_finish import (
    Given,
    SeedReport,
    add_missing_quotes,
    settle_daily_figures,
    subject_of,
    write,
)
from adapters.local.storyline import normal, taking_part
from adapters.local.synthetic import (
    answers_prompt,
    busyness,
    comment_for,
    comment_rate,
    comments,
    figure_of,
    preference,
    reporting_period,
    stance,
    text_answer,
    value_for_one,
    values_for_asking,
)
from storage.tables import (
    AudienceMember,
    DeliveryStatus,
    Occurrence,
    PersonRecord,
    QuestionRecord,
)
from surveys import audience
from surveys.cadence import Timing, WorkCalendar, scheduled_dates, timing_for
from surveys.choices import check, choices_for, stored_value
from surveys.occurrences import Asking, askings
from surveys.program import Program

if TYPE_CHECKING:
    from bot.app import LearnPulse

HISTORY_WEEKS = 6
PERIOD_WOBBLE = 0.7  # how many people more or fewer take part from one period to the next
SOON = 0.01  # where in the window the extra people of a small asking answer


@dataclass(frozen=True)
class _Member:
    person_id: int
    ref: str
    work: WorkCalendar
    in_pilot: bool


async def seed_history(core: LearnPulse, weeks: int = HISTORY_WEEKS) -> SeedReport:
    """Resolve audiences through the adapters, then write ``weeks`` of answered history."""
    await audience.refresh(core)
    return await asyncio.to_thread(_seed, core, weeks)


def _seed(core: LearnPulse, weeks: int) -> SeedReport:
    program = core.require_program()
    now = core.clock.now()
    today = now.astimezone(program.zone).date()
    first = today - timedelta(weeks=weeks)
    history = _History(core, program, now)
    with core.session() as session:
        members = _members(session, program)
        for asking in askings(program):
            questions = _questions(session, asking)
            group = members.get(asking.workstream_id, [])
            if not questions or not group:
                continue
            for day in scheduled_dates(asking.schedule, first, today - timedelta(days=1)):
                progress = (day - first).days / max(1, (today - first).days)
                history.asking(session, asking, questions, group, day, progress)
        settle_daily_figures(history)
        add_missing_quotes(history)
        write(history, session)
    return history.report


def _members(session: Session, program: Program) -> dict[str, list[_Member]]:
    """Everyone each workstream (and bank) asks, with their calendar, in a stable order."""
    rows = session.execute(
        select(
            col(AudienceMember.workstream_id),
            col(AudienceMember.in_pilot),
            col(PersonRecord.id),
            col(PersonRecord.ref),
            col(PersonRecord.timezone),
        )
        .join(PersonRecord, col(PersonRecord.id) == AudienceMember.person_id)
        .order_by(col(PersonRecord.id))
    ).all()
    calendars: dict[str | None, WorkCalendar] = {}
    out: dict[str, list[_Member]] = defaultdict(list)
    for workstream_id, in_pilot, person_id, ref, timezone in rows:
        if timezone not in calendars:
            calendars[timezone] = WorkCalendar.for_person(program, timezone)
        if person_id is not None:
            out[workstream_id].append(_Member(person_id, ref, calendars[timezone], in_pilot))
    return out


def _questions(session: Session, asking: Asking) -> list[QuestionRecord]:
    if asking.question_id is not None:
        question = session.get(QuestionRecord, asking.question_id)
        return [question] if question is not None else []
    return list(
        session.scalars(
            select(QuestionRecord)
            .where(col(QuestionRecord.bank) == asking.bank, col(QuestionRecord.retired).is_(False))
            .order_by(col(QuestionRecord.position))
        ).all()
    )


class _History:
    """Deliveries and answers of the seeded weeks, written in two statements at the end."""

    def __init__(self, core: LearnPulse, program: Program, now: datetime) -> None:
        self.core, self.program, self.now = core, program, now
        self.report = SeedReport()
        self.deliveries: list[dict[str, Any]] = []
        self.given: list[Given] = []
        self.keys: dict[str, str | None] = {}
        self.figures: dict[str, float | None] = {}  # question -> its latest asking's figure
        self.taking_part: dict[tuple[str, str], set[str]] = {}
        self.anonymous = program.anonymity.mode == "anonymous"

    def asking(
        self,
        session: Session,
        asking: Asking,
        questions: list[QuestionRecord],
        group: list[_Member],
        day: date,
        progress: float,
    ) -> None:
        occurrence = Occurrence(
            key=f"{asking.key}@{day.isoformat()}",
            workstream_id=asking.workstream_id,
            question_id=asking.question_id,
            bank=asking.bank,
            cadence=asking.schedule.cadence,
            local_date=day,
            planned=True,
            created_at=self.now,
        )
        session.add(occurrence)
        session.flush()
        assert occurrence.id is not None
        self.report.occurrences += 1
        asked, all_due = self._who_answers(asking, occurrence.key, group, day, progress)
        if not all_due:  # moved past a weekend to today: the engine plans the people asked later
            occurrence.planned = False
        answered = [member for member, _, moment in asked if moment is not None]
        for member, timing, moment in asked:
            self._delivery(occurrence.id, asking, member, timing, moment, questions)
        daily = asking.schedule.cadence == "daily"
        for question in questions:
            self._answers(occurrence, question, answered, day, progress, daily)

    def _who_answers(
        self, asking: Asking, key: str, group: list[_Member], day: date, progress: float
    ) -> tuple[list[tuple[_Member, Timing, datetime | None]], bool]:
        """Everyone asked by now, with the moment they answered (None: not before now), and
        whether everyone's prompt was due by now."""
        daily = asking.schedule.cadence == "daily"
        share = taking_part(asking.workstream_id, asking.bank is not None, progress)
        active = self._taking_part(asking.workstream_id, day, group, share)
        asked: list[tuple[_Member, Timing, datetime | None]] = []
        all_due = True
        for member in group:
            timing = timing_for(asking.schedule, day, member.work)
            if timing is None:
                continue
            if timing.due_at >= self.now:
                all_due = False
                continue
            moment = None
            if member.ref in active and answers_prompt(member.ref, key, daily):
                moment = self._moment(member, timing, answer_share(key, member.ref))
            asked.append((member, timing, moment))
        if daily:
            return asked, all_due
        missing = self.program.anonymity.min_responses - sum(m is not None for _, _, m in asked)
        if missing > 0:
            others = sorted(
                (i for i, (_, _, m) in enumerate(asked) if m is None),
                key=lambda i: -normal("engaged", asked[i][0].ref),
            )
            for i in others[:missing]:
                member, timing, _ = asked[i]
                asked[i] = (member, timing, self._moment(member, timing, SOON))
        return asked, all_due

    def _taking_part(
        self, workstream_id: str, day: date, group: list[_Member], share: float
    ) -> set[str]:
        """Who answers anything of a workstream in the reporting period of ``day`` (its digest
        period, or the month for a built-in bank): about ``share`` of its people, the more
        engaged more often; the others are away, swamped or ignore the prompts."""
        period = reporting_period(self.program, workstream_id, day)
        key = (workstream_id, period)
        if key not in self.taking_part:
            wobble = max(PERIOD_WOBBLE, 0.04 * len(group)) * normal("period", *key)
            count = round(len(group) * share + wobble)
            ranked = sorted(group, key=lambda m: busyness(m.ref, workstream_id, period))
            self.taking_part[key] = {m.ref for m in ranked[: max(0, count)]}
        return self.taking_part[key]

    def _moment(self, member: _Member, timing: Timing, share: float) -> datetime | None:
        moment = answer_moment(member.work, timing.due_at, timing.expires_at, share)
        return moment if moment is not None and moment < self.now else None

    def _delivery(
        self,
        occurrence_id: int,
        asking: Asking,
        member: _Member,
        timing: Timing,
        moment: datetime | None,
        questions: list[QuestionRecord],
    ) -> None:
        closed = timing.expires_at <= self.now
        reminded = timing.remind_at if timing.remind_at and timing.remind_at <= self.now else None
        row: dict[str, Any] = {
            "occurrence_id": occurrence_id,
            "person_id": member.person_id,
            "status": DeliveryStatus.PENDING.value,
            "priority": asking.priority,
            "due_at": timing.due_at,
            "remind_at": timing.remind_at,
            "expires_at": timing.expires_at,
            "next_attempt_at": timing.due_at,
            "attempts": 0,
            "last_error": None,
            "claimed_at": None,
            "sent_at": None,
            "reminded_at": None,
            "closed_at": None,
            "conversation": None,
            "message_id": None,
            "answered_items": [],
        }
        self.report.deliveries += 1
        if moment is None and not closed:
            self.report.pending += 1  # the first tick sends it, as after a restart
        elif moment is not None:
            row |= {
                "status": DeliveryStatus.ANSWERED.value,
                "attempts": 1,
                "sent_at": timing.due_at,
                "reminded_at": reminded if reminded and reminded < moment else None,
                "closed_at": timing.expires_at if closed else None,
                "answered_items": [q.id for q in questions],
            }
        else:
            row |= {
                "status": DeliveryStatus.EXPIRED.value,
                "attempts": 1,
                "sent_at": timing.due_at,
                "reminded_at": reminded,
                "closed_at": timing.expires_at,
            }
        self.deliveries.append(row)

    def _answers(
        self,
        occurrence: Occurrence,
        question: QuestionRecord,
        answered: list[_Member],
        day: date,
        progress: float,
        daily: bool,
    ) -> None:
        if not answered:
            return
        assert occurrence.id is not None
        workstream_id = occurrence.workstream_id
        key = f"{occurrence.key}:{question.id}"
        offered = [c.value for c in choices_for(question.kind, question.options)]
        stances = [stance(m.ref, workstream_id, question.id, occurrence.key) for m in answered]
        leanings = [preference(m.ref, question.id, occurrence.key) for m in answered]
        subject = subject_of(question)
        if question.kind == "text":
            raw = [text_answer(workstream_id, question.id, m.ref, key) for m in answered]
        elif daily:  # each day alone; the week's figure is settled in settle_daily_figures
            raw = [
                value_for_one(subject, offered, progress, day, s, leaning)
                for s, leaning in zip(stances, leanings, strict=True)
            ]
        else:
            previous = self.figures.get(question.id)
            raw = values_for_asking(subject, offered, progress, day, stances, leanings, previous)
            self.figures[question.id] = figure_of(question.kind, raw)
        rate = comment_rate(self.program, workstream_id, question.id)
        for member, s, leaning, value in zip(answered, stances, leanings, raw, strict=True):
            checked, score = check(question.kind, value, question.options)
            given = Given(member.ref, question, key, checked, s, leaning, day, progress)
            if question.comment == "optional" and comments(member.ref, key, rate):
                given.comment = self.comment_of(given, workstream_id)
            given.row = {
                "occurrence_id": occurrence.id,
                "question_id": question.id,
                "workstream_id": workstream_id,
                "respondent_key": self._key(member.ref),
                "value": stored_value(self.core.vault, question.kind, checked),
                "score": score,
                "in_pilot": member.in_pilot,
                "answered_on": day,
            }
            self.given.append(given)

    def comment_of(self, given: Given, workstream_id: str) -> str:
        return comment_for(
            workstream_id,
            given.question.id,
            given.question.kind,
            given.value,
            given.stance,
            given.ref,
            given.key,
        )

    def _key(self, ref: str) -> str | None:
        if self.anonymous:
            return None
        if ref not in self.keys:
            self.keys[ref] = self.core.vault.respondent_key(ref)
        return self.keys[ref]
