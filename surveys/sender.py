"""The sender: claims due deliveries, decides, sends through the adapters, records the outcome.

Before anything is sent, deliveries left in ``sending`` by a crash are reconciled: the adapter is
asked whether the prompt arrived (Slack looks for the delivery id in the DM's message metadata),
and only a prompt that never arrived is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.logsafe import describe
from bot.messages import Prompt
from bot.ports import NoAdapterError, PermanentSendError, TransientSendError
from storage.tables import ANNOUNCEMENT_PRIORITY, Delivery, DeliveryStatus
from surveys import ledger
from surveys.cadence import WorkCalendar, week_bounds
from surveys.context import Reaching
from surveys.ledger.claim import Claimed
from surveys.occurrences import KEY_MEASURE
from surveys.program import Program
from surveys.prompts import render_prompt

BUDGET_REASON = "weekly prompt budget reached"
log = logging.getLogger("learnpulse.sender")

NO_ADAPTER_RETRY = timedelta(minutes=10)


DEFAULT_CLAIM_LEASE_SECONDS = (
    30.0  # what Settings gives unless LEARNPULSE_CLAIM_LEASE_SECONDS is set
)


def claim_lease(seconds: float = DEFAULT_CLAIM_LEASE_SECONDS) -> timedelta:
    """How long a claim may go unrecorded and unrenewed before it counts as abandoned by a
    crash (the operator's ``LEARNPULSE_CLAIM_LEASE_SECONDS``). A running sender renews its
    claims three times per lease."""
    return timedelta(seconds=seconds)


MIN_RENEWAL_SECONDS = 0.05  # however short the lease, renew at most this often


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    missed: int = 0
    reconciled: int = 0
    unknown: int = 0  # may have arrived: left claimed, looked for once the claim lapses

    def add(self, other: SendReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class _Decision:
    claimed: Claimed
    prompt: Prompt | None = None
    final: DeliveryStatus | None = None
    reason: str | None = None
    retry_at: datetime | None = None


FLUSH_SECONDS = 1.0


class Sender:
    """Sends due prompts: claims in batches, sends with bounded concurrency across people, and
    records outcomes in batches. A crash between a send and its record leaves the row claimed,
    which ``reconcile`` settles by asking the platform once the claim has outlived ``lease``
    (``claim_lease()`` unless given)."""

    def __init__(
        self,
        core: Reaching,
        concurrency: int = 64,
        batch: int = 2000,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lease: timedelta | None = None,
    ) -> None:
        # Each batch costs a fixed share of database work and a pause in sending at its end;
        # at 10,000 people, batches of 2,000 took a quarter off the ledger's CPU time against
        # batches of 500, and the fan-out ran about 5% faster. Claims still queued are renewed
        # (``renew``), so a large batch behind a slow platform never outlives its lease.
        self.core = core
        self.batch = batch
        self.concurrency = concurrency
        self.sleep = sleep  # between claim renewals; a test steps it instead of waiting
        self.lease = claim_lease() if lease is None else lease

    async def reconcile(self) -> int:
        """Settle claims whose outcome is unknown; returns how many were found delivered."""
        now = self.core.clock.now()
        lease = self.lease
        stale = await asyncio.to_thread(ledger.stale_sending, self.core.engine, now - lease)
        found = 0
        for claimed in stale:
            try:
                ref = await self.core.adapters.for_ref(claimed.person).find_prompt(
                    claimed.person, claimed.id
                )
            except (NoAdapterError, TransientSendError, PermanentSendError) as exc:
                log.warning("delivery %d: could not check whether it arrived: %s", claimed.id, exc)
                continue
            if ref is not None:
                await asyncio.to_thread(
                    ledger.mark_sent,
                    self.core.engine,
                    claimed.id,
                    ref.conversation,
                    ref.message_id,
                    now,
                )
                found += 1
            else:
                await asyncio.to_thread(ledger.release, self.core.engine, claimed.id, now - lease)
        return found

    async def send_due(self, limit: int | None = None) -> SendReport:
        """Send every delivery that is due now (up to ``limit``)."""
        report = SendReport(reconciled=await self.reconcile())
        queue: asyncio.Queue[_Decision | None] = asyncio.Queue()
        buffer: list[ledger.Outcome] = []
        flushing = asyncio.Lock()
        last_flush = [time.monotonic()]
        all_started = asyncio.Event()
        held: set[int] = set()  # claimed by this run, outcome not yet recorded

        async def flush(force: bool = False) -> None:
            """Record outcomes before each claim and, while a batch is slow, every
            FLUSH_SECONDS, so a claim is settled long before its lease could let another
            process retake it."""
            due = force or time.monotonic() - last_flush[0] >= FLUSH_SECONDS
            if not buffer or not due:
                return
            last_flush[0] = time.monotonic()
            async with flushing:
                taken = buffer[:]
                del buffer[: len(taken)]
                await asyncio.to_thread(ledger.record_outcomes, self.core.engine, taken)
                held.difference_update(outcome.id for outcome in taken)

        async def renew() -> None:
            """Keep this run's claims from counting as abandoned while they wait their turn:
            a send can wait minutes on Slack's ``Retry-After``, and another sender must not
            take it for a crashed one and send it again."""
            interval = max(self.lease.total_seconds() / 3, MIN_RENEWAL_SECONDS)
            while True:
                await self.sleep(interval)
                if not held:
                    continue
                try:
                    now = self.core.clock.now()
                    await asyncio.to_thread(ledger.renew_claims, self.core.engine, [*held], now)
                except Exception as exc:  # the database is away: the next round tries again
                    log.warning("could not renew %d claims: %s", len(held), describe(exc))

        async def feed() -> None:
            """Per batch: record what was sent, claim, decide, hand the decisions to the workers,
            and wait until every one of them has started. Database work beside a busy event loop
            slows the loop by several times its own CPU time (the two take turns with the
            interpreter at every socket call), so it comes once per batch, while the batch's
            last sends are out; with sends that take a network round trip, the next batch is
            ready before they are done."""
            taken = 0
            templates: dict[tuple[int, str | None], Prompt] = {}
            try:
                while limit is None or taken < limit:
                    await flush(force=True)
                    now = self.core.clock.now()
                    size = self.batch if limit is None else min(self.batch, limit - taken)
                    claimed = await asyncio.to_thread(ledger.claim_due, self.core.engine, now, size)
                    if not claimed:
                        break
                    held.update(c.id for c in claimed)
                    taken += len(claimed)
                    for decision in await asyncio.to_thread(self._decide, claimed, now, templates):
                        queue.put_nowait(decision)
                    all_started.clear()  # the last batch's end may have set it meanwhile
                    await all_started.wait()
            finally:
                for _ in range(self.concurrency):
                    queue.put_nowait(None)

        async def work() -> None:
            while (decision := await queue.get()) is not None:
                if queue.empty():
                    all_started.set()
                outcome = await self._carry_out(decision)
                if outcome is None:  # no renewal: its lease lapses and ``reconcile`` looks
                    held.discard(decision.claimed.id)
                    report.unknown += 1
                    continue
                buffer.append(outcome)
                _count(report, outcome)
                await flush()

        renewing = asyncio.create_task(renew())
        try:
            # A failure (the database gone while recording) stops every worker: one left
            # sending would post with its claim no longer renewed, and another replica, finding
            # the claim lapsed and the prompt not yet there, would send it too.
            async with asyncio.TaskGroup() as workers:
                workers.create_task(feed())
                for _ in range(self.concurrency):
                    workers.create_task(work())
            await flush(force=True)
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        if report.sent or report.retried or report.failed or report.skipped or report.missed:
            log.debug(
                "sending run: %d sent, %d to retry, %d failed, %d skipped, %d missed",
                report.sent, report.retried, report.failed, report.skipped, report.missed,
            )  # fmt: skip
        return report

    def _decide(
        self,
        claimed: list[Claimed],
        now: datetime,
        templates: dict[tuple[int, str | None], Prompt],
    ) -> list[_Decision]:
        """Per claimed delivery: send (with its prompt), retry later, or settle without sending.

        Who the person is (active, snoozed…) came with the claim, local time is worked out once
        per time zone, and a prompt is rendered once per occurrence and time zone (``templates``
        lives for one sending run): a first send has no recorded answer to show.
        """
        core = self.core
        program = core.require_program()
        cap = program.max_prompts_per_week
        zones = {tz: _LocalNow.of(program, tz, now) for tz in {c.timezone for c in claimed}}
        weeks = {c.person_id: zones[c.timezone].week for c in claimed}
        usage = ledger.weekly_usage(core.engine, list(weeks), weeks, now, [c.id for c in claimed])
        decisions: list[_Decision] = []
        for c in claimed:
            local = zones[c.timezone]
            settled = _settle(c, local, now)
            if settled is not None:
                decisions.append(settled)
                continue
            used, reserved = usage.get(c.person_id, (0, 0))
            over = used >= cap if c.priority == KEY_MEASURE else used + reserved >= cap
            if c.priority == ANNOUNCEMENT_PRIORITY:
                over = False  # "you said, we did" asks nothing of anyone's week
            if over:  # ad-hoc askings too: an admin's survey never exceeds anyone's week
                decisions.append(_Decision(c, final=DeliveryStatus.SKIPPED, reason=BUDGET_REASON))
                continue
            if c.priority != ANNOUNCEMENT_PRIORITY:
                usage[c.person_id] = (used + 1, reserved)
            key = (c.occurrence_id, c.timezone)
            if key not in templates:
                templates[key] = self._first_prompt(c.id)
            decisions.append(_Decision(c, prompt=replace(templates[key], delivery_id=c.id)))
        return decisions

    def _first_prompt(self, delivery_id: int) -> Prompt:
        with self.core.reading() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            return render_prompt(session, self.core, delivery)

    async def _carry_out(self, decision: _Decision) -> ledger.Outcome | None:
        c, now = decision.claimed, self.core.clock.now()
        if decision.final is not None:
            return ledger.Outcome(c.id, decision.final, now, reason=decision.reason)
        if decision.retry_at is not None:
            return ledger.Outcome(
                c.id, DeliveryStatus.PENDING, decision.retry_at, reason=decision.reason
            )
        assert decision.prompt is not None
        return await self._send(c, decision.prompt)

    async def _send(self, c: Claimed, prompt: Prompt) -> ledger.Outcome | None:
        """The outcome to record; None when nobody can tell whether the prompt arrived (the
        claim is kept, and settled by ``reconcile`` through the platform before any resend)."""
        metrics = self.core.metrics
        try:
            adapter = self.core.adapters.for_ref(c.person)
        except NoAdapterError as exc:
            return ledger.Outcome(
                c.id,
                DeliveryStatus.PENDING,
                self.core.clock.now() + NO_ADAPTER_RETRY,
                reason=str(exc),
            )
        try:
            with metrics.send_time(adapter.platform).time():
                ref = await adapter.send_prompt(c.person, prompt)
        except PermanentSendError as exc:
            metrics.delivery_outcome(adapter.platform, "failed").inc()
            return ledger.Outcome(
                c.id, DeliveryStatus.FAILED, self.core.clock.now(), reason=exc.reason
            )
        except TransientSendError as exc:
            if exc.outcome_unknown:
                log.warning("delivery %d may have arrived (%s): it is looked for before any "
                            "resend", c.id, exc.reason)  # fmt: skip
                return None
            return self._retry_or_give_up(c, exc.reason, exc.retry_after, adapter.platform)
        except Exception as exc:  # an adapter bug or an unexpected transport error
            log.error("delivery %d: unexpected error while sending: %s", c.id, describe(exc))
            return self._retry_or_give_up(c, exc.__class__.__name__, None, adapter.platform)
        metrics.delivery_outcome(adapter.platform, "sent").inc()
        now = self.core.clock.now()
        return ledger.Outcome(
            c.id,
            DeliveryStatus.SENT,
            now,
            conversation=ref.conversation,
            message_id=ref.message_id,
            remind_at=self._late_reminder(c, now),
        )

    def _late_reminder(self, c: Claimed, sent_at: datetime) -> datetime | None:
        """A prompt sent after its planned reminder point (downtime, retries) is reminded
        halfway through the working time it still has, never right after it arrives."""
        if c.remind_at is None or c.remind_at > sent_at:
            return None
        work = WorkCalendar.for_person(self.core.require_program(), c.timezone)
        return work.working_midpoint(sent_at, c.expires_at) or c.expires_at

    def _retry_or_give_up(
        self, c: Claimed, reason: str, retry_after: float | None, platform: str
    ) -> ledger.Outcome:
        now = self.core.clock.now()
        retry_at = now + ledger.retry_delay(c.attempts, retry_after)
        if retry_at >= c.expires_at:
            self.core.metrics.delivery_outcome(platform, "failed").inc()
            return ledger.Outcome(c.id, DeliveryStatus.FAILED, now, reason=f"gave up: {reason}")
        self.core.metrics.delivery_outcome(platform, "retried").inc()
        return ledger.Outcome(c.id, DeliveryStatus.PENDING, retry_at, reason=reason)


@dataclass(frozen=True)
class _LocalNow:
    """``now`` as seen from one time zone: its calendar, the local week, and when working hours
    are next open (``now`` itself while they are)."""

    work: WorkCalendar
    week: tuple[datetime, datetime]
    opens: datetime

    @classmethod
    def of(cls, program: Program, timezone: str | None, now: datetime) -> _LocalNow:
        work = WorkCalendar.for_person(program, timezone)
        return cls(work, week_bounds(now, work.zone), work.next_open(now))


def _settle(c: Claimed, local: _LocalNow, now: datetime) -> _Decision | None:
    """A decision that needs no budget: closed window, person away, or outside working hours."""
    if now >= c.expires_at:
        return _Decision(
            c, final=DeliveryStatus.MISSED, reason="window closed before it could be sent"
        )
    if c.opted_out or not c.active or c.is_bot:
        return _Decision(c, final=DeliveryStatus.SKIPPED, reason="person is inactive or opted out")
    if c.snoozed_until is not None and c.snoozed_until > now:
        return _Decision(c, final=DeliveryStatus.SKIPPED, reason="snoozed")
    if local.opens > now:  # outside working hours
        if local.opens >= c.expires_at:
            return _Decision(
                c, final=DeliveryStatus.MISSED, reason="window closed outside working hours"
            )
        return _Decision(c, retry_at=local.opens, reason="waiting for working hours")
    return None


def _count(report: SendReport, outcome: ledger.Outcome) -> None:
    if outcome.status is DeliveryStatus.SENT:
        report.sent += 1
    elif outcome.status is DeliveryStatus.PENDING:
        report.retried += 1
    elif outcome.status is DeliveryStatus.FAILED:
        report.failed += 1
    elif outcome.status is DeliveryStatus.SKIPPED:
        report.skipped += 1
    elif outcome.status is DeliveryStatus.MISSED:
        report.missed += 1
