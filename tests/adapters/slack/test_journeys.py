"""More of what people do in Slack, end to end: text and choice answers, a closed window,
snoozing from a prompt, a crash between posting and recording, files and digests."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from adapters.slack import actions, sdk_logging
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.events import Event
from bot.messages import Report
from storage.tables import Delivery, DeliveryStatus, PersonRecord
from surveys import ledger
from surveys.occurrences import open_now
from surveys.prompts import render_prompt
from surveys.sender import Sender, claim_lease
from tests.adapters.slack.conftest import LEAD, PILOT, SlackServer
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.payloads import block_actions, slash_command, view_submission
from tests.adapters.slack.test_scenarios import answers, deliver, delivery_of, eventually


async def type_an_answer(
    slack_server: SlackServer, fake_slack: FakeSlack, user: str, typed: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``user`` opens the answer box of the one prompt they were sent and submits ``typed``;
    the prompt and the modal that opened."""
    [prompt] = fake_slack.prompts_for(user)
    open_box = block_actions(user, fake_slack.dms[user], prompt, actions.TEXT)
    assert (await slack_server.interact(open_box))[0] == 200
    [opened] = await eventually(lambda: fake_slack.views)
    assert (await slack_server.interact(view_submission(user, opened["view"], typed)))[0] == 200
    return prompt, opened


async def test_a_text_question_is_answered_in_a_modal(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server, "lms-blockers")
    typed = "Too many meetings on Wednesday."
    prompt, opened = await type_an_answer(slack_server, fake_slack, PILOT[0], typed)
    assert opened["view"]["callback_id"] == actions.TEXT_MODAL
    [stored] = await eventually(lambda: answers(slack_server, "lms-blockers"))
    assert stored.value != typed  # encrypted at rest
    assert slack_server.core.vault.decrypt(stored.value) == typed
    await eventually(lambda: fake_slack.calls_to("chat.update"))
    assert "Recorded" in str(prompt["blocks"])


