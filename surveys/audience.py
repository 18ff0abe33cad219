"""Who a workstream asks: its pilot group in the pilot phase, its audience afterwards.

Audience references (channels, groups, teams) are expanded through the platform adapters and
kept in ``audience_member``, written as a diff (``surveys.roster``); bots, deactivated and
opted-out accounts are never asked. When each audience was resolved is kept too
(``audience_state``), so an ad-hoc survey re-resolves only an audience older than
``LEARNPULSE_AUDIENCE_TTL``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.ports import Member, NoAdapterError, SendError
from storage.tables import AudienceMember, AudienceState, PersonRecord, WorkstreamRecord
from surveys import roster, segments
from surveys.context import Reaching
from surveys.program import Workstream

log = logging.getLogger("learnpulse.audience")


def asked_refs(workstream: Workstream) -> list[str]:
    """The references asked right now: the pilot while in pilot phase, else the audience."""
    return list(workstream.pilot) if workstream.phase == "pilot" else list(workstream.audience)


async def expand(core: Reaching, refs: list[str]) -> tuple[list[Member], bool]:
    """Resolve references to people through their adapters: the people, and whether every
    reference was resolved (an unreachable one is logged, and nobody is removed for it)."""
    found: dict[str, Member] = {}
    complete = True
    for ref in refs:
        try:
            members = await core.adapters.for_ref(ref).members(ref)
        except (NoAdapterError, SendError) as exc:
            log.warning("audience %s not resolved: %s", ref, getattr(exc, "reason", exc))
            complete = False
            continue
        for member in members:
            found.setdefault(member.person, member)
    return list(found.values()), complete


async def refresh(
    core: Reaching,
    workstream_ids: Sequence[str] | None = None,
    *,
    max_age: timedelta | None = None,
) -> dict[str, int]:
    """Re-resolve the asked group of ``workstream_ids`` (every workstream, and the banks'
    union, by default); with ``max_age``, those resolved more recently are left as they are.
    Returns the sizes written. An audience that could not be fully resolved (a platform
    outage) gains people but loses nobody."""
    program = core.require_program()
    chosen = [w for w in program.workstreams if workstream_ids is None or w.id in workstream_ids]
    now = core.clock.now()
    if max_age is not None:
        fresh = await asyncio.to_thread(_resolved_since, core, now - max_age)
        chosen = [w for w in chosen if w.id not in fresh]
    if not chosen:
        return {}
    resolved: dict[str, tuple[list[Member], bool]] = {}
    for workstream in chosen:
        resolved[workstream.id] = await expand(core, asked_refs(workstream))
    return await asyncio.to_thread(_store, core, chosen, resolved, now, workstream_ids is None)


def _resolved_since(core: Reaching, since: datetime) -> set[str]:
    with core.reading() as session:
        rows = session.exec(
            select(AudienceState.workstream_id).where(col(AudienceState.resolved_at) >= since)
        ).all()
    return set(rows)


def _store(
    core: Reaching,
    chosen: list[Workstream],
    resolved: dict[str, tuple[list[Member], bool]],
    now: datetime,
    banks_too: bool,
) -> dict[str, int]:
    engine = core.engine
    people = roster.upsert_people(engine, (m for ms, _ in resolved.values() for m in ms))
    sizes: dict[str, int] = {}
    everyone: dict[int, bool] = {}
    complete = True
    for workstream in chosen:
        members, whole = resolved[workstream.id]
        complete = complete and whole
        pilot = set(workstream.pilot)
        wanted = {
            people[m.person].id: m.person in pilot
            for m in members
            if m.person in people and people[m.person].askable
        }
        roster.sync_members(engine, workstream.id, wanted, remove=whole)
        everyone.update(dict.fromkeys(wanted, False))
        sizes[workstream.id] = len(wanted)
    if banks_too:
        with core.reading() as session:
            builtin = session.exec(
                select(WorkstreamRecord.id).where(WorkstreamRecord.builtin)
            ).all()
        for bank_id in builtin:
            roster.sync_members(engine, bank_id, everyone, remove=complete)
            sizes[bank_id] = len(everyone)
    _mark_resolved(core, [w.id for w in chosen if resolved[w.id][1]], now)
    segments.assign(
        engine, core.vault, core.program, now.astimezone(core.require_program().zone).date()
    )
    return sizes


def _mark_resolved(core: Reaching, workstream_ids: list[str], now: datetime) -> None:
    if not workstream_ids:
        return
    with core.session() as session:
        for workstream_id in workstream_ids:
            state = session.get(AudienceState, workstream_id)
            if state is None:
                session.add(AudienceState(workstream_id=workstream_id, resolved_at=now))
            else:
                state.resolved_at = now
                session.add(state)


def members_of(session: Session, workstream_id: str) -> list[tuple[int, str, str | None]]:
    """(person id, ref, time zone) of everyone a workstream currently asks."""
    rows = session.exec(
        select(PersonRecord.id, PersonRecord.ref, PersonRecord.timezone)
        .join(AudienceMember, col(AudienceMember.person_id) == col(PersonRecord.id))
        .where(AudienceMember.workstream_id == workstream_id)
        .order_by(col(PersonRecord.id))
    ).all()
    return [(int(pid), ref, tz) for pid, ref, tz in rows if pid is not None]
