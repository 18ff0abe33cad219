"""Recording: what became of claimed deliveries, written in batches, only where still claimed.

A sender records its outcomes many at a time, in one transaction; a row another process has
meanwhile settled (reconciled, expired) is left alone, because every write is guarded by the
status it expects. The statement that records sends differs per SQL dialect, both kept here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, and_, bindparam, func, or_, select, text, update

from storage.db import reading
from storage.tables import Delivery, DeliveryStatus, table_of
from storage.types import sqlite_timestamp

DELIVERIES = table_of(Delivery)
MAX_ERROR_LENGTH = 300


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed delivery, to be recorded with others in one transaction."""

    id: int
    status: DeliveryStatus  # SENT, PENDING (retry), FAILED, SKIPPED or MISSED
    at: datetime
    conversation: str | None = None
    message_id: str | None = None
    reason: str | None = None
    remind_at: datetime | None = None  # for a late send: the reminder point moved after it


def record_outcomes(engine: Engine, outcomes: Sequence[Outcome]) -> None:
    """Record many outcomes at once (one transaction); only rows still claimed are changed."""
    if not outcomes:
        return
    table = DELIVERIES
    guard = and_(
        table.c.id == bindparam("b_id"),
        or_(
            table.c.status == DeliveryStatus.SENDING.value,
            table.c.status == DeliveryStatus.PENDING.value,
        ),
    )
    sent = [o for o in outcomes if o.status is DeliveryStatus.SENT]
    retry = [o for o in outcomes if o.status is DeliveryStatus.PENDING]
    final = [o for o in outcomes if o.status not in (DeliveryStatus.SENT, DeliveryStatus.PENDING)]
    with engine.begin() as connection:
        if sent and connection.dialect.name == "sqlite":
            connection.execute(_SQLITE_RECORD_SENT, {"sent": _sent_as_json(sent)})
        elif sent:
            connection.execute(_POSTGRESQL_RECORD_SENT, _sent_as_arrays(sent))
        if retry:
            connection.execute(
                update(table)
                .where(guard)
                .values(
                    status=DeliveryStatus.PENDING.value,
                    next_attempt_at=bindparam("b_at"),
                    last_error=bindparam("b_reason"),
                ),
                [
                    {"b_id": o.id, "b_at": o.at, "b_reason": (o.reason or "")[:MAX_ERROR_LENGTH]}
                    for o in retry
                ],
            )
        if final:
            connection.execute(
                update(table)
                .where(guard)
                .values(status=bindparam("b_status"), last_error=bindparam("b_reason")),
                [
                    {
                        "b_id": o.id,
                        "b_status": o.status.value,
                        "b_reason": (o.reason or None) and o.reason[:MAX_ERROR_LENGTH],
                    }
                    for o in final
                ],
            )


# On SQLite the sends of a batch are recorded by one statement, their values one JSON parameter
# unpacked inside SQLite. The driver hands the interpreter back for every row it steps, so an
# ``executemany`` of 200 rows is 200 hand-offs between the database thread and the busy event
# loop that is sending; measured on 10,000 sends, the single statement took 14% off the whole
# fan-out. ``NOT INDEXED`` keeps SQLite from scanning by the status index and probing the JSON
# for each row; each delivery is found by its id. Only rows still claimed (or pending) change.
_SQLITE_RECORD_SENT = text(
    f"""
    UPDATE delivery NOT INDEXED
    SET status = '{DeliveryStatus.SENT.value}',
        sent_at = json_extract(sent.value, '$[1]'),
        conversation = json_extract(sent.value, '$[2]'),
        message_id = json_extract(sent.value, '$[3]'),
        remind_at = coalesce(json_extract(sent.value, '$[4]'), delivery.remind_at),
        last_error = NULL
    FROM json_each(:sent) AS sent
    WHERE delivery.id = json_extract(sent.value, '$[0]')
      AND delivery.status IN ('{DeliveryStatus.SENDING.value}', '{DeliveryStatus.PENDING.value}')
    """
)


# On PostgreSQL likewise: one statement, each field of the batch's sends one array parameter.
_POSTGRESQL_RECORD_SENT = text(
    f"""
    UPDATE delivery
    SET status = '{DeliveryStatus.SENT.value}',
        sent_at = sent.at,
        conversation = sent.conversation,
        message_id = sent.message_id,
        remind_at = coalesce(sent.remind_at, delivery.remind_at),
        last_error = NULL
    FROM unnest(
        CAST(:ids AS INTEGER[]),
        CAST(:ats AS TIMESTAMPTZ[]),
        CAST(:conversations AS TEXT[]),
        CAST(:message_ids AS TEXT[]),
        CAST(:remind_ats AS TIMESTAMPTZ[])
    ) AS sent (id, at, conversation, message_id, remind_at)
    WHERE delivery.id = sent.id
      AND delivery.status IN ('{DeliveryStatus.SENDING.value}', '{DeliveryStatus.PENDING.value}')
    """
)


def _sent_as_arrays(sent: Sequence[Outcome]) -> dict[str, list[Any]]:
    return {
        "ids": [o.id for o in sent],
        "ats": [o.at for o in sent],
        "conversations": [o.conversation for o in sent],
        "message_ids": [o.message_id for o in sent],
        "remind_ats": [o.remind_at for o in sent],
    }


def _sent_as_json(sent: Sequence[Outcome]) -> str:
    """``[id, sent_at, conversation, message_id, remind_at]`` per send, timestamps as SQLite
    columns of ``UTCDateTime`` hold them (UTC, no offset)."""
    return orjson.dumps(
        [
            [
                o.id,
                sqlite_timestamp(o.at),
                o.conversation,
                o.message_id,
                sqlite_timestamp(o.remind_at),
            ]
            for o in sent
        ]
    ).decode()


def mark_sent(
    engine: Engine, delivery_id: int, conversation: str, message_id: str, now: datetime
) -> bool:
    """A claim whose prompt is found to have arrived (reconciling after a crash) is sent."""
    table = DELIVERIES
    with engine.begin() as connection:
        result = connection.execute(
            update(table)
            .where(table.c.id == delivery_id, table.c.status == DeliveryStatus.SENDING.value)
            .values(
                status=DeliveryStatus.SENT.value,
                sent_at=now,
                conversation=conversation,
                message_id=message_id,
                last_error=None,
            )
        )
    return bool(result.rowcount)


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff (2 s, 4 s, … capped at 5 min), never sooner than ``retry_after``."""
    backoff = min(2.0 ** max(attempts, 1), 300.0)
    return timedelta(seconds=max(backoff, retry_after or 0.0))


def count_by_status(engine: Engine, occurrence_ids: Sequence[int] | None = None) -> dict[str, int]:
    """How many deliveries are in each status (of some occurrences, or of all)."""
    table = DELIVERIES
    query = select(table.c.status, func.count()).group_by(table.c.status)
    if occurrence_ids is not None:
        query = query.where(table.c.occurrence_id.in_(occurrence_ids))
    with reading(engine).begin() as connection:
        return {status: int(n) for status, n in connection.execute(query)}
