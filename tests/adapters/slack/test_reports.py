"""Digests, reviews and files as Slack receives them: the core's reporting through the real
Slack adapter to the fake Web API — which channel or DM gets what, once, with its chart, and
what Slack's errors do to the claims."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from adapters.slack import SlackAdapter
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.commands.context import NOT_ALLOWED
from bot.commands.table import run_command
from bot.reporting import post_digest, post_due_digests, post_due_reviews, post_review
from storage.db import make_engine
from storage.tables import PostedDigest
from tests.adapters.slack.conftest import ADMIN, PILOT, adapter_for, slack_over_http
from tests.adapters.slack.fake_slack import FakeSlack
from tests.bot.test_report_support import answers
from tests.factories import build_app

KEY = "respect-treated-with-respect"
FRIDAY_AFTER_DIGEST = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)  # 16:30 in New York
RESPECT_LEAD = "slack:U0LEAD0003"
LAST_WEEK = date(2026, 11, 24)


def _posted(core: LearnPulse) -> list[PostedDigest]:
    with core.session() as session:
        return list(session.exec(select(PostedDigest)).all())


def _weekly_slack_channels(core: LearnPulse) -> list[str]:
    """The Slack channel ids whose workstream's digest is weekly (due on Friday)."""
    return sorted(
        w.digest_to.removeprefix("slack:channel:")
        for w in core.require_program().workstreams
        if w.digest_to.startswith("slack:channel:") and w.digest.cadence == "weekly"
    )


def _posted_to(fake: FakeSlack) -> list[str]:
    """The conversation of every message Slack accepted, in order."""
    return [str(c.params["channel"]) for c in fake.calls_to("chat.postMessage")]


def _shown(message: dict[str, Any]) -> str:
    """What a reader of a Slack message sees: its blocks' text."""
    return json.dumps(message["blocks"], ensure_ascii=False)


def _uploaded_to(fake: FakeSlack, conversation: str) -> list[tuple[str, bytes]]:
    """(title, bytes) of every file shared in ``conversation``."""
    return [
        (f["title"], fake.uploads[f["id"]])
        for shared in fake.files
        if shared["channel_id"] == conversation
        for f in shared["files"]
    ]


async def test_due_digests_are_posted_once_per_period_with_their_chart(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_core
    clock.set(FRIDAY_AFTER_DIGEST)
    answers(core, "respect", KEY, date(2026, 11, 23), ["4"] * 5)
    weekly = _weekly_slack_channels(core)

    first = await post_due_digests(core)

    assert first == len(weekly) > 0
    assert await post_due_digests(core) == 0  # the same tick again: nothing new
    assert sorted(_posted_to(fake_slack)) == weekly  # each digest channel exactly once
    [report] = fake_slack.messages["C0RESPECT1"]
    assert "4.0 / 5" in _shown(report)
    [(title, chart)] = _uploaded_to(fake_slack, "C0RESPECT1")
    assert title == "chart.png" and chart.startswith(b"\x89PNG")
    assert "digest:respect:2026-11-21" in {p.key for p in _posted(core)}


@pytest.fixture
def second_replica(
    slack_core: LearnPulse, database_url: str, clock: ManualClock, fake_slack: FakeSlack
) -> Iterator[LearnPulse]:
    """Another core on the same database through an engine (a connection pool) of its own, as
    a second replica behind the load balancer has, with its own Slack adapter to the same
    workspace."""
    engine = make_engine(database_url)
    yield build_app(
        database_url,
        clock=clock,
        engine=engine,
        adapters=[adapter_for(fake_slack.url, clock)],
        env=slack_over_http(fake_slack),
    )
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
    slack_core: LearnPulse,
    slack_adapter: SlackAdapter,
    second_replica: LearnPulse,
    fake_slack: FakeSlack,
    clock: ManualClock,
) -> None:
    core = slack_core
    clock.set(FRIDAY_AFTER_DIGEST)
    answers(core, "respect", KEY, date(2026, 11, 23), ["4"] * 5)
    barrier = _held_after_the_check([core.engine, second_replica.engine])
    counts = await asyncio.gather(post_due_digests(core), post_due_digests(second_replica))
    assert not barrier.broken  # both replicas found every digest due before either claimed one
    weekly = _weekly_slack_channels(core)
    assert sorted(_posted_to(fake_slack)) == weekly  # each exactly once in the workspace
    assert sum(counts) == len(weekly)
    keys = [p.key for p in _posted(core)]
    assert len(keys) == len(set(keys)) == len(weekly)


async def test_nothing_is_due_before_the_digest_time_and_a_stale_one_is_skipped(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 27, 20, 0, tzinfo=UTC))  # 15:00 in New York, before 16:00
    await post_due_digests(slack_core)
    assert "C0RESPECT1" not in fake_slack.messages
    clock.set(FRIDAY_AFTER_DIGEST + timedelta(days=2))  # the bot was down all weekend
    assert await post_due_digests(slack_core) == 0
    assert fake_slack.calls_to("chat.postMessage", status=None) == []


