"""A prompt's message in Slack as the engine runs it: updated in place with the answer, one
reminder to those who did not answer, closed when the window ends; and what Slack's errors do
to a delivery. The core runs a small program on a moving clock; the real Slack adapter carries
everything to the fake Web API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from adapters.slack import actions
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.events import AnswerGiven
from storage.tables import Answer, Delivery, DeliveryStatus
from tests.adapters.slack.conftest import adapter_for
from tests.adapters.slack.fake_slack import FakeSlack
from tests.support import nodes_where
from tests.surveys.engine_support import program_core, program_text, question

ALICE, BOB = "UALICE001", "UBOB00001"
MONDAY_8AM_NY = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
Message = dict[str, Any]


def _ny(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-11-<day> (or 12-<day-30>) at a New York wall-clock time, as UTC (EST = UTC-5)."""
    return datetime(2026, 11, 30, hour + 5, minute, tzinfo=UTC) + timedelta(days=day - 30)


def _slack_core(
    database_url: str, tmp_path: Path, fake: FakeSlack, text: str, people: list[str]
) -> tuple[LearnPulse, ManualClock]:
    """The program ``text`` (audience: channel C0ALL, here ``people`` in New York) on Monday
    08:00 New York, sending through the real Slack adapter to ``fake``."""
    for user in people:
        fake.add_user(user)
    fake.add_channel("C0ALL", people)
    core, clock = program_core(database_url, tmp_path, text, MONDAY_8AM_NY)
    core.adapters.register(adapter_for(fake.url, clock))
    return core, clock


def _weekly_core(
    database_url: str, tmp_path: Path, fake: FakeSlack, mode: str = "confidential"
) -> tuple[LearnPulse, ManualClock]:
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)], mode=mode)
    return _slack_core(database_url, tmp_path, fake, text, [ALICE, BOB])


def _delivery(message: Message) -> int:
    return int(message["metadata"]["event_payload"]["delivery_id"])


def _texts(message: Message) -> list[str]:
    """Every text of the message's blocks, in order."""
    texts = nodes_where(message["blocks"], lambda n: n.get("type") in ("mrkdwn", "plain_text"))
    return [str(t["text"]) for t in texts]


def _controls(message: Message) -> list[str]:
    """The action ids of every button and menu in the message."""
    return [str(c["action_id"]) for c in nodes_where(message["blocks"], lambda n: "action_id" in n)]


def _recorded(message: Message) -> list[str | None]:
    """Per question of the prompt (each starts with a section), the answer it shows as
    recorded, or None."""
    items: list[str | None] = []
    for block in message["blocks"]:
        if block["type"] == "section":
            items.append(None)
        elif block["type"] == "context" and items:
            text = block["elements"][0]["text"]
            if "Recorded: *" in text:
                items[-1] = text.split("Recorded: *")[1].split("*")[0]
    return items


def _reminders(fake: FakeSlack, user: str) -> int:
    return sum(
        1 for m in fake.prompts_for(user) if any(t.startswith("Reminder · ") for t in _texts(m))
    )


async def test_one_reminder_to_non_responders_then_expiry(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack
) -> None:
    core, clock = _weekly_core(database_url, tmp_path, fake_slack)
    clock.set(_ny(30, 10))
    await core.due_work.run()
    [alice_prompt] = fake_slack.prompts_for(ALICE)
    answer = AnswerGiven(f"slack:{ALICE}", _delivery(alice_prompt), "lms-confidence", "4")
    assert await core.dispatch(answer) is None
    [update] = fake_slack.calls_to("chat.update")  # the same message, updated in place
    assert update.params["ts"] == alice_prompt["ts"]
    assert _recorded(alice_prompt) == ["4 · High"]
    clock.set(_ny(31, 13, 29))  # just before the halfway point (Tue 13:30)
    await core.due_work.run()
    assert _reminders(fake_slack, BOB) == 0
    for moment in (_ny(31, 13, 30), _ny(31, 16), _ny(32, 10)):
        clock.set(moment)
        await core.due_work.run()
    assert _reminders(fake_slack, BOB) == 1 and _reminders(fake_slack, ALICE) == 0
    bob_delivery = _delivery(fake_slack.prompts_for(BOB)[0])
    clock.set(_ny(32, 17))  # Wednesday 17:00: the window closes
    await core.due_work.run()
    with core.session() as session:
        delivery = session.get(Delivery, bob_delivery)
        assert delivery is not None
        closed_ts = delivery.message_id
    [closed] = [m for m in fake_slack.prompts_for(BOB) if m["ts"] == closed_ts]
    assert any("This question has closed" in t for t in _texts(closed))
    assert [c for c in _controls(closed) if c.startswith(actions.ANSWER)] == []
    late = await core.dispatch(AnswerGiven(f"slack:{BOB}", bob_delivery, "lms-confidence", "3"))
    assert late is not None and "closed" in (late.summary or "")
    with core.session() as session:
        assert session.get_one(Delivery, bob_delivery).status == DeliveryStatus.EXPIRED
        assert len(session.exec(select(Answer)).all()) == 1


