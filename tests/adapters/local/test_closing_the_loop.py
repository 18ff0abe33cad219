"""Closing the loop in the playground, over HTTP: a lead plans an action from its form and the
workstream's people read the announcement; a lead replies to a quoted comment and only its
author reads it, answers back, and the lead learns nothing about who they are."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from aiohttp.test_utils import TestClient
from sqlmodel import select

from adapters.local import store
from adapters.local.codec import (
    prompt_from_json,
    prompt_to_json,
    report_from_json,
    report_to_json,
)
from adapters.local.demo import post_last_digests
from adapters.local.seed import seed_history
from adapters.local.seed_loop import AUTHOR_ANSWERS, LEAD_WRITES, seed_conversation
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.messages import Choice, Form, FormField, Prompt, PromptState, Report, Section
from bot.reporting import post_digest
from storage.db import session_scope
from storage.tables import Action, LocalMessage
from surveys.conversations import SENT
from tests.adapters.slack.conftest import PILOT as PILOT_USERS
from tests.bot.test_report_support import answers, person

LMS_PILOT = "slack:U04K7QP2M1"  # in the lms pilot group, New York
LMS_LEAD = "slack:U0LEAD0001"
RESPECT_LEAD = "slack:U0LEAD0003"
ADMIN = "slack:U0ADMIN001"
SEEDED_AUTHOR = "slack:U02MXV5E9R"  # Mateo Eriksen, whom docs/demo.md sends readers to
MONDAY_10_NEW_YORK = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
MONDAY_0955_NEW_YORK = datetime(2026, 11, 30, 14, 55, tzinfo=UTC)  # when the demo starts
KEY = "respect-treated-with-respect"
LAST_WEEK = date(2026, 11, 24)  # inside the period the respect digest reports on Monday
WRITERS = [f"slack:{user}" for user in PILOT_USERS[:5]]
COMMENTS: list[str | None] = [
    "Truly great team, thank you!", "Meetings are fine.", "Fine.", "Okay.",
    "I was talked over again, it is awful.",
]  # fmt: skip


def _reply_token(location: str) -> str:
    match = re.search(r"[?&]reply=([^&#]+)", location)
    assert match is not None, location
    return match.group(1)


async def _post(client: TestClient, path: str, data: dict[str, str], person: str) -> str:
    """Post a playground form as ``person``; the page they are sent back to, private reply
    included."""
    response = await client.post(path, data={"as": person, **data}, allow_redirects=False)
    assert response.status == 303, await response.text()
    location = response.headers["Location"]
    params = {"as": person}
    if "reply=" in location:
        params["reply"] = _reply_token(location)
    return await (await client.get("/", params=params)).text()


def _between(page: str, start: str, end: str) -> str:
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def _messages_of(core: LearnPulse, conversation: str) -> str:
    """Everything stored in a conversation, as one text (every field a reader receives)."""
    return repr([m.body for m in store.history(core.engine, conversation, limit=500)])


def test_forms_section_buttons_and_announcements_survive_storage() -> None:
    form = Form(
        title="Plan an action",
        submit="Record and announce",
        command="learning-action",
        fixed="lms",
        fields=(
            FormField("what", "What we are doing", required=True, placeholder="For example"),
            FormField("question", "Which question", kind="choice", choices=(Choice("q", "Q?"),)),
            FormField("due", "Due date", kind="date"),
        ),
    )
    report = Report(
        title="Digest",
        sections=(
            Section("Comments", ("“Fine.”",), actions=(Choice("/learning-reply t", "Reply"),)),
        ),
        actions=(Choice("/learning-action lms plan", "Plan an action"),),
        form=form,
    )
    assert report_from_json(report_to_json(report)) == report
    announcement = Prompt(
        delivery_id=7, workstream="LMS", title="You said, we did", items=(), privacy_note="",
        closes="", state=PromptState.CLOSED, can_change=False, lines=("Done: office hours",),
    )  # fmt: skip
    assert prompt_from_json(prompt_to_json(announcement)) == announcement


async def test_a_lead_plans_an_action_from_the_form_and_the_pilot_reads_the_announcement(
    client: TestClient, core: LearnPulse, clock: ManualClock
) -> None:
    clock.set(MONDAY_10_NEW_YORK)  # inside New York's working hours: announcements go out
    page = await _post(client, "/play/action", {"value": "/learning-action lms plan"}, LMS_LEAD)
    asked = _between(page, 'data-testid="form"', "</form>")
    assert 'name="command" value="learning-action"' in asked
    assert 'name="fixed" value="lms"' in asked
    assert re.search(r'<textarea[^>]*name="field\.what"[^>]*required', asked)
    assert re.search(r'<input[^>]*type="date"[^>]*name="field\.due"', asked)
    select_menu = _between(asked, 'name="field.question"', "</select>")
    assert " selected" not in select_menu.split("</option>", 1)[1]  # no question chosen for you
    assert 'value="lms-find-what-i-need"' in select_menu

    page = await _post(
        client,
        "/play/form",
        {
            "command": "learning-action",
            "fixed": "lms",
            "field.what": "Weekly LMS office hours, Thursdays 14:00",
            "field.question": "lms-find-what-i-need",
            "field.due": "2026-12-18",
        },
        LMS_LEAD,
    )
    reply = _between(page, 'data-testid="reply"', 'id="chat"')
    assert "Recorded action #1 for Learning Management System rollout" in html.unescape(reply)
    with session_scope(core.engine) as session:
        [action] = session.exec(select(Action)).all()
        assert (action.text, action.question_id, action.due_on) == (
            "Weekly LMS office hours, Thursdays 14:00",
            "lms-find-what-i-need",
            date(2026, 12, 18),
        )

    pilot_page = await (await client.get("/", params={"as": LMS_PILOT})).text()
    card = _between(pilot_page, 'data-testid="announcement"', "</article>")
    assert "You said, we did" in card
    assert "What we are doing: Weekly LMS office hours, Thursdays 14:00 (by Fri 18 Dec)" in card
    assert "<button" not in card and "<form" not in card  # read, not answered


async def test_a_form_without_a_command_is_refused_and_changes_nothing(
    client: TestClient, core: LearnPulse
) -> None:
    response = await client.post(
        "/play/form", data={"as": LMS_LEAD, "command": "", "field.what": "x"}
    )
    assert response.status == 400
    cross_site = await client.post(
        "/play/form",
        data={"as": LMS_LEAD, "command": "learning-action", "fixed": "lms", "field.what": "x"},
        headers={"Origin": "http://evil.example"},
    )
    assert cross_site.status == 403
    with session_scope(core.engine) as session:
        assert session.exec(select(Action)).all() == []


async def test_a_lead_replies_to_a_comment_and_only_its_author_reads_it(
    client: TestClient, core: LearnPulse
) -> None:
    _respect_commented(core)
    await post_digest(core, "respect", scheduled=True)
    lead_page = await (await client.get("/", params={"as": RESPECT_LEAD})).text()
    channel = lead_page[lead_page.index('data-testid="channel"') :]
    section_buttons = _between(channel, 'data-testid="section-actions"', "</form>")
    buttons = re.findall(
        r'<button name="value" value="(/learning-reply [^"]+)">([^<]+)</button>', section_buttons
    )
    assert buttons, "each quoted comment carries a Reply button"
    [negative] = [value for value, label in buttons if "negative" in label]

    page = await _post(client, "/play/action", {"value": negative}, RESPECT_LEAD)
    asked = _between(page, 'data-testid="form"', "</form>")
    assert 'name="command" value="learning-reply"' in asked
    assert 'name="typed" value="text"' in asked
    token = negative.split()[1]
    page = await _post(
        client,
        "/play/form",
        {"command": "learning-reply", "fixed": token, "field.text": "What would help?"},
        RESPECT_LEAD,
    )
    assert SENT in html.unescape(page)

    author = WRITERS[4]
    author_page = await (await client.get("/", params={"as": author})).text()
    received = _between(author_page, 'id="chat"', 'action="/play/home"')
    assert "What would help?" in received and "replied to your comment" in received
    assert f'value="/learning-reply {token}">Reply</button>' in received  # to answer back
    with session_scope(core.engine) as session:
        stored = session.exec(select(LocalMessage)).all()
    holders = {m.conversation for m in stored if "What would help?" in repr(m.body)}
    assert holders == {store.dm(author)}

    page = await _post(
        client,
        "/play/form",
        {"command": "learning-reply", "fixed": token, "field.text": "Let people finish."},
        author,
    )
    assert SENT in html.unescape(page)
    # Too soon for the lead to write again: refused, and the words are still there to resend.
    page = await _post(
        client,
        "/play/form",
        {"command": "learning-reply", "fixed": token, "field.text": "One more thing.",
         "typed": "text"},
        RESPECT_LEAD,
    )  # fmt: skip
    refused = html.unescape(_between(page, 'data-testid="reply"', 'id="chat"'))
    assert "You can write on this conversation again from" in refused
    assert "What you typed" in refused and "One more thing." in refused
    assert "One more thing." not in _messages_of(core, store.dm(author))
    lead_received = _messages_of(core, store.dm(RESPECT_LEAD))
    assert "Let people finish." in lead_received
    key = core.vault.respondent_key(author)
    for trace in (author, author.removeprefix("slack:"), key):
        assert trace not in lead_received
        assert trace not in _messages_of(core, "slack:channel:C0RESPECT1")


async def test_the_seeded_history_shows_actions_and_a_conversation_in_digest_and_review(
    client: TestClient, core: LearnPulse, clock: ManualClock
) -> None:
    clock.set(MONDAY_0955_NEW_YORK)
    report = await seed_history(core)
    assert report.actions == 3
    await post_last_digests(core)
    assert await seed_conversation(core)

    lead_page = html.unescape(await (await client.get("/", params={"as": LMS_LEAD})).text())
    digest = _between(lead_page, 'data-testid="channel"', "</aside>")
    actions_shown = _between(digest, "<h4>Actions on this feedback</h4>", "</section>")
    assert "(in progress, due" in actions_shown and "(planned, due" in actions_shown
    assert re.search(r"Weekly LMS office hours.*before: \d\.\d.*since: \d\.\d", actions_shown)
    assert "Reply</button>" in digest or "Reply to the" in digest
    lead_chat = _between(lead_page, 'id="chat"', 'action="/play/home"')
    assert AUTHOR_ANSWERS in lead_chat

    with session_scope(core.engine) as session:
        stored = session.exec(select(LocalMessage)).all()
    told = {m.conversation for m in stored if LEAD_WRITES in repr(m.body)}
    assert len(told) == 1  # the comment's author, and nobody else
    [author_chat] = told
    author = author_chat.removeprefix(store.DM_PREFIX)
    assert author == SEEDED_AUTHOR
    for trace in (author, author.split(":")[-1], core.vault.respondent_key(author)):
        assert trace not in _messages_of(core, store.dm(LMS_LEAD))

    await _post(client, "/play/command", {"text": "/learning-review"}, ADMIN)
    admin_page = html.unescape(await (await client.get("/", params={"as": ADMIN})).text())
    review = _between(admin_page, 'class="channel wide"', '<div class="columns')
    assert "Two-minute how-to videos for the five most used courses" in review
    assert re.search(r"Weekly LMS office hours[^<]*before[^<]*since", review)


def _respect_commented(core: LearnPulse) -> None:
    for writer in WRITERS:
        person(core, writer)
    answers(core, "respect", KEY, LAST_WEEK, ["4"] * 5, comments=COMMENTS,
            sentiments=[0.8, 0.05, 0.0, 0.0, -0.8], people=WRITERS)  # fmt: skip


async def test_in_anonymous_mode_the_digest_offers_no_reply_and_says_why(
    client: TestClient, core: LearnPulse
) -> None:
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})
    _respect_commented(core)
    await post_digest(core, "respect", scheduled=True)
    lead_page = await (await client.get("/", params={"as": RESPECT_LEAD})).text()
    channel = html.unescape(lead_page[lead_page.index('data-testid="channel"') :])
    assert "“I was talked over again, it is awful.”" in channel  # the comments are quoted
    assert "/learning-reply" not in channel and 'data-testid="section-actions"' not in channel
    assert "in anonymous mode nothing links a comment" in channel


async def test_replies_off_from_the_command_box_is_honoured_and_the_lead_cannot_tell(
    client: TestClient, core: LearnPulse
) -> None:
    _respect_commented(core)
    await post_digest(core, "respect", scheduled=True)
    lead_page = await (await client.get("/", params={"as": RESPECT_LEAD})).text()
    positive = _found_reply(lead_page, "positive")
    author = WRITERS[0]
    page = await _post(client, "/play/command", {"text": "/learning-mydata replies off"}, author)
    assert "Replies are off" in html.unescape(page)
    page = await _post(
        client,
        "/play/form",
        {"command": "learning-reply", "fixed": positive, "field.text": "Thanks a lot!"},
        RESPECT_LEAD,
    )
    assert SENT in html.unescape(page)  # the same answer as when it is delivered
    assert "Thanks a lot!" not in _messages_of(core, store.dm(author))


def _found_reply(page: str, tone: str) -> str:
    """The conversation token of the Reply button on the ``tone`` comment of a digest."""
    match = re.search(
        rf'value="/learning-reply ([^"]+)">Reply to the {tone} comment</button>', page
    )
    assert match is not None, tone
    return match.group(1)
