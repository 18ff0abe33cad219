"""Answer windows after the send: one reminder at the reminder point, and closing at the end.

Both are claimed in the database before any message goes out: a reminder is marked before it
is sent, so it goes out at most once, and a prompt is closed once, whichever process gets there
first. Deliveries never sent by the end of their window are recorded missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, select, update

from storage.db import reading
from storage.tables import (
    ANNOUNCEMENT_PRIORITY,
    OPEN_STATUSES,
    Delivery,
    DeliveryStatus,
    PersonRecord,
    table_of,
)

PERSONS = table_of(PersonRecord)
DELIVERIES = table_of(Delivery)


@dataclass(frozen=True)
class OpenPrompt:
    """A sent prompt that needs a reminder or a closing update."""

    id: int
    person: str
    timezone: str | None
    conversation: str | None
    message_id: str | None


def claim_reminders(
    engine: Engine, now: datetime, eligible: Callable[[OpenPrompt], bool]
) -> list[OpenPrompt]:
    """Sent, unanswered prompts past their reminder point that ``eligible`` accepts (working
    hours): marked reminded before sending, so a reminder goes out at most once."""
    table = DELIVERIES
    due = and_(
        table.c.status == DeliveryStatus.SENT.value,
        table.c.reminded_at.is_(None),
        table.c.remind_at.is_not(None),
        table.c.remind_at <= now,
        table.c.expires_at > now,
    )
    candidates = [p for p in _select_open(engine, due) if eligible(p)]
    if not candidates:
        return []
    with engine.begin() as connection:
        won = {
            row[0]
            for row in connection.execute(
                update(table)
                .where(table.c.id.in_([p.id for p in candidates]), due)
                .values(status=DeliveryStatus.REMINDED.value, reminded_at=now)
                .returning(table.c.id)
            )
        }
    return [p for p in candidates if p.id in won]


def set_message(engine: Engine, delivery_id: int, conversation: str, message_id: str) -> None:
    """Point a delivery at its newest message (a reminder), so updates land there."""
    table = DELIVERIES
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == delivery_id)
            .values(conversation=conversation, message_id=message_id)
        )


def expire_due(engine: Engine, now: datetime) -> tuple[list[OpenPrompt], int]:
    """Close windows that have ended: sent prompts expire, unsent ones are recorded missed."""
    table = DELIVERIES
    with engine.begin() as connection:
        missed = connection.execute(
            update(table)
            .where(table.c.status == DeliveryStatus.PENDING.value, table.c.expires_at <= now)
            .values(
                status=DeliveryStatus.MISSED.value,
                last_error="window closed before it could be sent",
            )
        ).rowcount
    closed = _open_prompts(
        engine,
        and_(
            table.c.status.in_([s.value for s in (*OPEN_STATUSES, DeliveryStatus.ANSWERED)]),
            table.c.expires_at <= now,
            table.c.closed_at.is_(None),
            table.c.priority != ANNOUNCEMENT_PRIORITY,  # an announcement has nothing to close
        ),
        {"closed_at": now},
    )
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.status.in_([s.value for s in OPEN_STATUSES]), table.c.expires_at <= now)
            .values(status=DeliveryStatus.EXPIRED.value)
        )
    return closed, int(missed or 0)


def _open_prompts(engine: Engine, where: Any, values: dict[str, Any]) -> list[OpenPrompt]:
    rows = _select_open(engine, where)
    if rows:
        with engine.begin() as connection:
            connection.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id.in_([r.id for r in rows]), where)
                .values(**values)
            )
    return rows


def _select_open(engine: Engine, where: Any) -> list[OpenPrompt]:
    with reading(engine).begin() as connection:
        rows = connection.execute(
            select(
                DELIVERIES.c.id,
                PERSONS.c.ref,
                PERSONS.c.timezone,
                DELIVERIES.c.conversation,
                DELIVERIES.c.message_id,
            )
            .join(PERSONS, PERSONS.c.id == DELIVERIES.c.person_id)
            .where(where)
        ).all()
    return [OpenPrompt(*row) for row in rows]
