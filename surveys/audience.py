"""Who a workstream asks: its pilot group in the pilot phase, its audience afterwards.

Audience references (channels, groups, teams) are expanded through the platform adapters and
cached in ``audience_member``; bots and deactivated accounts are never asked.
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session, col, delete, select

from bot.ports import Member, NoAdapterError, SendError
from storage.tables import AudienceMember, PersonRecord, WorkstreamRecord
from surveys.context import Reaching
from surveys.people import get_or_create
from surveys.program import Workstream

log = logging.getLogger("learnpulse.audience")


def asked_refs(workstream: Workstream) -> list[str]:
    """The references asked right now: the pilot while in pilot phase, else the audience."""
    return list(workstream.pilot) if workstream.phase == "pilot" else list(workstream.audience)


async def expand(core: Reaching, refs: list[str]) -> list[Member]:
    """Resolve references to people through their adapters; unreachable ones are logged."""
    found: dict[str, Member] = {}
    for ref in refs:
        try:
            members = await core.adapters.for_ref(ref).members(ref)
        except (NoAdapterError, SendError) as exc:
            log.warning("audience %s not resolved: %s", ref, getattr(exc, "reason", exc))
            continue
        for member in members:
            found.setdefault(member.person, member)
    return list(found.values())


async def refresh(core: Reaching) -> dict[str, int]:
    """Re-resolve every workstream's asked group (and the banks' union); returns sizes."""
    program = core.require_program()
    resolved: dict[str, list[Member]] = {}
    for workstream in program.workstreams:
        resolved[workstream.id] = await expand(core, asked_refs(workstream))
    return await asyncio.to_thread(_store, core, resolved)


def _store(core: Reaching, resolved: dict[str, list[Member]]) -> dict[str, int]:
    program = core.require_program()
    sizes: dict[str, int] = {}
    everyone: dict[int, bool] = {}
    with core.session() as session:
        for workstream in program.workstreams:
            pilot = set(workstream.pilot)
            ids = _upsert_people(session, resolved[workstream.id])
            session.execute(
                delete(AudienceMember).where(col(AudienceMember.workstream_id) == workstream.id)
            )
            for person_id, ref in ids:
                session.add(
                    AudienceMember(
                        workstream_id=workstream.id, person_id=person_id, in_pilot=ref in pilot
                    )
                )
                everyone[person_id] = everyone.get(person_id, False) or ref in pilot
            sizes[workstream.id] = len(ids)
        builtin = session.exec(select(WorkstreamRecord.id).where(WorkstreamRecord.builtin)).all()
        for bank_id in builtin:
            session.execute(
                delete(AudienceMember).where(col(AudienceMember.workstream_id) == bank_id)
            )
            for person_id in everyone:
                session.add(
                    AudienceMember(workstream_id=bank_id, person_id=person_id, in_pilot=False)
                )
            sizes[bank_id] = len(everyone)
    return sizes


def _upsert_people(session: Session, members: list[Member]) -> list[tuple[int, str]]:
    """Create or refresh person rows; return (id, ref) of those who may be asked."""
    asked: list[tuple[int, str]] = []
    for member in members:
        person, _ = get_or_create(session, member.person)
        if member.timezone:
            person.timezone = member.timezone
        if member.display_name:
            person.display_name = member.display_name
        person.is_bot, person.active = member.is_bot, member.active
        session.add(person)
        if member.active and not member.is_bot and not person.opted_out:
            assert person.id is not None
            asked.append((person.id, person.ref))
    return asked


def members_of(session: Session, workstream_id: str) -> list[tuple[int, str, str | None]]:
    """(person id, ref, time zone) of everyone a workstream currently asks."""
    rows = session.exec(
        select(PersonRecord.id, PersonRecord.ref, PersonRecord.timezone)
        .join(AudienceMember, col(AudienceMember.person_id) == col(PersonRecord.id))
        .where(AudienceMember.workstream_id == workstream_id)
        .order_by(col(PersonRecord.id))
    ).all()
    return [(int(pid), ref, tz) for pid, ref, tz in rows if pid is not None]