async def test_a_transient_failure_is_retried_a_permanent_one_is_not(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_core
    clock.set(FRIDAY_AFTER_DIGEST)
    fake_slack.faults.rate_500 = 1.0  # Slack is down: every post answers HTTP 500
    assert await post_due_digests(core) == 0
    assert fake_slack.calls_to("chat.postMessage", status=500)  # it was tried
    assert _posted(core) == []  # claims released
    fake_slack.faults.rate_500 = 0.0
    assert await post_due_digests(core) > 0
    for channel in _weekly_slack_channels(core):  # the channels are gone: channel_not_found
        del fake_slack.channels[channel]
    clock.advance(timedelta(days=7))
    assert await post_due_digests(core) == 0
    count = len(_posted(core))
    calls = len(fake_slack.calls_to("chat.postMessage", status=None))
    assert await post_due_digests(core) == 0
    assert len(_posted(core)) == count  # kept: not hammered every tick
    assert len(fake_slack.calls_to("chat.postMessage", status=None)) == calls


async def test_the_review_is_posted_to_review_to(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_core
    answers(core, "respect", KEY, date(2026, 10, 14), ["2"] * 5)
    posted = await post_review(core)
    assert posted.posted and posted.destination == "slack:channel:C0REVIEW01"
    [review] = fake_slack.messages["C0REVIEW01"]
    assert "Program review" in _shown(review)
    assert "below target" in _shown(review)
    clock.set(datetime(2027, 1, 1, 15, 30, tzinfo=UTC))  # 10:30 New York, review day
    assert await post_due_reviews(core) == 1
    assert await post_due_reviews(core) == 0
    assert len(fake_slack.messages["C0REVIEW01"]) == 2
    assert "review:2026-07-01" in {p.key for p in _posted(core)}


async def test_a_digest_to_a_person_goes_to_their_private_chat(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    core = slack_core
    program = core.require_program()
    workstreams = [
        w.model_copy(update={"digest_to": RESPECT_LEAD}) if w.id == "respect" else w
        for w in program.workstreams
    ]
    core.program = program.model_copy(update={"workstreams": workstreams})
    posted = await post_digest(core, "respect")
    assert posted.posted
    lead_dm = fake_slack.dms[RESPECT_LEAD.removeprefix("slack:")]
    assert list(fake_slack.messages) == [lead_dm]  # no channel got anything
    [digest] = fake_slack.messages[lead_dm]
    assert "Respect" in _shown(digest)


async def test_learning_digest_posts_to_the_digest_channel(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    core = slack_core
    answers(core, "respect", KEY, date(2026, 11, 30), ["4"] * 5)
    reply = await run_command(core, RESPECT_LEAD, "learning-digest", "respect", None)
    assert reply.summary == "Posted the respect digest to slack:channel:C0RESPECT1."
    assert _posted_to(fake_slack) == ["C0RESPECT1"]
    wrong = await run_command(core, RESPECT_LEAD, "learning-digest", "lms", None)
    assert wrong.summary == NOT_ALLOWED
    unknown = await run_command(core, RESPECT_LEAD, "learning-digest", "nope", None)
    assert unknown.summary == "No workstream 'nope'. Yours: respect."
    assert _posted_to(fake_slack) == ["C0RESPECT1"]  # refused commands posted nothing


async def test_learning_review_posts_and_sends_the_html_privately(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    reply = await run_command(slack_core, f"slack:{ADMIN}", "learning-review", "", None)
    assert "Posted the review report to slack:channel:C0REVIEW01" in (reply.summary or "")
    assert len(fake_slack.messages["C0REVIEW01"]) == 1
    [(filename, content)] = _uploaded_to(fake_slack, fake_slack.dms[ADMIN])
    assert filename.endswith(".html")
    assert content.startswith(b"<!doctype html>")


async def test_learning_mydata_export_sends_a_json_file_to_the_persons_dm_only(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    employee = f"slack:{PILOT[0]}"
    answers(slack_core, "respect", KEY, LAST_WEEK, ["4"], people=[employee], comments=["Mine"])
    reply = await run_command(slack_core, employee, "learning-mydata", "export", None)
    assert reply.summary == "I sent you a JSON file with your data."
    [(filename, content)] = _uploaded_to(fake_slack, fake_slack.dms[PILOT[0]])
    assert filename.endswith(".json")
    document = json.loads(content)
    assert [a["answer"] for a in document["answers"]] == ["4"]
    assert document["answers"][0]["comment"] == "Mine"
    assert [shared["channel_id"] for shared in fake_slack.files] == [fake_slack.dms[PILOT[0]]]


async def test_a_preview_is_private_and_posting_it_is_a_separate_step(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    core = slack_core
    answers(core, "respect", KEY, date(2026, 11, 30), ["4"] * 5)
    preview = await run_command(core, RESPECT_LEAD, "learning-digest", "respect preview", None)
    assert preview.title.startswith("Preview (only you see this)")
    shown = "\n".join(
        [preview.summary or "", *(f"{k}: {v}" for s in preview.sections for k, v in s.fields)]
    )
    assert "4.0 / 5" in shown
    assert "(in progress)" in (preview.summary or "")  # a partial period says so
    assert "no comparison while the period is in progress" in shown
    assert fake_slack.calls_to("chat.postMessage") == []  # nothing reached the channel
    [post] = [a for a in preview.actions if a.value == "/learning-digest respect"]
    assert post.label == "Post it to the digest channel"
    reply = await run_command(core, RESPECT_LEAD, "learning-digest", "respect", None)
    assert "Posted the respect digest" in (reply.summary or "")
    assert _posted_to(fake_slack) == ["C0RESPECT1"]
