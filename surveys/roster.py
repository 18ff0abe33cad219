"""People and audience memberships written in sets: a refresh is a diff, not a rewrite.

An audience of 100,000 people is written in chunks of ``CHUNK`` rows, each chunk one short
transaction, so SQLite's single writer is never held for long while answer clicks wait. People
are upserted with ``INSERT … ON CONFLICT (ref) DO UPDATE`` on both databases, the update skipped
where nothing changed; memberships are added and removed by set difference against what is
stored, so an unchanged audience writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine, delete, select, update

from bot.ports import Member
from storage.db import reading, write_gate
from storage.tables import AudienceMember, PersonRecord, table_of
from surveys import roster_sql

PEOPLE = table_of(PersonRecord)
MEMBERS = table_of(AudienceMember)
CHUNK = 1_000  # rows per transaction: a few milliseconds of SQLite's write lock each

T = TypeVar("T")


@dataclass(frozen=True)
class Stored:
    """A person as stored: their id, and whether they may be asked at all."""

    id: int
    askable: bool  # active, not a bot, not opted out


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_people(engine: Engine, members: Iterable[Member]) -> dict[str, Stored]:
    """Create or refresh the people of ``members``; by reference, their id and whether they
    may be asked. A time zone or name the platform did not give keeps the stored one."""
    unique = list({m.person: m for m in members}.values())
    out: dict[str, Stored] = {}
    for part in chunks(unique):
        with write_gate(engine), engine.begin() as connection:
            found = roster_sql.upsert_people(connection, part)  # one statement per chunk
        for person_id, ref, active, is_bot, opted_out in found:
            out[ref] = Stored(int(person_id), bool(active and not is_bot and not opted_out))
    return out


def current_members(engine: Engine, workstream_id: str) -> dict[int, bool]:
    """The stored audience of a workstream: person id -> in the pilot group."""
    with reading(engine).begin() as connection:
        rows = connection.execute(
            select(MEMBERS.c.person_id, MEMBERS.c.in_pilot).where(
                MEMBERS.c.workstream_id == workstream_id
            )
        )
        return {int(person_id): bool(in_pilot) for person_id, in_pilot in rows}


@dataclass(frozen=True)
class MembershipChange:
    added: int = 0
    removed: int = 0
    moved: int = 0  # into or out of the pilot group


def sync_members(
    engine: Engine, workstream_id: str, wanted: Mapping[int, bool], *, remove: bool = True
) -> MembershipChange:
    """Make the stored audience ``wanted`` (person id -> in pilot) by set difference; with
    ``remove`` False (an audience that could not be fully resolved) nobody is taken out."""
    stored = current_members(engine, workstream_id)
    added = [p for p in wanted if p not in stored]
    removed = [p for p in stored if p not in wanted] if remove else []
    moved = [p for p in wanted if p in stored and stored[p] != wanted[p]]
    for part in chunks(added):
        with write_gate(engine), engine.begin() as connection:
            roster_sql.add_members(connection, workstream_id, part, wanted)
    for part in chunks(removed):
        with write_gate(engine), engine.begin() as connection:
            connection.execute(
                delete(MEMBERS).where(
                    MEMBERS.c.workstream_id == workstream_id, MEMBERS.c.person_id.in_(part)
                )
            )
    for flag in (True, False):
        flipped = [p for p in moved if wanted[p] is flag]
        for part in chunks(flipped):
            with write_gate(engine), engine.begin() as connection:
                connection.execute(
                    update(MEMBERS)
                    .where(MEMBERS.c.workstream_id == workstream_id, MEMBERS.c.person_id.in_(part))
                    .values(in_pilot=flag)
                )
    return MembershipChange(len(added), len(removed), len(moved))
