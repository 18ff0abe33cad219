"""Claims: a due delivery moves from ``pending`` to ``sending`` atomically, owned by one sender.

Several processes may share the work: on PostgreSQL a claim skips rows another sender holds
(``FOR UPDATE SKIP LOCKED``) instead of waiting for them; on SQLite the claiming transaction
holds the write lock from its start. A claim is leased: a running sender renews what it still
holds (``renew_claims``), and a row left in ``sending`` past its lease by a crash is found by
``stale_sending`` and reconciled by asking the platform before anything is resent (``release``
only once the prompt is known not to have arrived).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Engine, func, select, update
from sqlalchemy.engine import Connection

from storage.db import reading
from storage.tables import Delivery, DeliveryStatus, Occurrence, PersonRecord, table_of
from storage.types import UTCDateTime, from_sqlite_timestamp
from surveys.ledger.id_lists import json_array_values, one_of

PERSONS = table_of(PersonRecord)
DELIVERIES = table_of(Delivery)
OCCURRENCES = table_of(Occurrence)


@dataclass(frozen=True)
class Claimed:
    """A delivery this process now owns, with what is needed to decide on it and send it: read
    in the statement that claims it, so deciding asks the database nothing more per person."""

    id: int
    person_id: int
    person: str
    timezone: str | None
    occurrence_id: int
    priority: int
    due_at: datetime
    expires_at: datetime
    attempts: int
    remind_at: datetime | None
    manual: bool  # asked by an admin now, outside the weekly prompt budget
    opted_out: bool
    active: bool
    is_bot: bool
    snoozed_until: datetime | None


# what sending a claimed delivery needs, in the order of ``Claimed``'s fields
CLAIMED = (
    DELIVERIES.c.id,
    DELIVERIES.c.person_id,
    PERSONS.c.ref,
    PERSONS.c.timezone,
    DELIVERIES.c.occurrence_id,
    DELIVERIES.c.priority,
    DELIVERIES.c.due_at,
    DELIVERIES.c.expires_at,
    DELIVERIES.c.attempts,
    DELIVERIES.c.remind_at,
    OCCURRENCES.c.manual,
    PERSONS.c.opted_out,
    PERSONS.c.active,
    PERSONS.c.is_bot,
    PERSONS.c.snoozed_until,
)


def claim_due(engine: Engine, now: datetime, limit: int) -> list[Claimed]:
    """Move up to ``limit`` due pending deliveries to ``sending`` and return them."""
    pick = (
        select(DELIVERIES.c.id)
        .where(
            DELIVERIES.c.status == DeliveryStatus.PENDING.value,
            DELIVERIES.c.next_attempt_at <= now,
        )
        .order_by(DELIVERIES.c.priority, DELIVERIES.c.next_attempt_at, DELIVERIES.c.id)
        .limit(limit)
    )
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            return _claim_on_sqlite(connection, pick, now)
        return _claim_on_postgresql(connection, pick, now)


def _claim_on_postgresql(connection: Connection, pick: Any, now: datetime) -> list[Claimed]:
    """``claim_due`` as one statement: the pick (rows another sender holds are skipped, not
    waited for), the claim, and what sending needs from the person and the occurrence come back
    from the ``UPDATE`` itself, with no list of ids sent back and forth."""
    table = DELIVERIES
    picked = pick.with_for_update(skip_locked=True).cte("picked")
    rows = connection.execute(
        update(table)
        .where(
            table.c.id == picked.c.id,
            table.c.status == DeliveryStatus.PENDING.value,
            PERSONS.c.id == table.c.person_id,
            OCCURRENCES.c.id == table.c.occurrence_id,
        )
        .values(status=DeliveryStatus.SENDING.value, claimed_at=now, attempts=table.c.attempts + 1)
        .returning(*CLAIMED)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: (c.priority, c.id))


def _claim_on_sqlite(connection: Connection, pick: Any, now: datetime) -> list[Claimed]:
    """``claim_due`` in three statements of one row each, as ``record_outcomes`` records sends.

    Fetching the ids, claiming them with ``RETURNING`` and reading what sending needs stepped
    1,500 rows for a batch of 500, each step a hand-off of the interpreter between this thread
    and the event loop. Here the ids and the claimed rows come back as one JSON value each.
    The transaction holds SQLite's write lock from its start (``BEGIN IMMEDIATE``), so the ids
    picked are still pending when they are claimed.
    """
    table = DELIVERIES
    ids = connection.execute(select(func.json_group_array(pick.subquery().c.id))).scalar_one()
    listed = json_array_values(ids)
    # No status condition: the rows are the ones just picked, and SQLite would rather scan every
    # pending row by the status index than look up the few ids.
    connection.execute(
        update(table)
        .where(table.c.id.in_(listed))
        .values(status=DeliveryStatus.SENDING.value, claimed_at=now, attempts=table.c.attempts + 1)
    )
    rows = connection.execute(
        _claimed_columns()
        .with_only_columns(func.json_group_array(func.json_array(*CLAIMED)))
        .where(table.c.id.in_(listed))
    ).scalar_one()
    claimed = [_claimed_from_json(values) for values in orjson.loads(rows)]
    return sorted(claimed, key=lambda c: (c.priority, c.id))


def _claimed_columns() -> Any:
    return (
        select(*CLAIMED)
        .join(PERSONS, PERSONS.c.id == DELIVERIES.c.person_id)
        .join(OCCURRENCES, OCCURRENCES.c.id == DELIVERIES.c.occurrence_id)
    )


def _json_reader(column_type: Any) -> Callable[[Any], Any] | None:
    """How a value of ``column_type`` is read back from SQLite's JSON (None: as it is)."""
    if isinstance(column_type, UTCDateTime):
        return from_sqlite_timestamp  # stored as text
    if isinstance(column_type, Boolean):
        return bool  # stored as 0 or 1
    return None


