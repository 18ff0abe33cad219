"""The survey engine against a real database and a moving clock: budget, pilot, reminders,
expiry, downtime, the ledger, and answers.

What a person's Slack or Teams message shows as the engine runs (answered, reminded, closed) and
what the platforms' errors do to a delivery are tested through the fakes of their HTTP APIs:
``tests/adapters/slack/test_prompt_messages.py`` and ``tests/adapters/teams/test_flow.py``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.events import AnswerGiven, CommentGiven
from bot.messages import Prompt
from bot.ports import Member, MessageRef
from storage.tables import Answer, Delivery, DeliveryStatus
from surveys import answers, ledger
from surveys.occurrences import open_now
from surveys.sender import DEFAULT_CLAIM_LEASE_SECONDS, Sender, SendReport
from tests.fakes import FakeChat
from tests.surveys.engine_support import (
    NEW_YORK,
    TOKYO,
    ChatCore,
    make_core,
    program_text,
    question,
    run,
)
from tests.virtual_time import SteppedSleep

T = TypeVar("T")
MONDAY_8AM_NY = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
ALICE, BOB = "slack:UALICE001", "slack:UBOB00001"
NY = "America/New_York"


def _ny(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-11-<day> (or 12-<day-30>) at a New York wall-clock time, as UTC (EST = UTC-5)."""
    return datetime(2026, 11, 30, hour + 5, minute, tzinfo=UTC) + timedelta(days=day - 30)


def _weekly_core(database_url: str, tmp_path: Path) -> ChatCore:
    people = [Member(ALICE, timezone=NY), Member(BOB, timezone=NY)]
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    return make_core(database_url, tmp_path, text, MONDAY_8AM_NY, people)


def _alice_with_budget_of_two(database_url: str, tmp_path: Path, questions: list[str]) -> ChatCore:
    """Alice alone, two prompts a week; the first question is the Friday key measure."""
    questions = [question("key-fri", "weekly", "fri", "10:00", key=True), *questions]
    text = program_text(questions, budget=2)
    return make_core(database_url, tmp_path, text, MONDAY_8AM_NY, [Member(ALICE, timezone=NY)])


def _skipped(core: LearnPulse) -> list[Delivery]:
    with core.session() as session:
        statement = select(Delivery).where(Delivery.status == DeliveryStatus.SKIPPED)
        return list(session.exec(statement).all())


def _all_at_once(work: Callable[[T], None], items: Sequence[T]) -> list[BaseException]:
    """``work`` for each item, each in a thread of its own, all let go at the same moment; what
    they raised (a failed assertion included)."""
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def one(item: T) -> None:
        try:
            start.wait()
            work(item)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_weekly_budget_keeps_room_for_key_measures(database_url: str, tmp_path: Path) -> None:
    core, chat, clock = _alice_with_budget_of_two(
        database_url,
        tmp_path,
        [
            question("other-mon", "weekly", "mon", "10:00"),
            question("other-tue", "weekly", "tue", "10:00"),
            question("other-wed", "weekly", "wed", "10:00"),
        ],
    )
    for day in range(30, 35):
        clock.set(_ny(day, 10, 5))
        run(core)
    asked = [p.items[0].question_id for p in chat.prompts[ALICE] if not p.is_reminder]
    assert asked == ["other-mon", "key-fri"]
    skipped = _skipped(core)
    assert {d.last_error for d in skipped} == {"weekly prompt budget reached"}
    assert len(skipped) == 2


def test_only_the_pilot_group_is_asked_in_pilot_phase(database_url: str, tmp_path: Path) -> None:
    people = [
        Member(TOKYO, timezone=NY),
        Member(NEW_YORK, timezone=NY),
        Member("slack:UBOT00001", is_bot=True),
    ]
    text = program_text(
        [question("q", "weekly", "mon", "10:00", key=True)], phase="pilot", pilot=TOKYO
    )
    core, chat, clock = make_core(database_url, tmp_path, text, MONDAY_8AM_NY, people)
    clock.set(_ny(30, 10))
    run(core)
    assert (
        chat.count(TOKYO) == 1 and chat.count(NEW_YORK) == 0 and chat.count("slack:UBOT00001") == 0
    )


