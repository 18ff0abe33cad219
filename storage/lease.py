"""A lease row: one holder at a time, taken over when the holder stops renewing it.

Several replicas share one database; work that must run once (resolving audiences, planning,
digests, the review) is done by whoever holds the ``work_lease`` row. Taking or renewing it is
one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` on both databases: it succeeds for the holder, or
for anyone once the lease has expired, and for nobody else, whatever runs at the same moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import write_gate
from storage.tables import WorkLease, table_of

LEASES = table_of(WorkLease)


def hold(engine: Engine, name: str, holder: str, now: datetime, duration: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + duration``; True when
    ``holder`` holds it now."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LEASES).values(name=name, holder=holder, expires_at=now + duration)
    claim = statement.on_conflict_do_update(
        index_elements=[LEASES.c.name],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=or_(LEASES.c.holder == statement.excluded.holder, LEASES.c.expires_at < now),
    )
    with write_gate(engine), engine.begin() as connection:
        connection.execute(claim)
        current = connection.execute(
            select(LEASES.c.holder).where(LEASES.c.name == name)
        ).scalar_one()
    return bool(current == holder)


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease up (a clean shutdown), so another replica need not wait for it to expire."""
    with write_gate(engine), engine.begin() as connection:
        connection.execute(LEASES.delete().where(LEASES.c.name == name, LEASES.c.holder == holder))