async def test_permanent_failure_is_recorded_and_transient_is_retried(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack
) -> None:
    core, clock = _weekly_core(database_url, tmp_path, fake_slack)
    await core.due_work.run()  # Monday 08:00: both planned
    fake_slack.users[ALICE]["deleted"] = True  # Alice has left the workspace since
    fake_slack.faults.by_channel[BOB] = [500] * 4  # Slack fails every attempt at Bob's DM
    clock.set(_ny(30, 10))
    report = await core.due_work.run()
    assert report.sent.failed == 1 and report.sent.retried == 1
    with core.session() as session:
        failed = session.exec(
            select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
        ).one()
        assert failed.last_error == "account_inactive" and failed.attempts == 1
    await core.due_work.run()
    assert fake_slack.prompts_for(BOB) == []  # the retry waits for its backoff
    clock.set(_ny(30, 10, 1))
    await core.due_work.run()
    assert len(fake_slack.prompts_for(BOB)) == 1 and fake_slack.prompts_for(ALICE) == []
    counted = core.metrics.registry.get_sample_value
    for outcome, times in (("failed", 1), ("retried", 1), ("sent", 1)):
        labels = {"platform": "slack", "outcome": outcome}
        assert counted("learnpulse_deliveries_total", labels) == times, outcome
    assert counted("learnpulse_send_seconds_count", {"platform": "slack"}) == 3


async def test_anonymous_answers_hold_no_identifier_and_cannot_be_changed(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack
) -> None:
    core, clock = _weekly_core(database_url, tmp_path, fake_slack, mode="anonymous")
    clock.set(_ny(30, 10))
    await core.due_work.run()
    [prompt] = fake_slack.prompts_for(ALICE)
    delivery = _delivery(prompt)
    await core.dispatch(AnswerGiven(f"slack:{ALICE}", delivery, "lms-confidence", "2"))
    again = await core.dispatch(AnswerGiven(f"slack:{ALICE}", delivery, "lms-confidence", "5"))
    assert again is not None and "cannot be changed" in (again.summary or "")
    with core.session() as session:
        rows = session.exec(select(Answer)).all()
        assert [(a.value, a.respondent_key) for a in rows] == [("2", None)]
        assert session.get_one(Delivery, delivery).answered_items == ["lms-confidence"]
    assert _recorded(prompt) == ["Answered"]  # anonymous: not even the value stays in Slack
    assert fake_slack.calls_to("chat.update")  # the message was updated with the answer
    assert not [c for c in _controls(prompt) if c.startswith((actions.CHANGE, actions.ANSWER))]


async def test_self_assessment_bank_is_one_prompt_with_every_item(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack
) -> None:
    text = program_text([question("lms-confidence", "weekly", "mon", "10:00", key=True)]).replace(
        "admins:", 'self_assessment: {cadence: monthly, on: 1, at: "10:00"}\nadmins:'
    )
    core, clock = _slack_core(database_url, tmp_path, fake_slack, text, [ALICE])
    clock.set(_ny(31, 8))  # Tuesday 1 December, 08:00: before the monthly asking
    await core.due_work.run()
    clock.set(_ny(31, 10))
    await core.due_work.run()
    (prompt,) = [m for m in fake_slack.prompts_for(ALICE) if len(_recorded(m)) > 1]
    assert len(_recorded(prompt)) == 18  # one message, every item of the bank
    items = [
        (parsed[1], block["elements"])
        for block in prompt["blocks"]
        if block["type"] == "actions"
        and (parsed := actions.parse_item_block_id(block.get("block_id", ""))) is not None
    ]
    assert len(items) == 18 and all(len(elements) == 5 for _, elements in items)  # 1-5 scales
    assert items[0][1][0]["text"]["text"] == "1 · Strongly disagree"
    first, second = items[0][0], items[1][0]
    person, delivery = f"slack:{ALICE}", _delivery(prompt)
    await core.dispatch(AnswerGiven(person, delivery, first, "2"))
    await core.dispatch(AnswerGiven(person, delivery, second, "5"))
    assert _recorded(prompt)[:3] == ["2 · Disagree", "5 · Strongly agree", None]
    assert any(c.startswith(actions.ANSWER) for c in _controls(prompt))  # items remain open
    with core.session() as session:
        stored = {a.question_id: a.value for a in session.exec(select(Answer)).all()}
    assert stored == {first: "2", second: "5"}
