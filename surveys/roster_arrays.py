"""PostgreSQL: a chunk of people or memberships written as one statement over arrays.

Executed with a list of rows, an ``INSERT`` reaches PostgreSQL as one statement per row (psycopg
pipelines them, but the server still parses, plans and runs each): storing 100,000 people that
way took about 5 s and their memberships about 3.5 s. Here each column of a chunk travels as one
array parameter and ``unnest`` turns them back into rows, so a chunk of a thousand people is one
statement planned once. SQLite keeps the row list (``surveys.roster``): its ``executemany`` is a
loop in C over one prepared statement, already as cheap as it gets there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, text

from bot.ports import Member

# The same rule as the row-list upsert: a name or time zone the platform did not give keeps the
# stored one, and a person whose stored row already says the same is not written at all.
_UPSERT_PEOPLE = text(
    """
    INSERT INTO person (ref, display_name, timezone, active, is_bot, opted_out, replies_off)
    SELECT ref, display_name, timezone, active, is_bot, false, false
    FROM unnest(
        CAST(:refs AS TEXT[]),
        CAST(:display_names AS TEXT[]),
        CAST(:timezones AS TEXT[]),
        CAST(:actives AS BOOLEAN[]),
        CAST(:bots AS BOOLEAN[])
    ) AS given (ref, display_name, timezone, active, is_bot)
    ON CONFLICT (ref) DO UPDATE SET
        display_name = coalesce(excluded.display_name, person.display_name),
        timezone = coalesce(excluded.timezone, person.timezone),
        active = excluded.active,
        is_bot = excluded.is_bot
    WHERE (excluded.timezone IS NOT NULL
           AND person.timezone IS DISTINCT FROM excluded.timezone)
       OR (excluded.display_name IS NOT NULL
           AND person.display_name IS DISTINCT FROM excluded.display_name)
       OR person.active IS DISTINCT FROM excluded.active
       OR person.is_bot IS DISTINCT FROM excluded.is_bot
    """
)

_PEOPLE_BY_REF = text(
    """
    SELECT id, ref, active, is_bot, opted_out FROM person
    WHERE ref = ANY(CAST(:refs AS TEXT[]))
    """
)

_ADD_MEMBERS = text(
    """
    INSERT INTO audience_member (workstream_id, person_id, in_pilot)
    SELECT :workstream_id, person_id, in_pilot
    FROM unnest(CAST(:person_ids AS INTEGER[]), CAST(:in_pilot AS BOOLEAN[]))
        AS added (person_id, in_pilot)
    ON CONFLICT DO NOTHING
    """
)


def upsert_people(
    connection: Connection, part: Sequence[Member]
) -> list[tuple[int, str, bool, bool, bool]]:
    """Create or refresh a chunk of people; (id, ref, active, is_bot, opted_out) of each."""
    refs = [m.person for m in part]
    connection.execute(
        _UPSERT_PEOPLE,
        {
            "refs": refs,
            "display_names": [m.display_name for m in part],
            "timezones": [m.timezone for m in part],
            "actives": [m.active for m in part],
            "bots": [m.is_bot for m in part],
        },
    )
    found: Any = connection.execute(_PEOPLE_BY_REF, {"refs": refs})
    return [tuple(row) for row in found]


def add_members(
    connection: Connection, workstream_id: str, part: Sequence[int], wanted: Mapping[int, bool]
) -> None:
    """Add a chunk of people to a workstream's audience (those already in it are left)."""
    connection.execute(
        _ADD_MEMBERS,
        {
            "workstream_id": workstream_id,
            "person_ids": list(part),
            "in_pilot": [wanted[p] for p in part],
        },
    )