async def test_a_choice_question_is_answered_from_its_menu(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server, "lms-main-use")
    user = PILOT[1]
    [prompt] = fake_slack.prompts_for(user)
    _, menu = next(
        (b["block_id"], e)
        for b in prompt["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == actions.CHOICE
    )
    option = menu["options"][1]["value"]
    pick = block_actions(user, fake_slack.dms[user], prompt, actions.CHOICE, option)
    assert (await slack_server.interact(pick))[0] == 200
    [stored] = await eventually(lambda: answers(slack_server, "lms-main-use"))
    assert stored.value == option


async def test_a_click_after_the_window_closed_is_refused_and_the_message_says_so(
    slack_server: SlackServer, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    await deliver(slack_server)
    user = PILOT[2]
    [prompt] = fake_slack.prompts_for(user)
    clock.advance(timedelta(days=7))
    hook = fake_slack.hook_url(fake_slack.dms[user], prompt["ts"])
    click = block_actions(user, fake_slack.dms[user], dict(prompt), actions.ANSWER, "4", hook)
    assert (await slack_server.interact(click))[0] == 200
    [reply] = await eventually(lambda: fake_slack.responses)
    assert reply["response_type"] == "ephemeral"
    assert "closed" in reply["text"]
    await eventually(lambda: fake_slack.replaced)
    assert not [b for b in prompt["blocks"] if b["type"] == "actions"]
    assert answers(slack_server) == []


async def test_snooze_from_a_prompt_pauses_and_says_until_when(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server)
    user = PILOT[3]
    [prompt] = fake_slack.prompts_for(user)
    hook = fake_slack.hook_url()
    snooze = block_actions(user, fake_slack.dms[user], prompt, actions.SNOOZE, "7", hook)
    assert (await slack_server.interact(snooze))[0] == 200
    [reply] = await eventually(lambda: fake_slack.responses)
    assert "Paused" in reply["text"]
    with slack_server.core.session() as session:
        person = session.exec(select(PersonRecord).where(PersonRecord.ref == f"slack:{user}")).one()
        assert person.snoozed_until is not None


async def test_a_crash_between_posting_and_recording_never_duplicates_the_prompt(
    slack_server: SlackServer, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_server.core
    await open_now(core, "lms", "lms-find-what-i-need", actor="test")
    claimed = await asyncio.to_thread(ledger.claim_due, core.engine, clock.now(), 1)
    [crashed] = claimed
    with core.session() as session:
        delivery = session.get(Delivery, crashed.id)
        assert delivery is not None
        prompt = render_prompt(session, core, delivery)
    await slack_server.adapter.send_prompt(crashed.person, prompt)  # posted; then the "kill"
    clock.advance(claim_lease() + timedelta(seconds=1))

    report = await Sender(core).send_due()
    assert report.reconciled == 1
    user = crashed.person.removeprefix("slack:")
    assert len(fake_slack.prompts_for(user)) == 1
    assert delivery_of(slack_server, user).status == DeliveryStatus.SENT
    assert all(len(fake_slack.prompts_for(u)) == 1 for u in PILOT)


async def test_a_prompt_that_may_have_arrived_is_looked_for_not_resent(
    slack_server: SlackServer, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_server.core
    await open_now(core, "lms", "lms-find-what-i-need", actor="test")
    fake_slack.faults.post_then_fail = 1  # the first prompt is stored, then Slack answers 500
    fake_slack.faults.queued["conversations.history"] = [500] * 4  # and cannot be asked
    first = await Sender(core).send_due()
    assert first.unknown == 1 and first.sent == len(PILOT) - 1
    [person] = _still_claimed(core)
    assert len(fake_slack.prompts_for(person)) == 1

    assert (await Sender(core).send_due()).sent == 0  # within its lease: left alone
    clock.advance(claim_lease() + timedelta(seconds=1))
    later = await Sender(core).send_due()
    assert later.reconciled == 1 and later.sent == 0
    assert all(len(fake_slack.prompts_for(u)) == 1 for u in PILOT)
    assert delivery_of(slack_server, person).status == DeliveryStatus.SENT


def _still_claimed(core: LearnPulse) -> list[str]:
    """The Slack users whose delivery is still claimed, its outcome unknown."""
    with core.session() as session:
        refs = session.exec(
            select(PersonRecord.ref)
            .join(Delivery, col(Delivery.person_id) == col(PersonRecord.id))
            .where(Delivery.status == DeliveryStatus.SENDING)
        ).all()
    return [ref.removeprefix("slack:") for ref in refs]


async def test_the_own_data_export_arrives_as_a_private_file(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    user = PILOT[4]
    hook = fake_slack.hook_url()
    status, _ = await slack_server.command(
        slash_command("learning-mydata", user, "export", "C0ALLHANDS", hook)
    )
    assert status == 200
    [shared] = await eventually(lambda: fake_slack.files)
    assert shared["channel_id"] == fake_slack.dms[user]
    assert shared["files"][0]["title"].endswith(".json")
    [reply] = await eventually(lambda: fake_slack.responses)
    assert reply["response_type"] == "ephemeral"


async def test_a_lead_posts_a_digest_to_the_digest_channel(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    status, _ = await slack_server.command(
        slash_command("learning-digest", LEAD, "lms", "C0LMSLEAD1", fake_slack.hook_url())
    )
    assert status == 200
    [posted] = await eventually(lambda: fake_slack.messages.get("C0LMSLEAD1"))
    assert posted["blocks"][0]["type"] == "header"
    assert len(posted["blocks"]) <= 50
    await eventually(lambda: fake_slack.responses)


async def test_a_failure_after_the_ack_apologises_and_logs_no_answer(
    monkeypatch: pytest.MonkeyPatch,
    slack_server: SlackServer,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await deliver(slack_server)
    user = PILOT[5]
    [prompt] = fake_slack.prompts_for(user)

    async def broken(event: Event) -> Report | None:
        raise RuntimeError(f"INSERT failed [parameters: ({getattr(event, 'value', '')!r})]")

    monkeypatch.setattr(slack_server.core, "dispatch", broken)
    hook = fake_slack.hook_url()
    click = block_actions(user, fake_slack.dms[user], prompt, actions.ANSWER, "2", hook)
    with caplog.at_level(logging.INFO):
        assert (await slack_server.interact(click))[0] == 200
        [reply] = await eventually(lambda: fake_slack.responses)
    assert reply["response_type"] == "ephemeral"
    assert "did not work" in reply["text"]
    assert "handling AnswerGiven failed: RuntimeError" in caplog.text
    assert "parameters" not in caplog.text


@pytest.fixture
def unpinned_library_loggers() -> None:
    """Slack's library loggers as a fresh process has them (an earlier test's server pinned
    them), so the server built next is what pins them again."""
    for name in [*sdk_logging.PACKAGES, *sdk_logging.LEVEL_CHECKED]:
        logging.getLogger(name).setLevel(logging.NOTSET)


async def test_debug_logging_never_records_a_typed_answer_or_a_slack_body(
    unpinned_library_loggers: None,
    slack_server: SlackServer,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the root logger at DEBUG, the Slack libraries still write no body into a record:
    not the prompt posted, not the click, not the comment typed, not the message updated."""
    with caplog.at_level(logging.DEBUG):
        await deliver(slack_server, "lms-blockers")
        user = PILOT[2]
        typed = "My manager never has time for the course."
        await type_an_answer(slack_server, fake_slack, user, typed)
        await eventually(lambda: fake_slack.calls_to("chat.update"))
    assert caplog.records, "the journey logged nothing at all"
    assert typed not in caplog.text
    assert user not in caplog.text
    slack_debug = [
        r for r in caplog.records if r.name.startswith("slack_") and r.levelno < logging.INFO
    ]
    assert slack_debug == []