def test_downtime_inside_the_window_sends_on_start(database_url: str, tmp_path: Path) -> None:
    core, chat, clock = _weekly_core(database_url, tmp_path)
    run(core)  # Monday 08:00: planned, nothing due
    clock.set(_ny(31, 11))  # down until Tuesday 11:00; the window runs to Wednesday 17:00
    run(core)
    assert chat.count(ALICE) == 1 and chat.count(BOB) == 1
    run(core)
    assert chat.count(ALICE) == 1  # never twice


def test_a_late_prompt_is_reminded_halfway_through_what_is_left(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, clock = _weekly_core(database_url, tmp_path)
    run(core)
    clock.set(_ny(31, 14))  # down until Tuesday 14:00, past the planned reminder (13:30)
    run(core)
    assert chat.count(ALICE) == 1
    clock.set(_ny(31, 14, 1))
    run(core)
    assert chat.reminders(ALICE) == 0  # not reminded a minute after it arrived
    # 11 working hours remain (Tue 14-17, Wed 9-17): the reminder comes 5.5 h in, Wed 11:30.
    clock.set(_ny(32, 11, 29))
    run(core)
    assert chat.reminders(ALICE) == 0
    clock.set(_ny(32, 11, 30))
    run(core)
    assert chat.reminders(ALICE) == 1


def test_downtime_ending_after_hours_waits_for_the_next_working_morning(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, clock = _weekly_core(database_url, tmp_path)
    run(core)
    clock.set(_ny(31, 18, 30))  # down until Tuesday 18:30: the window is open, the day is over
    run(core)
    assert chat.count(ALICE) == 0 and chat.count(BOB) == 0
    with core.session() as session:
        waiting = [d for d in session.exec(select(Delivery)).all() if d.due_at < clock.now()]
    assert len(waiting) == 2 and {(d.status, d.next_attempt_at) for d in waiting} == {
        (DeliveryStatus.PENDING, _ny(32, 9))
    }
    assert {d.last_error for d in waiting} == {"waiting for working hours"}
    clock.set(_ny(32, 8, 59))
    run(core)
    assert chat.count(ALICE) == 0
    clock.set(_ny(32, 9))
    run(core)
    assert chat.count(ALICE) == 1 and chat.count(BOB) == 1


def test_downtime_past_the_window_records_missed(database_url: str, tmp_path: Path) -> None:
    core, chat, clock = _weekly_core(database_url, tmp_path)
    run(core)
    clock.set(_ny(33, 9, 30))  # down until Thursday: the window closed on Wednesday 17:00
    run(core)
    assert chat.count(ALICE) == 0
    with core.session() as session:
        statuses = {
            d.status for d in session.exec(select(Delivery)).all() if d.due_at < clock.now()
        }
    assert statuses == {DeliveryStatus.MISSED}


def test_answers_are_checked_stored_once_and_changeable(database_url: str, tmp_path: Path) -> None:
    core, chat, clock = _weekly_core(database_url, tmp_path)
    clock.set(_ny(30, 10))
    run(core)
    delivery = chat.prompts[ALICE][0].delivery_id
    refused = asyncio.run(core.dispatch(AnswerGiven(ALICE, delivery, "lms-confidence", "7")))
    assert refused is not None and "from 1 to 5" in (refused.summary or "")
    not_yours = asyncio.run(core.dispatch(AnswerGiven(BOB, delivery, "lms-confidence", "3")))
    assert not_yours is not None and "isn't one I asked you" in (not_yours.summary or "")
    for _ in range(2):
        asyncio.run(core.dispatch(AnswerGiven(ALICE, delivery, "lms-confidence", "3")))
    asyncio.run(core.dispatch(AnswerGiven(ALICE, delivery, "lms-confidence", "5")))
    asyncio.run(
        core.dispatch(
            CommentGiven(ALICE, delivery, "lms-confidence", "The new course library is great")
        )
    )
    with core.session() as session:
        rows = session.exec(select(Answer)).all()
    assert len(rows) == 1
    answer = rows[0]
    assert answer.value == "5" and answer.score == 5.0
    assert (
        answer.respondent_key == core.vault.respondent_key(ALICE)
        and ALICE not in answer.respondent_key
    )
    assert answer.comment is not None and "great" not in answer.comment  # encrypted at rest
    assert core.vault.decrypt(answer.comment) == "The new course library is great"
    assert answer.sentiment is not None and answer.sentiment > 0.3


def test_twenty_concurrent_answer_writers(database_url: str, tmp_path: Path) -> None:
    people = [Member(f"slack:UPERSON{i:03d}", timezone=NY) for i in range(20)]
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    core, chat, _clock = make_core(database_url, tmp_path, text, _ny(30, 10), people)
    run(core)
    assert sum(chat.count(p.person) for p in people) == 20

    def answer(member: Member) -> None:
        prompt = chat.prompts[member.person][0]
        outcome = answers.record(
            core, AnswerGiven(member.person, prompt.delivery_id, "lms-confidence", "4")
        )
        assert outcome.accepted

    assert _all_at_once(answer, people) == []
    with core.session() as session:
        assert len(session.exec(select(Answer)).all()) == 20


def test_recorded_sends_keep_their_message_and_never_overwrite_an_answer(
    database_url: str, tmp_path: Path
) -> None:
    core, _, clock = _weekly_core(database_url, tmp_path)
    run(core)  # Monday 08:00: planned
    clock.set(_ny(30, 10, 0) + timedelta(microseconds=123456))
    by_person = {c.person: c for c in ledger.claim_due(core.engine, clock.now(), 10)}
    alice, bob = by_person[ALICE], by_person[BOB]
    assert alice.remind_at is not None
    with core.session() as session:  # Bob answered before his send was recorded
        answered = session.get(Delivery, bob.id)
        assert answered is not None
        answered.status = DeliveryStatus.ANSWERED
        session.add(answered)
        session.commit()

    sent_at = clock.now()
    ledger.record_outcomes(
        core.engine,
        [
            ledger.Outcome(alice.id, DeliveryStatus.SENT, sent_at, "D0ALICE", "1764500000.000100"),
            ledger.Outcome(bob.id, DeliveryStatus.SENT, sent_at, "D0BOB", "1764500000.000200"),
        ],
    )
    with core.session() as session:
        sent, kept = session.get(Delivery, alice.id), session.get(Delivery, bob.id)
        assert sent is not None and kept is not None
        assert sent.status == DeliveryStatus.SENT
        assert sent.sent_at == sent_at  # to the microsecond, and in UTC
        assert (sent.conversation, sent.message_id) == ("D0ALICE", "1764500000.000100")
        assert sent.remind_at == alice.remind_at  # the planned reminder stands
        assert kept.status == DeliveryStatus.ANSWERED
        assert (kept.sent_at, kept.conversation) == (None, None)


def test_a_late_send_records_its_moved_reminder_beside_one_that_keeps_its_own(
    database_url: str, tmp_path: Path
) -> None:
    core, _, clock = _weekly_core(database_url, tmp_path)
    run(core)  # Monday 08:00: planned
    clock.set(_ny(30, 10, 0))
    by_person = {c.person: c for c in ledger.claim_due(core.engine, clock.now(), 10)}
    alice, bob = by_person[ALICE], by_person[BOB]
    moved = _ny(30, 15, 30)
    ledger.record_outcomes(
        core.engine,
        [
            ledger.Outcome(
                alice.id, DeliveryStatus.SENT, clock.now(), "D0A", "1.1", remind_at=moved
            ),
            ledger.Outcome(bob.id, DeliveryStatus.SENT, clock.now(), "D0B", "1.2"),
        ],
    )
    with core.session() as session:
        late, on_time = session.get(Delivery, alice.id), session.get(Delivery, bob.id)
        assert late is not None and on_time is not None
        assert (late.remind_at, on_time.remind_at) == (moved, bob.remind_at)
        assert (late.message_id, on_time.message_id) == ("1.1", "1.2")


@dataclass
class LedgerWatchingChat(FakeChat):
    """Notes, at every send, how many deliveries the ledger already holds as sent."""

    engine: Engine | None = None
    recorded_before_send: list[int] = field(default_factory=list)

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        assert self.engine is not None
        sent = ledger.count_by_status(self.engine).get(DeliveryStatus.SENT.value, 0)
        self.recorded_before_send.append(sent)
        return await super().send_prompt(person, prompt)


def test_each_batch_is_recorded_before_the_next_is_claimed(
    database_url: str, tmp_path: Path
) -> None:
    """A crash leaves at most the batch being sent for reconciliation: whatever earlier batches
    sent is already in the ledger when the next one is claimed."""
    people = [Member(f"slack:UPERSON{n:02d}", timezone=NY) for n in range(7)]
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    core, fake, _ = make_core(database_url, tmp_path, text, _ny(30, 10), people)
    chat = LedgerWatchingChat(directory=fake.directory, engine=core.engine)
    core.adapters.register(chat)
    asyncio.run(open_now(core, "lms", "lms-confidence", actor="test"))

    report = asyncio.run(Sender(core, concurrency=2, batch=2).send_due())

    assert report.sent == 7
    assert sorted(chat.prompts) == sorted(p.person for p in people)
    # the n-th send belongs to batch n // 2; every earlier batch (2 sends each) is recorded
    assert chat.recorded_before_send == [2 * (n // 2) for n in range(7)]


@dataclass
class HeldFirstSendChat(FakeChat):
    """The first prompt stays in flight until ``release`` is set."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    held: bool = False

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        if not self.held:
            self.held = True
            await asyncio.wait_for(self.release.wait(), timeout=10)
        return await super().send_prompt(person, prompt)


def _alice_behind_a_held_send(
    database_url: str, tmp_path: Path
) -> tuple[LearnPulse, HeldFirstSendChat, ManualClock]:
    """Alice's key measure due now (claims last the default lease of 120 s) and a chat that holds
    her first prompt in flight until it is released."""
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    people = [Member(ALICE, timezone=NY)]
    core, fake, clock = make_core(database_url, tmp_path, text, _ny(30, 10), people)
    chat = HeldFirstSendChat(directory=fake.directory)
    core.adapters.register(chat)
    return core, chat, clock


def test_a_send_held_longer_than_the_lease_is_not_taken_for_a_crashed_one(
    database_url: str, tmp_path: Path
) -> None:
    """While a platform keeps a send waiting (Slack's Retry-After), its sender renews the claim,
    so another sender does not reconcile it as abandoned and send the prompt again."""
    core, chat, clock = _alice_behind_a_held_send(database_url, tmp_path)

    async def two_senders() -> tuple[SendReport, SendReport, list[float]]:
        renewals = SteppedSleep()
        await open_now(core, "lms", "lms-confidence", actor="test")
        first = asyncio.create_task(Sender(core, sleep=renewals.sleep).send_due())
        while not chat.held:
            await asyncio.sleep(0.01)
        await renewals.asleep()
        clock.advance(timedelta(minutes=5))  # far past the lease of the claim made at 10:00
        await renewals.step()  # one renewal round of the first sender, at 10:05
        second = await Sender(core).send_due()
        chat.release.set()
        return await first, second, renewals.asked

    first, second, asked = asyncio.run(asyncio.wait_for(two_senders(), timeout=10))
    assert (first.sent, second.reconciled, second.sent) == (1, 0, 0)
    assert len(chat.prompts[ALICE]) == 1
    assert asked[0] == DEFAULT_CLAIM_LEASE_SECONDS / 3  # three renewals per lease


def test_a_renewal_the_database_refused_is_tried_again_and_the_run_goes_on(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core, chat, _ = _alice_behind_a_held_send(database_url, tmp_path)
    renew = ledger.renew_claims
    renewed: list[tuple[Any, ...]] = []
    refused: list[tuple[Any, ...]] = []

    def away_once(*args: Any) -> None:
        if not refused:
            refused.append(args)
            raise ConnectionError("database away")
        renew(*args)
        renewed.append(args)

    monkeypatch.setattr(ledger, "renew_claims", away_once)

    async def send() -> SendReport:
        renewals = SteppedSleep()
        await open_now(core, "lms", "lms-confidence", actor="test")
        sending = asyncio.create_task(Sender(core, sleep=renewals.sleep).send_due())
        while not chat.held:
            await asyncio.sleep(0.01)
        await renewals.step()  # the database refuses this renewal
        assert (len(refused), len(renewed)) == (1, 0)
        await renewals.step()  # and takes the next one
        assert (len(refused), len(renewed)) == (1, 1)
        chat.release.set()
        return await sending

    with caplog.at_level("WARNING", logger="learnpulse.sender"):
        report = asyncio.run(asyncio.wait_for(send(), timeout=10))
    assert report.sent == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "learnpulse.sender"]
    assert warnings[0].startswith("could not renew 1 claims")


class BatchCountingSender(Sender):
    """Releases the chat's held send once the second batch has been decided."""

    def __init__(self, core: LearnPulse, chat: HeldFirstSendChat) -> None:
        super().__init__(core, concurrency=2, batch=1)
        self.chat, self.decided = chat, 0

    async def send_due(self, limit: int | None = None) -> SendReport:
        self.loop = asyncio.get_running_loop()  # batches are decided in a database thread
        return await super().send_due(limit)

    def _decide(self, *args: Any, **kwargs: Any) -> Any:
        decisions = super()._decide(*args, **kwargs)
        self.decided += 1
        if self.decided == 2:
            self.loop.call_soon_threadsafe(self.chat.release.set)
        return decisions


def test_a_prompt_still_in_flight_counts_against_the_next_batchs_budget(
    database_url: str, tmp_path: Path
) -> None:
    """Two prompts due at once for someone with room for one more this week, in two batches:
    the second is decided while the first is still being sent, and is skipped, not sent over
    the weekly budget."""
    core, _, clock = _alice_with_budget_of_two(  # the key measure holds one of the two places
        database_url,
        tmp_path,
        [question("q-a", "weekly", "mon", "10:00"), question("q-b", "weekly", "mon", "10:00")],
    )
    chat = HeldFirstSendChat(directory={"slack:channel:C0ALL": [Member(ALICE, timezone=NY)]})
    core.adapters.register(chat)
    run(core)  # Monday 08:00: planned
    clock.set(_ny(30, 10, 5))
    sender = BatchCountingSender(core, chat)

    report = asyncio.run(sender.send_due())

    assert sender.decided == 2  # the second prompt was decided while the first was held
    assert len(chat.prompts[ALICE]) == 1
    assert (report.sent, report.skipped) == (1, 1)
    assert [d.last_error for d in _skipped(core)] == ["weekly prompt budget reached"]


def test_senders_claiming_at_once_never_take_the_same_delivery(
    database_url: str, tmp_path: Path
) -> None:
    """Several senders (threads here, processes in production) share one asking's deliveries;
    on PostgreSQL a row another claim holds is skipped, on SQLite claims take turns."""
    people = [Member(f"slack:U{n:08d}", timezone=NY) for n in range(60)]
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)])
    core, _, clock = make_core(database_url, tmp_path, text, MONDAY_8AM_NY, people)
    run(core)  # Monday 08:00: planned
    clock.set(_ny(30, 10, 0))
    taken: list[list[ledger.Claimed]] = [[] for _ in range(4)]

    def claim(into: list[ledger.Claimed]) -> None:
        while batch := ledger.claim_due(core.engine, clock.now(), 3):
            into.extend(batch)

    assert _all_at_once(claim, taken) == []  # no claim failed instead of waiting its turn
    ids = [c.id for into in taken for c in into]
    assert len(ids) == len(set(ids)) == len(people)
    assert {c.person for into in taken for c in into} == {p.person for p in people}
    assert all(c.attempts == 1 for into in taken for c in into)
    assert ledger.count_by_status(core.engine)[DeliveryStatus.SENDING.value] == len(people)
