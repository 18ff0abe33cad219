"""End to end over real HTTP: the server, the fake Slack Web API, signed real-shaped payloads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from adapters.slack import SLACK_APP_KEY, actions
from bot.app import LearnPulse
from bot.events import Event
from bot.messages import Report
from bot.server import build_web_app
from storage.tables import Answer, Delivery, DeliveryStatus, PersonRecord
from surveys.occurrences import open_now
from surveys.sender import Sender
from tests.adapters.slack.conftest import ADMIN, OUTSIDER, PILOT, SlackServer
from tests.adapters.slack.fake_slack import BOT_ID, BOT_USER, FakeSlack
from tests.adapters.slack.payloads import (
    block_actions,
    event_callback,
    home_click,
    slash_command,
    view_submission,
)
from tests.support import serving

QUESTION = "lms-find-what-i-need"


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until ``check()`` is truthy (work continues after the ack)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def deliver(server: SlackServer, question: str = QUESTION) -> None:
    """Open a question of the LMS workstream now and send it to the pilot."""
    await open_now(server.core, "lms", question, actor="test")
    report = await Sender(server.core).send_due()
    assert report.sent == len(PILOT), report


def answers(server: SlackServer, question: str = QUESTION) -> list[Answer]:
    with server.core.session() as session:
        return list(session.exec(select(Answer).where(Answer.question_id == question)).all())


def delivery_of(server: SlackServer, user: str) -> Delivery:
    with server.core.session() as session:
        person = session.exec(select(PersonRecord).where(PersonRecord.ref == f"slack:{user}")).one()
        return session.exec(select(Delivery).where(Delivery.person_id == person.id)).one()


async def test_a_prompt_goes_out_as_a_dm_and_one_click_stores_the_answer(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server)
    user = PILOT[0]
    [prompt] = fake_slack.prompts_for(user)
    delivery = delivery_of(slack_server, user)
    assert prompt["metadata"] == {
        "event_type": "learnpulse_prompt",
        "event_payload": {"delivery_id": delivery.id},
    }
    assert delivery.status == DeliveryStatus.SENT
    assert (delivery.conversation, delivery.message_id) == (fake_slack.dms[user], prompt["ts"])

    dm = fake_slack.dms[user]
    click = block_actions(
        user, dm, prompt, actions.ANSWER, "4", fake_slack.hook_url(dm, prompt["ts"])
    )
    status, _ = await slack_server.interact(click)
    assert status == 200

    [stored] = await eventually(lambda: answers(slack_server))
    assert (stored.value, stored.score) == ("4", 4.0)
    assert stored.respondent_key and user not in stored.respondent_key
    # The message is replaced through the click's response_url, not the rate-tiered chat.update,
    # and keeps the metadata that finds it again.
    [replacement] = await eventually(lambda: fake_slack.replaced)
    assert replacement["replace_original"] is True
    assert fake_slack.calls_to("chat.update", status=None) == []
    recorded = [b for b in prompt["blocks"] if b["type"] == "context"]
    assert any("Recorded" in e["text"] for b in recorded for e in b["elements"])
    assert prompt["metadata"]["event_payload"] == {"delivery_id": delivery.id}
    assert delivery_of(slack_server, user).status == DeliveryStatus.ANSWERED


async def test_a_click_whose_response_url_is_used_up_updates_with_chat_update(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server)
    user = PILOT[4]
    [prompt] = fake_slack.prompts_for(user)
    dm = fake_slack.dms[user]
    hook = fake_slack.hook_url(dm, prompt["ts"])
    async with aiohttp.ClientSession() as session:
        for _ in range(5):  # Slack allows five uses of one response_url
            async with session.post(hook, json={"text": "earlier reply"}) as response:
                assert response.status == 200
    click = block_actions(user, dm, prompt, actions.ANSWER, "2", hook)
    assert (await slack_server.interact(click))[0] == 200

    [update] = await eventually(lambda: fake_slack.calls_to("chat.update"))
    assert (update.params["channel"], update.params["ts"]) == (dm, prompt["ts"])
    assert fake_slack.replaced == []
    assert "Recorded" in str(prompt["blocks"])


async def test_a_double_click_and_a_changed_answer_keep_one_answer(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server)
    user = PILOT[1]
    [prompt] = fake_slack.prompts_for(user)
    dm = fake_slack.dms[user]
    ts = prompt["ts"]
    first = block_actions(user, dm, dict(prompt), actions.ANSWER, "5", fake_slack.hook_url(dm, ts))
    again = block_actions(user, dm, dict(prompt), actions.ANSWER, "5", fake_slack.hook_url(dm, ts))
    statuses = await asyncio.gather(slack_server.interact(first), slack_server.interact(again))
    assert [s for s, _ in statuses] == [200, 200]
    await eventually(lambda: answers(slack_server))
    # both clicks were handled (each re-renders the message) before the answer is changed
    await eventually(lambda: len(fake_slack.replaced) == 2)

    change = block_actions(user, dm, prompt, actions.CHANGE, "2", fake_slack.hook_url(dm, ts))
    assert (await slack_server.interact(change))[0] == 200
    await eventually(lambda: [a.value for a in answers(slack_server)] == ["2"])
    assert len(answers(slack_server)) == 1


async def test_add_a_comment_opens_a_modal_and_the_submission_is_stored(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    await deliver(slack_server)
    user = PILOT[2]
    [prompt] = fake_slack.prompts_for(user)
    dm = fake_slack.dms[user]
    # Without a response_url (none came with the click) the message is updated with chat.update.
    await slack_server.interact(block_actions(user, dm, prompt, actions.ANSWER, "3"))
    await eventually(lambda: answers(slack_server))
    await eventually(lambda: fake_slack.calls_to("chat.update"))

    comment = block_actions(user, dm, prompt, actions.COMMENT)
    assert (await slack_server.interact(comment))[0] == 200
    [opened] = await eventually(lambda: fake_slack.views)
    assert opened["trigger_id"] == comment["trigger_id"]
    assert opened["view"]["callback_id"] == actions.COMMENT_MODAL
    assert "learning platform" in opened["view"]["blocks"][0]["text"]["text"]

    submitted = view_submission(user, opened["view"], "Search could find course titles better.")
    status, body = await slack_server.interact(submitted)
    assert (status, body) == (200, "")  # an empty 200 closes the modal
    [stored] = await eventually(lambda: [a for a in answers(slack_server) if a.comment])
    assert stored.comment != "Search could find course titles better."  # encrypted at rest
    assert (
        slack_server.core.vault.decrypt(stored.comment) == "Search could find course titles better."
    )


async def test_a_command_mentioning_payload_reaches_its_handler(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    # An interaction is a form with a ``payload`` field; a command whose text (or channel name)
    # merely contains the word is still a command.
    hook = fake_slack.hook_url()
    body = slash_command("learning-help", OUTSIDER, "payload", "C0ALLHANDS", hook)
    assert "payload" in body.replace("response_url", "")
    status, _ = await slack_server.command(body)
    assert status == 200
    [reply] = await eventually(lambda: fake_slack.responses)
    assert reply["blocks"][0]["type"] == "header"


async def test_slash_commands_reply_ephemerally_with_role_checks(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    hook = fake_slack.hook_url()
    status, body = await slack_server.command(
        slash_command("learning-help", OUTSIDER, "", "C0ALLHANDS", hook)
    )
    assert (status, body) == (200, "")
    [help_reply] = await eventually(lambda: fake_slack.responses)
    assert help_reply["response_type"] == "ephemeral"
    assert help_reply["replace_original"] is False
    assert help_reply["blocks"][0]["type"] == "header"

    refused_hook = fake_slack.hook_url()
    await slack_server.command(
        slash_command("learning-status", OUTSIDER, "", "C0ALLHANDS", refused_hook)
    )
    refused = await eventually(lambda: fake_slack.responses[1:])
    assert "not allowed" in refused[0]["text"]

    await slack_server.command(slash_command("learning-status", ADMIN, "", "C0ALLHANDS", hook))
    replies = await eventually(lambda: fake_slack.responses[2:])
    assert replies[0]["response_type"] == "ephemeral"
    assert "not allowed" not in replies[0]["text"]


async def test_app_home_shows_the_persons_view_and_its_snooze_buttons_work(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    user = PILOT[3]
    opened = event_callback(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    )
    assert (await slack_server.event(opened))[0] == 200
    [published] = await eventually(
        lambda: [v for v in fake_slack.views if v["method"] == "views.publish"]
    )
    assert published["user_id"] == user
    assert published["view"]["type"] == "home"
    assert len(published["view"]["blocks"]) <= 100

    pause = home_click(user, published["view"], actions.REPORT, "snooze:7")
    assert (await slack_server.interact(pause))[0] == 200

    def snoozed() -> bool:
        with slack_server.core.session() as session:
            person = session.exec(
                select(PersonRecord).where(PersonRecord.ref == f"slack:{user}")
            ).one()
            return person.snoozed_until is not None

    await eventually(snoozed)
    republished = await eventually(
        lambda: [v for v in fake_slack.views if v["method"] == "views.publish"][1:]
    )
    values = [
        e["value"]
        for b in republished[0]["view"]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert "resume" in values


def events_dealt_with(server: SlackServer) -> dict[str, int]:
    """Events API deliveries the adapter has finished with, by outcome, as ``/metrics`` counts
    them: the observable end of work that goes on after the ack."""
    counted = server.core.metrics.registry.get_sample_value
    return {
        outcome: int(
            counted("learnpulse_platform_events_total", {"platform": "slack", "outcome": outcome})
            or 0
        )
        for outcome in ("handled", "retry", "ignored")
    }


RETRY_HEADERS = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def test_first_contact_welcomes_once_and_retried_events_are_handled_once(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    user = OUTSIDER
    hello = event_callback(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0OUTSIDE1",
            "user": user,
            "text": "hi",
            "ts": "1.2",
        },
        event_id="Ev0RETRIED1",
    )
    assert (await slack_server.event(hello))[0] == 200
    assert (await slack_server.event(hello, RETRY_HEADERS))[0] == 200
    await eventually(lambda: sum(events_dealt_with(slack_server).values()) == 2)
    # Opening the App Home publishes it every time: a retry handled again would publish twice.
    opened = event_callback(
        {"type": "app_home_opened", "user": user, "channel": "D0OUTSIDE1", "tab": "home"},
        event_id="Ev0RETRIED2",
    )
    assert (await slack_server.event(opened))[0] == 200
    assert (await slack_server.event(opened, RETRY_HEADERS))[0] == 200
    await eventually(lambda: sum(events_dealt_with(slack_server).values()) == 4)
    joined = event_callback(
        {
            "type": "member_joined_channel",
            "user": user,
            "channel": "C0ALLHANDS",
            "channel_type": "C",
            "team": "T0NORTHWND",
        }
    )
    assert (await slack_server.event(joined))[0] == 200
    await eventually(lambda: sum(events_dealt_with(slack_server).values()) == 5)

    published = [v for v in fake_slack.views if v["method"] == "views.publish"]
    assert [v["user_id"] for v in published] == [user]
    assert events_dealt_with(slack_server) == {"handled": 3, "retry": 2, "ignored": 0}
    welcomes = fake_slack.messages[fake_slack.dms[user]]
    assert len(welcomes) == 1
    with slack_server.core.session() as session:
        person = session.exec(select(PersonRecord).where(PersonRecord.ref == f"slack:{user}")).one()
        assert person.timezone == "America/New_York"
        assert person.welcomed_at is not None


async def test_the_bots_own_messages_are_ignored(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    own = event_callback(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0OUTSIDE1",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": "prompt",
            "ts": "1.3",
        }
    )
    assert (await slack_server.event(own))[0] == 200
    # A person's message after it: once that one is dealt with, so is the bot's own.
    hello = event_callback(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0OUTSIDE1",
            "user": OUTSIDER,
            "text": "hi",
            "ts": "1.4",
        }
    )
    assert (await slack_server.event(hello))[0] == 200
    await eventually(lambda: events_dealt_with(slack_server)["handled"] >= 1)
    with slack_server.core.session() as session:
        refs = session.exec(select(PersonRecord.ref)).all()
    assert refs == [f"slack:{OUTSIDER}"]
    [welcome] = fake_slack.calls_to("chat.postMessage")
    assert welcome.params["channel"] in (OUTSIDER, fake_slack.dms.get(OUTSIDER))
    assert events_dealt_with(slack_server)["handled"] == 1


async def test_every_request_is_acknowledged_before_its_slow_work_is_done(
    monkeypatch: pytest.MonkeyPatch, slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    """Slack wants an ack within 3 s whatever the store does, so no ack waits for the work: the
    work is held here until every ack is in (an ack that waited for it would never come; the
    guard below only turns that hang into a failure). Ack latency under load is measured by
    ``bench.slack_clicks``, not here."""
    await deliver(slack_server)
    core = slack_server.core
    original = core.dispatch
    release = asyncio.Event()
    started: list[str] = []

    async def held_dispatch(event: Event) -> Report | None:
        started.append(type(event).__name__)
        await release.wait()
        return await original(event)

    monkeypatch.setattr(core, "dispatch", held_dispatch)
    user = PILOT[4]
    [prompt] = fake_slack.prompts_for(user)
    click = block_actions(
        user, fake_slack.dms[user], prompt, actions.ANSWER, "4", fake_slack.hook_url()
    )
    command = slash_command("learning-help", user, "", "C0ALLHANDS", fake_slack.hook_url())
    home = event_callback(
        {"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"}
    )
    acks = asyncio.gather(
        slack_server.interact(click), slack_server.command(command), slack_server.event(home)
    )
    results = await asyncio.wait_for(acks, timeout=30)
    assert [status for status, _ in results] == [200, 200, 200]
    # all three are at work, none has finished: the acks came first
    await eventually(lambda: sorted(started) == ["AnswerGiven", "CommandIssued", "PersonSeen"])
    assert answers(slack_server) == [] and fake_slack.responses == []
    assert events_dealt_with(slack_server)["handled"] == 0
    release.set()
    [stored] = await eventually(lambda: answers(slack_server))
    assert stored.value == "4"
    await eventually(lambda: fake_slack.responses)  # the help reply
    await eventually(lambda: events_dealt_with(slack_server)["handled"] == 1)  # home published


async def test_a_click_acknowledged_just_before_shutdown_is_still_stored(
    monkeypatch: pytest.MonkeyPatch, slack_core: LearnPulse, fake_slack: FakeSlack
) -> None:
    web_app = build_web_app(slack_core)
    slack_core.enable_platform_adapters(web_app)
    slack_app = web_app[SLACK_APP_KEY]
    async with serving(web_app) as url, aiohttp.ClientSession() as session:
        server = SlackServer(url, slack_core, slack_app, slack_app.adapter, session)
        await deliver(server)
        original = slack_core.dispatch

        async def slow_dispatch(event: Event) -> Report | None:
            await asyncio.sleep(0.5)
            return await original(event)

        monkeypatch.setattr(slack_core, "dispatch", slow_dispatch)
        user = PILOT[3]
        [prompt] = fake_slack.prompts_for(user)
        dm = fake_slack.dms[user]
        click = block_actions(
            user, dm, prompt, actions.ANSWER, "5", fake_slack.hook_url(dm, prompt["ts"])
        )
        assert (await server.interact(click))[0] == 200
        assert answers(server) == []  # acknowledged, not yet stored: now the server stops
    [stored] = answers(server)
    assert stored.value == "5"
    assert len(fake_slack.replaced) == 1  # re-rendered before the connection pool closed
