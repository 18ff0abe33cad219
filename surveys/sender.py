"""The sender: claims due deliveries, decides, sends through the adapters, records the outcome.

Before anything is sent, deliveries left in ``sending`` by a crash are reconciled: the adapter is
asked whether the prompt arrived (Slack looks for the delivery id in the DM's message metadata),
and only a prompt that never arrived is sent again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.messages import Prompt
from bot.ports import PermanentSendError, TransientSendError
from bot.registry import NoAdapterError
from storage.tables import Delivery, DeliveryStatus, Occurrence, PersonRecord
from surveys import delivery as ledger
from surveys.cadence import WorkCalendar, week_bounds
from surveys.delivery import Claimed
from surveys.occurrences import KEY_MEASURE
from surveys.prompts import render_prompt

if TYPE_CHECKING:
    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.sender")

NO_ADAPTER_RETRY = timedelta(minutes=10)


def claim_lease() -> timedelta:
    """How long a claim may stay unrecorded before it counts as abandoned by a crash."""
    return timedelta(seconds=float(os.environ.get("LEARNPULSE_CLAIM_LEASE_SECONDS", "120")))


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    missed: int = 0
    reconciled: int = 0

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


class Sender:
    """Sends due prompts with bounded concurrency across people."""

    def __init__(self, core: LearnPulse, concurrency: int = 64, batch: int = 500) -> None:
        self.core = core
        self.batch = batch
        self._slots = asyncio.Semaphore(concurrency)

    async def reconcile(self) -> int:
        """Settle claims whose outcome is unknown; returns how many were found delivered."""
        now = self.core.clock.now()
        lease = claim_lease()
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
        while limit is None or report.sent + report.failed + report.skipped + report.missed < limit:
            now = self.core.clock.now()
            size = self.batch if limit is None else min(self.batch, limit)
            claimed = await asyncio.to_thread(ledger.claim_due, self.core.engine, now, size)
            if not claimed:
                break
            decisions = await asyncio.to_thread(self._decide, claimed, now)
            outcomes = await asyncio.gather(*(self._carry_out(d) for d in decisions))
            for outcome in outcomes:
                report.add(outcome)
        self.core.metrics.pending.set(float("nan"))
        return report

    def _decide(self, claimed: list[Claimed], now: datetime) -> list[_Decision]:
        """Per claimed delivery: send (with its prompt), retry later, or settle without sending."""
        core = self.core
        program = core.require_program()
        cap = program.max_prompts_per_week
        calendars = {c.id: WorkCalendar.for_person(program, c.timezone) for c in claimed}
        weeks = {c.person_id: week_bounds(now, calendars[c.id].zone) for c in claimed}
        usage = dict(ledger.weekly_usage(core.engine, list(weeks), weeks, now))
        decisions: list[_Decision] = []
        with core.session() as session:
            for c in claimed:
                work = calendars[c.id]
                person = session.get(PersonRecord, c.person_id)
                delivery = session.get(Delivery, c.id)
                occurrence = session.get(Occurrence, c.occurrence_id)
                assert person is not None and delivery is not None and occurrence is not None
                if now >= c.expires_at:
                    decisions.append(
                        _Decision(
                            c,
                            final=DeliveryStatus.MISSED,
                            reason="window closed before it could be sent",
                        )
                    )
                    continue
                if person.opted_out or not person.active or person.is_bot:
                    decisions.append(
                        _Decision(
                            c,
                            final=DeliveryStatus.SKIPPED,
                            reason="person is inactive or opted out",
                        )
                    )
                    continue
                if person.snoozed_until is not None and person.snoozed_until > now:
                    decisions.append(_Decision(c, final=DeliveryStatus.SKIPPED, reason="snoozed"))
                    continue
                if not work.in_hours(now):
                    opens = work.next_open(now)
                    if opens >= c.expires_at:
                        decisions.append(
                            _Decision(
                                c,
                                final=DeliveryStatus.MISSED,
                                reason="window closed outside working hours",
                            )
                        )
                    else:
                        decisions.append(
                            _Decision(c, retry_at=opens, reason="waiting for working hours")
                        )
                    continue
                if not occurrence.manual:
                    used, reserved = usage.get(c.person_id, (0, 0))
                    over = used >= cap if c.priority == KEY_MEASURE else used + reserved >= cap
                    if over:
                        decisions.append(
                            _Decision(
                                c,
                                final=DeliveryStatus.SKIPPED,
                                reason="weekly prompt budget reached",
                            )
                        )
                        continue
                    usage[c.person_id] = (used + 1, reserved)
                decisions.append(_Decision(c, prompt=render_prompt(session, core, delivery)))
        return decisions

    async def _carry_out(self, decision: _Decision) -> SendReport:
        engine, c = self.core.engine, decision.claimed
        if decision.final is not None:
            await asyncio.to_thread(
                ledger.mark_final, engine, c.id, decision.final, decision.reason
            )
            return SendReport(
                skipped=int(decision.final is DeliveryStatus.SKIPPED),
                missed=int(decision.final is DeliveryStatus.MISSED),
            )
        if decision.retry_at is not None:
            await asyncio.to_thread(
                ledger.mark_retry, engine, c.id, decision.retry_at, decision.reason or ""
            )
            return SendReport(retried=1)
        assert decision.prompt is not None
        return await self._send(c, decision.prompt)

    async def _send(self, c: Claimed, prompt: Prompt) -> SendReport:
        engine, metrics = self.core.engine, self.core.metrics
        try:
            adapter = self.core.adapters.for_ref(c.person)
        except NoAdapterError as exc:
            retry_at = self.core.clock.now() + NO_ADAPTER_RETRY
            await asyncio.to_thread(ledger.mark_retry, engine, c.id, retry_at, str(exc))
            return SendReport(retried=1)
        async with self._slots:
            try:
                with metrics.send_seconds.labels(adapter.platform).time():
                    ref = await adapter.send_prompt(c.person, prompt)
            except PermanentSendError as exc:
                await asyncio.to_thread(
                    ledger.mark_final, engine, c.id, DeliveryStatus.FAILED, exc.reason
                )
                metrics.deliveries.labels(adapter.platform, "failed").inc()
                return SendReport(failed=1)
            except TransientSendError as exc:
                return await self._retry_or_give_up(
                    c, exc.reason, exc.retry_after, adapter.platform
                )
            except Exception as exc:  # an adapter bug or an unexpected transport error
                log.exception("delivery %d: unexpected error while sending", c.id)
                return await self._retry_or_give_up(
                    c, f"{exc.__class__.__name__}", None, adapter.platform
                )
        now = self.core.clock.now()
        await asyncio.to_thread(
            ledger.mark_sent, engine, c.id, ref.conversation, ref.message_id, now
        )
        metrics.deliveries.labels(adapter.platform, "sent").inc()
        return SendReport(sent=1)

    async def _retry_or_give_up(
        self, c: Claimed, reason: str, retry_after: float | None, platform: str
    ) -> SendReport:
        now = self.core.clock.now()
        retry_at = now + ledger.retry_delay(c.attempts, retry_after)
        if retry_at >= c.expires_at:
            await asyncio.to_thread(
                ledger.mark_final,
                self.core.engine,
                c.id,
                DeliveryStatus.FAILED,
                f"gave up: {reason}",
            )
            self.core.metrics.deliveries.labels(platform, "failed").inc()
            return SendReport(failed=1)
        await asyncio.to_thread(ledger.mark_retry, self.core.engine, c.id, retry_at, reason)
        self.core.metrics.deliveries.labels(platform, "retried").inc()
        return SendReport(retried=1)
