"""A chunk of people or memberships written the cheapest way each database offers.

PostgreSQL: executed with a list of rows, an ``INSERT`` reaches the server as one statement per
row (psycopg pipelines them, but the server still parses, plans and runs each): storing 100,000
people that way took about 5 s and their memberships about 3.5 s. Here each column of a chunk
travels as one array parameter and ``unnest`` turns them back into rows, so a chunk of a thousand
people is one statement planned once (1.4 and 1.2 s).

SQLite: ``executemany`` is a loop in C over one prepared statement, but through SQLAlchemy's
statement objects every row's parameters were also built and converted in Python (of 1.8 s
storing 100,000 people, 0.17 s was SQLite's own work). Here the rows go to the driver as plain
tuples, and the people are read back with their references as one JSON parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson
from sqlalchemy import Connection, text

from bot.ports import Member

# A name or time zone the platform did not give keeps the stored one, and a person whose stored
# row already says the same is not written at all (on both databases).
_POSTGRESQL_UPSERT_PEOPLE = text(
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

_POSTGRESQL_PEOPLE_BY_REF = text(
    """
    SELECT id, ref, active, is_bot, opted_out FROM person
    WHERE ref = ANY(CAST(:refs AS TEXT[]))
    """
)

_POSTGRESQL_ADD_MEMBERS = text(
    """
    INSERT INTO audience_member (workstream_id, person_id, in_pilot)
    SELECT :workstream_id, person_id, in_pilot
    FROM unnest(CAST(:person_ids AS INTEGER[]), CAST(:in_pilot AS BOOLEAN[]))
        AS added (person_id, in_pilot)
    ON CONFLICT DO NOTHING
    """
)


_SQLITE_UPSERT_PEOPLE = """
    INSERT INTO person (ref, display_name, timezone, active, is_bot, opted_out, replies_off)
    VALUES (?, ?, ?, ?, ?, 0, 0)
    ON CONFLICT (ref) DO UPDATE SET
        display_name = coalesce(excluded.display_name, person.display_name),
        timezone = coalesce(excluded.timezone, person.timezone),
        active = excluded.active,
        is_bot = excluded.is_bot
    WHERE (excluded.timezone IS NOT NULL AND person.timezone IS NOT excluded.timezone)
       OR (excluded.display_name IS NOT NULL AND person.display_name IS NOT excluded.display_name)
       OR person.active IS NOT excluded.active
       OR person.is_bot IS NOT excluded.is_bot
"""

_SQLITE_PEOPLE_BY_REF = """
    SELECT id, ref, active, is_bot, opted_out FROM person
    WHERE ref IN (SELECT value FROM json_each(?))
"""

_SQLITE_ADD_MEMBERS = """
    INSERT INTO audience_member (workstream_id, person_id, in_pilot) VALUES (?, ?, ?)
    ON CONFLICT DO NOTHING
"""

Found = tuple[int, str, bool, bool, bool]  # id, ref, active, is_bot, opted_out


def upsert_people(connection: Connection, part: Sequence[Member]) -> list[Found]:
    """Create or refresh a chunk of people; (id, ref, active, is_bot, opted_out) of each. A
    time zone or name the platform did not give keeps the stored one."""
    if connection.dialect.name == "sqlite":
        rows = [(m.person, m.display_name, m.timezone, m.active, m.is_bot) for m in part]
        connection.exec_driver_sql(_SQLITE_UPSERT_PEOPLE, rows)
        refs_json = orjson.dumps([m.person for m in part]).decode()
        found = connection.exec_driver_sql(_SQLITE_PEOPLE_BY_REF, (refs_json,))
        return [tuple(row) for row in found]
    refs = [m.person for m in part]
    connection.execute(
        _POSTGRESQL_UPSERT_PEOPLE,
        {
            "refs": refs,
            "display_names": [m.display_name for m in part],
            "timezones": [m.timezone for m in part],
            "actives": [m.active for m in part],
            "bots": [m.is_bot for m in part],
        },
    )
    return [tuple(row) for row in connection.execute(_POSTGRESQL_PEOPLE_BY_REF, {"refs": refs})]


def add_members(
    connection: Connection, workstream_id: str, part: Sequence[int], wanted: Mapping[int, bool]
) -> None:
    """Add a chunk of people to a workstream's audience (those already in it are left)."""
    if connection.dialect.name == "sqlite":
        rows = [(workstream_id, p, wanted[p]) for p in part]
        connection.exec_driver_sql(_SQLITE_ADD_MEMBERS, rows)
        return
    connection.execute(
        _POSTGRESQL_ADD_MEMBERS,
        {
            "workstream_id": workstream_id,
            "person_ids": list(part),
            "in_pilot": [wanted[p] for p in part],
        },
    )
