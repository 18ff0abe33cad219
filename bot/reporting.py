"""Posting digests, reviews and private trends through the chat adapters.

Building is platform-neutral (``surveys.digest``, ``surveys.review``, ``surveys.trend``); this
module only decides what is due, claims it and hands the ``Report`` to the adapter of its
destination. A scheduled post is claimed by inserting its ``posted_digest`` row (unique ``key``)
*before* posting, so two ticks or two replicas never post the same period twice; a post that
failed for a transient reason releases its claim and is tried again on the next tick.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from bot.messages import Choice, Report
from bot.ports import NoAdapterError, PermanentSendError, SendError
from storage.tables import PersonRecord, PostedDigest
from surveys import digest as digests
from surveys import mydata, review, review_render, trend
from surveys.context import Reaching
from surveys.periods import Period
from surveys.program import Workstream
from surveys.references import RefKind, kind_of, platform_of
from surveys.review_model import Review

log = logging.getLogger("learnpulse.reporting")

GRACE = timedelta(hours=24)  # a digest more than this late is skipped, not posted stale
REVIEW_GRACE = timedelta(days=7)
HOME_PLATFORMS = ("slack",)  # these show the own trend in their App Home instead
TREND = "trend"
TREND_AT = time(10, 0)  # local program time on the 1st of the month (or later that month)


@dataclass(frozen=True)
class Posted:
    """What happened to one post: where it went (or why not), never what it said."""

    destination: str
    posted: bool
    reason: str = ""
    report: Report | None = None


def _local_moment(core: Reaching, day: date, at: time) -> datetime:
    zone = core.require_program().zone
    return datetime.combine(day, at, tzinfo=zone)


def _manual_suffix(core: Reaching) -> str:
    """Keys of on-demand posts: never equal to a scheduled key, never to each other."""
    return f"manual:{core.clock.now():%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:8]}"


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _claim(
    core: Reaching,
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


def _release(core: Reaching, key: str) -> None:
    with core.session() as session:
        session.exec(delete(PostedDigest).where(col(PostedDigest.key) == key))


def _already_posted(core: Reaching, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    with core.reading() as session:
        rows = session.exec(select(PostedDigest.key).where(col(PostedDigest.key).in_(keys)))
        return set(rows.all())


async def _deliver(
    core: Reaching, key: str, destination: str, report: Report, *, keep_on_failure: bool
) -> Posted:
    """Post a claimed report; on failure release the claim unless told to keep it."""
    try:
        adapter = core.adapters.for_ref(destination)
        if kind_of(destination) is RefKind.PERSON:  # digest_to / review.to may name a person
            await adapter.post_to_person(destination, report)
        else:
            await adapter.post_to_channel(destination, report)
    except (NoAdapterError, SendError) as exc:
        reason = exc.reason if isinstance(exc, SendError) else str(exc)
        permanent = isinstance(exc, PermanentSendError)
        if not (keep_on_failure and permanent):
            await asyncio.to_thread(_release, core, key)
        log.warning("post %s to %s failed: %s", key.split(":", 1)[0], destination, reason)
        return Posted(destination, False, reason, report)
    return Posted(destination, True, "", report)


def _build(core: Reaching, requests: list[tuple[Workstream, Period]]) -> list[digests.Digest]:
    return digests.build_digests(core, requests)


async def post_digest(core: Reaching, workstream_id: str, *, scheduled: bool = False) -> Posted:
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
        key = f"{digests.digest_key(workstream.id, period)}:{_manual_suffix(core)}"
    if scheduled and key in await asyncio.to_thread(_already_posted, core, [key]):
        return Posted(workstream.digest_to, False, "already posted for this period")
    [built] = await asyncio.to_thread(_build, core, [(workstream, period)])
    return await _post_built(core, key, built, keep_on_failure=scheduled)


async def preview_digest(core: Reaching, workstream_id: str) -> Report:
    """The digest of the period in progress, for the asker's eyes only, with a button that
    posts it: previewing and posting are two steps. Its figures count as shown (the asker saw
    them), so the no-subtraction rule holds between a preview and anything shown later."""
    workstream = core.require_program().workstream(workstream_id)
    if workstream is None:
        raise LookupError(f"no workstream {workstream_id!r}")
    period = digests.current_period(core, workstream)
    [built] = await asyncio.to_thread(_build, core, [(workstream, period)])
    post = Choice(f"/learning-digest {workstream_id}", "Post it to the digest channel")
    return replace(
        built.report,
        title=f"Preview (only you see this): {built.report.title}",
        actions=(*built.report.actions, post),
    )


async def _post_built(
    core: Reaching, key: str, built: digests.Digest, *, keep_on_failure: bool
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


def _due_digests(core: Reaching) -> list[tuple[Workstream, Period, str]]:
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


async def post_due_digests(core: Reaching) -> int:
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


def _build_review(core: Reaching, period: Period) -> Review:
    return review.build_review(core, period)


async def post_review(core: Reaching, *, scheduled: bool = False) -> Posted:
    """Post the program review to ``review.to``: the latest finished review period when
    scheduled (at most once), the last months up to today on demand."""
    program = core.require_program()
    if program.review is None:
        return Posted("", False, "the program has no review block")
    destination = program.review.to
    if scheduled:
        period = review.scheduled_period(core)
        assert period is not None
        key = f"{review.KIND}:{period.start.isoformat()}"
        if key in await asyncio.to_thread(_already_posted, core, [key]):
            return Posted(destination, False, "already posted for this period")
    else:
        period = review.current_period(core)
        key = f"{review.KIND}:{period.start.isoformat()}:{_manual_suffix(core)}"
    built = await asyncio.to_thread(_build_review, core, period)
    summary = {"flags": len(built.flags), "workstreams": len(built.workstreams)}
    claimed = await asyncio.to_thread(
        _claim, core, key, review.KIND, None, period, destination, summary
    )
    if not claimed:
        return Posted(destination, False, "already posted for this period")
    report = review_render.as_report(built)
    return await _deliver(core, key, destination, report, keep_on_failure=scheduled)


def review_html(core: Reaching, period: Period | None = None) -> str:
    """The review as a standalone HTML page (for ``learnpulse review`` and the asker's copy)."""
    built = _build_review(core, period or review.current_period(core))
    return review_render.as_html(built, core.clock.now().strftime("%Y-%m-%d %H:%M UTC"))


async def send_review_file(core: Reaching, person: str) -> bool:
    """Send the review's HTML file privately to ``person``; False if it could not be sent."""
    html = await asyncio.to_thread(review_html, core)
    name = f"learnpulse-review-{core.clock.now():%Y-%m-%d}.html"
    try:
        await core.adapters.for_ref(person).send_file(
            person, name, html.encode("utf-8"), "The program review, for a leadership meeting."
        )
    except (NoAdapterError, SendError) as exc:
        log.warning("review file not sent: %s", exc)
        return False
    return True


async def post_due_reviews(core: Reaching) -> int:
    """Post the review when its time has come (within a week), once per review period."""
    program = core.program
    if program is None or program.review is None or not core.adapters.serves(program.review.to):
        return 0
    period = review.scheduled_period(core)
    if period is None:
        return 0
    due = _local_moment(core, period.end + timedelta(days=1), _hhmm(program.review.at))
    if core.clock.now() - due > REVIEW_GRACE:
        return 0
    result = await post_review(core, scheduled=True)
    return int(result.posted)


async def send_own_data(core: Reaching, person: str) -> str:
    """Send ``person`` their own data as a JSON file; returns the reply for them."""
    document = await asyncio.to_thread(mydata.export_own, core, person)
    content = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    try:
        await core.adapters.for_ref(person).send_file(
            person,
            f"learnpulse-my-data-{core.clock.now():%Y-%m-%d}.json",
            content,
            "Your data in LearnPulse: only you received this file.",
        )
    except (NoAdapterError, SendError) as exc:
        log.warning("own-data export not sent: %s", exc)
        return "Sorry, the file could not be sent just now; please try again later."
    note = f" {mydata.ANONYMOUS_NOTE}" if "note" in document else ""
    return "I sent you a JSON file with your data." + note


def _due_trend_people(core: Reaching, month: Period) -> list[tuple[str, str]]:
    """People on platforms without an App Home who have not had this month's trend yet,
    with the key that claims it."""
    with core.reading() as session:
        refs = session.exec(
            select(PersonRecord.ref).where(PersonRecord.active, col(PersonRecord.is_bot).is_(False))
        ).all()
        done = set(
            session.exec(
                select(PostedDigest.key).where(
                    PostedDigest.kind == TREND, PostedDigest.period_start == month.start
                )
            ).all()
        )
    month_id = f"{month.start:%Y-%m}"
    due = [
        (ref, f"{mydata.trend_key_prefix(core, ref)}{month_id}")
        for ref in refs
        if platform_of(ref) not in HOME_PLATFORMS and core.adapters.serves(ref)
    ]
    return [(ref, key) for ref, key in due if key not in done]


async def post_due_trends(core: Reaching) -> int:
    """Once a month (from the 1st, after ``TREND_AT`` program time), each person on a platform
    without an App Home gets their own trend privately. Confidential mode only.

    A person is claimed for the month before their trend is built, so someone with nothing to
    show is looked at once a month, not on every tick."""
    program = core.program
    if program is None or program.anonymity.mode == "anonymous":
        return 0
    local_now = core.clock.now().astimezone(program.zone)
    if local_now.time() < TREND_AT:
        return 0
    month = Period(local_now.date().replace(day=1), local_now.date())
    people = await asyncio.to_thread(_due_trend_people, core, month)
    sent = 0
    for person, key in people:
        if not await asyncio.to_thread(_claim, core, key, TREND, None, month, "private", {}):
            continue
        report = await asyncio.to_thread(trend.own_trend_report, core, person)
        if not any(s.fields for s in report.sections):
            continue  # nothing answered yet: no message this month
        try:
            await core.adapters.for_ref(person).post_to_person(person, report)
        except (NoAdapterError, SendError) as exc:
            if not isinstance(exc, PermanentSendError):
                await asyncio.to_thread(_release, core, key)
            log.warning("monthly trend not sent: %s", exc)
            continue
        sent += 1
    return sent
