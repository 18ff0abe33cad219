"""Posting digests and reviews through an adapter: on schedule once per period, on demand."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.reporting import post_digest, post_due_digests, post_due_reviews, post_review
from storage.db import make_engine
from storage.tables import PostedDigest
from tests.bot.test_report_support import answers, permanent_failure, recording, text_of

KEY = "respect-treated-with-respect"
FRIDAY_AFTER_DIGEST = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)  # 16:30 in New York


def _posted(core: LearnPulse) -> list[PostedDigest]:
    with core.session() as session:
        return list(session.exec(select(PostedDigest)).all())


async def test_due_digests_are_posted_once_per_period(core: LearnPulse, clock: ManualClock) -> None:
    adapter = recording(core)
    clock.set(FRIDAY_AFTER_DIGEST)
    answers(core, "respect", KEY, date(2026, 11, 23), ["4"] * 5)
    first = await post_due_digests(core)
    slack_workstreams = [
        w for w in core.require_program().workstreams if w.digest_to.startswith("slack:")
    ]
    weekly_due = [w for w in slack_workstreams if w.digest.cadence == "weekly"]
    assert first == len(weekly_due) > 0
    assert await post_due_digests(core) == 0  # the same tick again: nothing new
    channels = [channel for channel, _ in adapter.channel_posts]
    assert "slack:channel:C0RESPECT1" in channels
    assert len(channels) == len(set(channels))
    report = dict(adapter.channel_posts)["slack:channel:C0RESPECT1"]
    assert "4.0 / 5" in text_of(report)
    assert report.image_png is not None and report.image_png.startswith(b"\x89PNG")
    keys = {p.key for p in _posted(core)}
    assert "digest:respect:2026-11-21" in keys


@pytest.fixture
def second_replica(core: LearnPulse, database_url: str, clock: ManualClock) -> Iterator[LearnPulse]:
    """Another core on the same database through an engine (a connection pool) of its own, as
    a second replica behind the load balancer has."""
    engine = make_engine(database_url)
    replica = LearnPulse(core.settings, clock=clock, engine=engine, migrate=False)
    replica.load_program()
    yield replica
    engine.dispose()


def _held_after_the_check(engines: list[Engine], timeout: float = 20.0) -> threading.Barrier:
    """Each engine's first look at ``posted_digest`` waits until every engine has looked: all
    replicas have then seen the period as not posted and go on to claim it at the same moment."""
    barrier = threading.Barrier(len(engines), timeout=timeout)
    for engine in engines:
        looked = threading.Event()

        def wait_for_the_others(
            _conn: Any, _cursor: Any, statement: str, *_: Any, looked: threading.Event = looked
        ) -> None:
            if looked.is_set() or "posted_digest" not in statement:
                return
            if statement.lstrip().upper().startswith("SELECT"):
                looked.set()
                barrier.wait()

        event.listen(engine, "after_cursor_execute", wait_for_the_others)
    return barrier


async def test_two_replicas_due_at_the_same_moment_post_each_digest_once(
    core: LearnPulse, second_replica: LearnPulse, clock: ManualClock
) -> None:
    first, second = recording(core), recording(second_replica)
    clock.set(FRIDAY_AFTER_DIGEST)
    answers(core, "respect", KEY, date(2026, 11, 23), ["4"] * 5)
    barrier = _held_after_the_check([core.engine, second_replica.engine])
    counts = await asyncio.gather(post_due_digests(core), post_due_digests(second_replica))
    assert not barrier.broken  # both replicas found every digest due before either claimed one
    weekly_due = [
        w
        for w in core.require_program().workstreams
        if w.digest_to.startswith("slack:") and w.digest.cadence == "weekly"
    ]
    channels = [channel for channel, _ in first.channel_posts + second.channel_posts]
    assert sorted(channels) == sorted(w.digest_to for w in weekly_due)  # each exactly once
    assert sum(counts) == len(weekly_due)
    keys = [p.key for p in _posted(core)]
    assert len(keys) == len(set(keys)) == len(weekly_due)


async def test_nothing_is_due_before_the_digest_time_and_a_stale_one_is_skipped(
    core: LearnPulse, clock: ManualClock
) -> None:
    adapter = recording(core)
    clock.set(datetime(2026, 11, 27, 20, 0, tzinfo=UTC))  # 15:00 in New York, before 16:00
    await post_due_digests(core)
    assert "slack:channel:C0RESPECT1" not in dict(adapter.channel_posts)
    clock.set(FRIDAY_AFTER_DIGEST + timedelta(days=2))  # the bot was down all weekend
    assert await post_due_digests(core) == 0


async def test_a_transient_failure_is_retried_a_permanent_one_is_not(
    core: LearnPulse, clock: ManualClock
) -> None:
    from bot.ports import TransientSendError

    adapter = recording(core)
    clock.set(FRIDAY_AFTER_DIGEST)
    adapter.fail_with = TransientSendError("rate limited", retry_after=1)
    assert await post_due_digests(core) == 0
    assert _posted(core) == []  # claims released
    adapter.fail_with = None
    assert await post_due_digests(core) > 0
    adapter.fail_with = permanent_failure()
    clock.advance(timedelta(days=7))
    assert await post_due_digests(core) == 0
    count = len(_posted(core))
    assert await post_due_digests(core) == 0
    assert len(_posted(core)) == count  # kept: not hammered every tick


async def test_on_demand_digests_are_recorded_and_guard_later_ones(core: LearnPulse) -> None:
    adapter = recording(core)
    answers(core, "respect", KEY, date(2026, 11, 30), ["5"] * 5)
    first = await post_digest(core, "respect")
    assert first.posted
    assert "5.0 / 5" in text_of(adapter.channel_posts[-1][1])
    answers(core, "respect", KEY, date(2026, 11, 30), ["1"])  # one more person answers
    second = await post_digest(core, "respect")
    assert second.posted
    later = text_of(adapter.channel_posts[-1][1])
    assert "Not enough new responses since this period's figure was last shown" in later
    assert "4.3 / 5" not in later  # the one new answer cannot be worked out
    answers(core, "respect", KEY, date(2026, 11, 30), ["1"] * 4)
    await post_digest(core, "respect")
    assert "3.0 / 5" in text_of(adapter.channel_posts[-1][1])


async def test_the_review_is_posted_to_review_to(core: LearnPulse, clock: ManualClock) -> None:
    adapter = recording(core)
    answers(core, "respect", KEY, date(2026, 10, 14), ["2"] * 5)
    posted = await post_review(core)
    assert posted.posted and posted.destination == "slack:channel:C0REVIEW01"
    text = text_of(adapter.channel_posts[-1][1])
    assert "Program review" in text
    assert "below target" in text
    clock.set(datetime(2027, 1, 1, 15, 30, tzinfo=UTC))  # 10:30 New York, review day
    assert await post_due_reviews(core) == 1
    assert await post_due_reviews(core) == 0
    assert "review:2026-07-01" in {p.key for p in _posted(core)}


async def test_a_digest_to_a_person_goes_to_their_private_chat(core: LearnPulse) -> None:
    adapter = recording(core)
    program = core.require_program()
    workstreams = [
        w.model_copy(update={"digest_to": "slack:U0LEAD0003"}) if w.id == "respect" else w
        for w in program.workstreams
    ]
    core.program = program.model_copy(update={"workstreams": workstreams})
    posted = await post_digest(core, "respect")
    assert posted.posted
    assert [p for p, _ in adapter.person_posts] == ["slack:U0LEAD0003"]
    assert adapter.channel_posts == []


async def test_a_preview_is_private_and_posting_it_is_a_separate_step(core: LearnPulse) -> None:
    from bot.commands import run_command

    adapter = recording(core)
    answers(core, "respect", KEY, date(2026, 11, 30), ["4"] * 5)
    lead = "slack:U0LEAD0003"
    preview = await run_command(core, lead, "learning-digest", "respect preview", None)
    assert preview.title.startswith("Preview (only you see this)")
    assert "4.0 / 5" in text_of(preview)
    assert "(in progress)" in (preview.summary or "")  # a partial period says so
    assert "no comparison while the period is in progress" in text_of(preview)
    assert adapter.channel_posts == []  # nothing reached the channel
    [post] = [a for a in preview.actions if a.value == "/learning-digest respect"]
    reply = await run_command(core, lead, "learning-digest", "respect", None)
    assert "Posted the respect digest" in (reply.summary or "")
    assert len(adapter.channel_posts) == 1
    assert post.label == "Post it to the digest channel"
