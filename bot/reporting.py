"""Posting digests, reviews and private trends through the chat adapters.

Building is platform-neutral (``surveys.digest``, ``surveys.review``, ``surveys.trend``); this
module only decides what is due, claims it and hands the ``Report`` to the adapter of its
destination. A scheduled post is claimed by inserting its ``posted_digest`` row (unique ``key``)
*before* posting, so two ticks or two replicas never post the same period twice; a post that
failed for a transient reason releases its claim and is tried again on the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import delete, select

from bot.messages import Report
from bot.ports import PermanentSendError, SendError
from bot.registry import NoAdapterError
from storage.tables import PostedDigest
from surveys import digest as digests
from surveys.periods import Period
from surveys.program import Workstream

if TYPE_CHECKING:
    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.reporting")

GRACE = timedelta(hours=24)  # a digest more than this late is skipped, not posted stale


@dataclass(frozen=True)
class Posted:
    """What happened to one post: where it went (or why not), never what it said."""

    destination: str
    posted: bool
    reason: str = ""
    report: Report | None = None


def _local_moment(core: LearnPulse, day: Any, at: time) -> datetime:
    zone = core.require_program().zone
    return datetime.combine(day, at, tzinfo=zone)


def _claim(
    core: LearnPulse,
    key: str,
    kind: str,
    workstream_id: str | None,
    period: Period,
    destination: str,
    summary: dict[str, Any],
) -> bool:
    """Insert the posted_digest row; False when another tick or replica already holds it."""
    try:
        with core.session() as session:
            session.add(
                PostedDigest(
                    key=key,
                    kind=kind,
                    workstream_id=workstream_id,
                    period_start=period.start,
                    period_end=period.end,
                    destination=destination,
                    summary=summary,
                    posted_at=core.clock.now(),
                )
            )
    except IntegrityError:
        return False
    return True


def _release(core: LearnPulse, key: str) -> None:
    with core.session() as session:
        session.exec(delete(PostedDigest).where(PostedDigest.key == key))  # type: ignore[arg-type]


def _already_posted(core: LearnPulse, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    with core.session() as session:
        rows = session.exec(select(PostedDigest.key).where(PostedDigest.key.in_(keys)))  # type: ignore[attr-defined]
        return set(rows.all())


async def _deliver(
    core: LearnPulse, key: str, destination: str, report: Report, *, keep_on_failure: bool
) -> Posted:
    """Post a claimed report; on failure release the claim unless told to keep it."""
    try:
        adapter = core.adapters.for_ref(destination)
        await adapter.post_to_channel(destination, report)
    except (NoAdapterError, SendError) as exc:
        reason = exc.reason if isinstance(exc, SendError) else str(exc)
        permanent = isinstance(exc, PermanentSendError)
        if not (keep_on_failure and permanent):
            await asyncio.to_thread(_release, core, key)
        log.warning("post %s to %s failed: %s", key.split(":", 1)[0], destination, reason)
        return Posted(destination, False, reason, report)
    return Posted(destination, True, "", report)


def _build(core: LearnPulse, requests: list[tuple[Workstream, Period]]) -> list[digests.Digest]:
    with core.session() as session:
        return digests.build_digests(core, session, requests)


async def post_digest(core: LearnPulse, workstream_id: str, *, scheduled: bool = False) -> Posted:
    """Post one workstream's digest to its ``digest_to``.

    On demand it covers the period in progress and is always posted (and recorded, so that a
    later digest of the same period cannot be subtracted from it); scheduled it covers the
    latest finished period and is posted at most once.
    """
    program = core.require_program()
    workstream = program.workstream(workstream_id)
    if workstream is None:
        raise LookupError(f"no workstream {workstream_id!r}")
    if scheduled:
        period = digests.scheduled_period(core, workstream)
        key = digests.digest_key(workstream.id, period)
    else:
        period = digests.current_period(core, workstream)
        key = f"{digests.digest_key(workstream.id, period)}:manual:{core.clock.now().isoformat()}"
    if scheduled and key in await asyncio.to_thread(_already_posted, core, [key]):
        return Posted(workstream.digest_to, False, "already posted for this period")
    [built] = await asyncio.to_thread(_build, core, [(workstream, period)])
    return await _post_built(core, key, built, keep_on_failure=scheduled)


async def _post_built(
    core: LearnPulse, key: str, built: digests.Digest, *, keep_on_failure: bool
) -> Posted:
    claimed = await asyncio.to_thread(
        _claim,
        core,
        key,
        digests.KIND,
        built.workstream_id,
        built.period,
        built.destination,
        built.summary,
    )
    if not claimed:
        return Posted(built.destination, False, "already posted for this period")
    return await _deliver(
        core, key, built.destination, built.report, keep_on_failure=keep_on_failure
    )


def _due_digests(core: LearnPulse) -> list[tuple[Workstream, Period, str]]:
    """Workstreams whose latest digest time passed within the grace window, not yet posted."""
    program = core.require_program()
    now = core.clock.now()
    due: list[tuple[Workstream, Period, str]] = []
    for workstream in program.workstreams:
        if not core.adapters.serves(workstream.digest_to):
            continue
        period = digests.scheduled_period(core, workstream)
        moment = _local_moment(core, period.end, workstream.digest.at_time)
        if now - moment > GRACE:
            continue
        due.append((workstream, period, digests.digest_key(workstream.id, period)))
    posted = _already_posted(core, [key for _, _, key in due])
    return [item for item in due if item[2] not in posted]


async def post_due_digests(core: LearnPulse) -> int:
    """Post every digest whose time has come and that was not posted yet; returns how many."""
    if core.program is None:
        return 0
    due = await asyncio.to_thread(_due_digests, core)
    if not due:
        return 0
    built = await asyncio.to_thread(_build, core, [(w, p) for w, p, _ in due])
    count = 0
    for (_, _, key), one in zip(due, built, strict=True):
        result = await _post_built(core, key, one, keep_on_failure=True)
        count += int(result.posted)
    return count