# (position, how to read it) of each ``CLAIMED`` column that JSON does not give as it is
_JSON_READERS = tuple(
    (position, reader)
    for position, reader in enumerate(_json_reader(column.type) for column in CLAIMED)
    if reader is not None
)


def _claimed_from_json(values: list[Any]) -> Claimed:
    """A ``CLAIMED`` row as SQLite's JSON holds it (``values`` is read in place)."""
    for position, reader in _JSON_READERS:
        if values[position] is not None:
            values[position] = reader(values[position])
    return Claimed(*values)


def stale_sending(engine: Engine, older_than: datetime) -> list[Claimed]:
    """Deliveries claimed before ``older_than`` whose outcome was never recorded (a crash)."""
    with reading(engine).begin() as connection:
        rows = connection.execute(
            _claimed_columns().where(
                DELIVERIES.c.status == DeliveryStatus.SENDING.value,
                DELIVERIES.c.claimed_at < older_than,
            )
        ).all()
    return [Claimed(*row) for row in rows]


def release(engine: Engine, delivery_id: int, claimed_before: datetime) -> bool:
    """A stale claim whose prompt never arrived goes back to pending (safe to send)."""
    table = DELIVERIES
    with engine.begin() as connection:
        result = connection.execute(
            update(table)
            .where(
                table.c.id == delivery_id,
                table.c.status == DeliveryStatus.SENDING.value,
                table.c.claimed_at < claimed_before,
            )
            .values(status=DeliveryStatus.PENDING.value)
        )
    return bool(result.rowcount)


def renew_claims(engine: Engine, delivery_ids: Sequence[int], now: datetime) -> None:
    """Claims their sender still holds (queued behind others, or waiting out a ``Retry-After``)
    are not abandoned: their lease starts again at ``now``."""
    if not delivery_ids:
        return
    table = DELIVERIES
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(
                one_of(table.c.id, delivery_ids, connection.dialect.name),
                table.c.status == DeliveryStatus.SENDING.value,
            )
            .values(claimed_at=now)
        )
