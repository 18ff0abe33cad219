"""Planning: one pending delivery per member of an occurrence's audience, inserted once.

"Exactly once" starts here as a property of the table: the unique constraint on (occurrence,
person) makes a second plan of the same occurrence, by a restart or another replica, a no-op.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Engine, case, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import reading
from storage.tables import AudienceMember, Delivery, DeliveryStatus, PersonRecord, table_of
from storage.types import UTCDateTime
from surveys.cadence import Timing

PERSONS = table_of(PersonRecord)
MEMBERS = table_of(AudienceMember)
DELIVERIES = table_of(Delivery)


def member_time_zones(engine: Engine, workstream_id: str) -> list[str | None]:
    """The distinct time zones (None: not known) of a workstream's current members."""
    with reading(engine).begin() as connection:
        return [
            row[0]
            for row in connection.execute(
                select(PERSONS.c.timezone)
                .distinct()
                .join(MEMBERS, MEMBERS.c.person_id == PERSONS.c.id)
                .where(MEMBERS.c.workstream_id == workstream_id)
            )
        ]


def plan_for_members(
    engine: Engine,
    occurrence_id: int,
    workstream_id: str,
    priority: int,
    timings: dict[str | None, Timing | None],
) -> int:
    """Insert one pending delivery per member in a single INSERT ... SELECT, skipping any that
    exist. Timing is computed per time zone in Python (a handful), never per person; members
    whose zone has no asking that day (``None`` timing) get no row. Returns rows inserted."""
    zoned = {zone: t for zone, t in timings.items() if t is not None}
    if not zoned:
        return 0
    zone_key = func.coalesce(PERSONS.c.timezone, "")

    def by_zone(field: str) -> Any:
        whens = [
            (zone_key == (zone or ""), literal(getattr(t, field), UTCDateTime()))
            for zone, t in zoned.items()
        ]
        return case(*whens, else_=literal(None, UTCDateTime()))

    chosen = (
        select(
            literal(occurrence_id).label("occurrence_id"),
            MEMBERS.c.person_id,
            literal(DeliveryStatus.PENDING.value).label("status"),
            literal(priority).label("priority"),
            by_zone("due_at").label("due_at"),
            by_zone("remind_at").label("remind_at"),
            by_zone("expires_at").label("expires_at"),
            by_zone("due_at").label("next_attempt_at"),
            literal(0).label("attempts"),
            literal([], JSON()).label("answered_items"),
        )
        .select_from(MEMBERS.join(PERSONS, PERSONS.c.id == MEMBERS.c.person_id))
        .where(
            MEMBERS.c.workstream_id == workstream_id, zone_key.in_([zone or "" for zone in zoned])
        )
    )
    columns = [
        "occurrence_id",
        "person_id",
        "status",
        "priority",
        "due_at",
        "remind_at",
        "expires_at",
        "next_attempt_at",
        "attempts",
        "answered_items",
    ]
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(DELIVERIES)
        .from_select(columns, chosen)
        .on_conflict_do_nothing(index_elements=["occurrence_id", "person_id"])
        .returning(DELIVERIES.c.id)
    )
    with engine.begin() as connection:
        return len(connection.execute(statement).all())
