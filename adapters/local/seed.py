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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from adapters.local.answer_time import answer_moment, answer_share
from adapters.local.seed_asked import (
    Member,
    delivery_row,
    members_by_workstream,
    questions_of,
    subject_of,
)
from adapters.local.seed_loop import seed_actions
from adapters.local.seed_write import write_history
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
    talkative,
    text_answer,
    value_for_one,
    values_for_asking,
)
from storage.tables import (
    DeliveryStatus,
    Occurrence,
    QuestionRecord,
)
from surveys import audience
from surveys.cadence import Timing, scheduled_dates, timing_for
from surveys.choices import check, choices_for, stored_value
from surveys.occurrences import Asking, askings
from surveys.periods import Period, due_period, period_containing
from surveys.program import Program

if TYPE_CHECKING:
    from bot.app import LearnPulse

HISTORY_WEEKS = 6
PERIOD_WOBBLE = 0.7  # how many people more or fewer take part from one period to the next
SOON = 0.01  # where in the window the extra people of a small asking answer


@dataclass
class SeedReport:
    occurrences: int = 0
    deliveries: int = 0
    answers: int = 0
    pending: int = 0
    actions: int = 0


@dataclass
class _Given:
    """An answer about to be written, with what a later comment on it needs."""

    ref: str
    question: QuestionRecord
    key: str
    value: str
    stance: float
    leaning: float
    day: date
    progress: float
    comment: str | None = None
    row: dict[str, Any] = field(default_factory=dict)


async def seed_history(core: LearnPulse, weeks: int = HISTORY_WEEKS) -> SeedReport:
    """Resolve audiences through the adapters, then write ``weeks`` of answered history."""
    await audience.refresh(core)
    report = await asyncio.to_thread(_seed, core, weeks)
    report.actions = await asyncio.to_thread(seed_actions, core)
    return report


def _seed(core: LearnPulse, weeks: int) -> SeedReport:
    program = core.require_program()
    now = core.clock.now()
    today = now.astimezone(program.zone).date()
    first = today - timedelta(weeks=weeks)
    history = _History(core, program, now)
    with core.session() as session:
        members = members_by_workstream(session, program)
        for asking in askings(program):
            questions = questions_of(session, asking)
            group = members.get(asking.workstream_id, [])
            if not questions or not group:
                continue
            for day in scheduled_dates(asking.schedule, first, today - timedelta(days=1)):
                progress = (day - first).days / max(1, (today - first).days)
                history.asking(session, asking, questions, group, day, progress)
        history.settle_daily_figures()
        history.add_missing_quotes()
        history.report.answers = write_history(core, session, history.deliveries, history.given)
    return history.report


class _History:
    """Deliveries and answers of the seeded weeks, written in two statements at the end."""

    def __init__(self, core: LearnPulse, program: Program, now: datetime) -> None:
        self.core, self.program, self.now = core, program, now
        self.report = SeedReport()
        self.deliveries: list[dict[str, Any]] = []
        self.given: list[_Given] = []
        self.keys: dict[str, str | None] = {}
        self.figures: dict[str, float | None] = {}  # question -> its latest asking's figure
        self.taking_part: dict[tuple[str, str], set[str]] = {}
        self.anonymous = program.anonymity.mode == "anonymous"

    def asking(
        self,
        session: Session,
        asking: Asking,
        questions: list[QuestionRecord],
        group: list[Member],
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
        self, asking: Asking, key: str, group: list[Member], day: date, progress: float
    ) -> tuple[list[tuple[Member, Timing, datetime | None]], bool]:
        """Everyone asked by now, with the moment they answered (None: not before now), and
        whether everyone's prompt was due by now."""
        daily = asking.schedule.cadence == "daily"
        share = taking_part(asking.workstream_id, asking.bank is not None, progress)
        active = self._taking_part(asking.workstream_id, day, group, share)
        asked: list[tuple[Member, Timing, datetime | None]] = []
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
        self, workstream_id: str, day: date, group: list[Member], share: float
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

    def _moment(self, member: Member, timing: Timing, share: float) -> datetime | None:
        moment = answer_moment(member.work, timing.due_at, timing.expires_at, share)
        return moment if moment is not None and moment < self.now else None

    def _delivery(
        self,
        occurrence_id: int,
        asking: Asking,
        member: Member,
        timing: Timing,
        moment: datetime | None,
        questions: list[QuestionRecord],
    ) -> None:
        row = delivery_row(occurrence_id, asking.priority, member, timing, moment, self.now)
        row["answered_items"] = [q.id for q in questions] if moment is not None else []
        self.report.deliveries += 1
        if moment is None and row["status"] == DeliveryStatus.PENDING.value:
            self.report.pending += 1  # the first tick sends it, as after a restart
        self.deliveries.append(row)

    def _answers(
        self,
        occurrence: Occurrence,
        question: QuestionRecord,
        answered: list[Member],
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
            given = _Given(member.ref, question, key, checked, s, leaning, day, progress)
            if question.comment == "optional" and comments(member.ref, key, rate):
                given.comment = self._comment(given, workstream_id)
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

    def _comment(self, given: _Given, workstream_id: str) -> str:
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

    def settle_daily_figures(self) -> None:
        """A weekly digest counts each person's latest answer to a daily question, so those
        latest answers are drawn together, like one asking, and land on the storyline."""
        for workstream in self.program.workstreams:
            daily = {q.id for q in workstream.questions if q.schedule.cadence == "daily"}
            latest: dict[tuple[str, Period], dict[str, _Given]] = defaultdict(dict)
            for given in self.given:
                if given.question.id in daily:
                    period = period_containing(workstream.digest, given.day)
                    mine = latest[(given.question.id, period)]
                    if given.ref not in mine or mine[given.ref].day <= given.day:
                        mine[given.ref] = given
            figures: dict[str, float | None] = {}
            for (question_id, period), by_person in sorted(
                latest.items(), key=lambda item: item[0][1].start
            ):
                group = list(by_person.values())
                question = group[0].question
                offered = [c.value for c in choices_for(question.kind, question.options)]
                values = values_for_asking(
                    subject_of(question),
                    offered,
                    max(g.progress for g in group),
                    period.end,
                    [g.stance for g in group],
                    [g.leaning for g in group],
                    figures.get(question_id),
                )
                figures[question_id] = figure_of(question.kind, values)
                for given, value in zip(group, values, strict=True):
                    given.value, score = check(question.kind, value, question.options)
                    given.row["value"] = stored_value(self.core.vault, question.kind, given.value)
                    given.row["score"] = score
                    if given.comment:
                        given.comment = self._comment(given, workstream.id)

    def add_missing_quotes(self) -> None:
        """Each lead's last finished period gets ``min_comments`` commenters where enough
        people answered: the most talkative of those who did not comment add one."""
        local_now = self.now.astimezone(self.program.zone)
        needed = 2 * self.program.anonymity.min_comments  # enough for a theme or two
        for workstream in self.program.workstreams:
            period = due_period(workstream.digest, local_now)
            latest: dict[str, _Given] = {}
            commenters: set[str] = set()
            for given in self.given:
                if given.row["workstream_id"] != workstream.id or not period.contains(given.day):
                    continue
                if given.comment:
                    commenters.add(given.ref)
                elif given.question.comment == "optional":
                    latest[given.ref] = given
            quiet = sorted(
                (ref for ref in latest if ref not in commenters), key=lambda r: -talkative(r)
            )
            for ref in quiet[: max(0, needed - len(commenters))]:
                latest[ref].comment = self._comment(latest[ref], workstream.id)
