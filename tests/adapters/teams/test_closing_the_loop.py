"""Closing the loop in Teams, over HTTP with signed-shape activities and the fake Bot Connector:
a lead plans an action from the digest posted in the channel (a form card, submitted with
Action.Execute) and each member of the workstream's audience hears about it once; a lead
replies to a quoted comment and only its author receives it, answers back, and the lead reads
the answer without anything that identifies its author; an employee cannot plan an action;
and a form submission that is bad or hostile gets a clear message and stores nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from adapters.teams.forms import input_id
from bot.app import run_due_work
from bot.clock import ManualClock
from storage.tables import Action, ThreadMessage
from surveys.conversations import SENT
from tests.adapters.teams import activities as a
from tests.adapters.teams.cardcheck import CardChecker
from tests.adapters.teams.conftest import TeamsHarness
from tests.bot.test_report_support import answers
from tests.support import nodes_where

Card = dict[str, Any]
LEAD_AAD = "1de6498a-0480-4893-aef7-b768cd7bd218"  # lead of the technical workstream
PILOT = [
    "044f46ca-fc75-4d48-a031-6d8da0cfe317", "b17d4458-06a8-4e71-a326-1b16ea0260d3",
    "a2e19bdc-a8d5-4a49-8b46-ed2fdd67e766", "81c06489-a3b2-465e-8302-268ded7742dd",
    "fa7d9fb9-f048-4ed6-af90-d0972bc06892", "47767405-acd5-4070-a3a9-569148150981",
    "c6aa1f5d-7100-4e4d-b1ba-41f013265a31", "fe9e38ca-7c35-4e98-9da5-2670fd2f2cb9",
]  # fmt: skip
WRITERS = PILOT[:5]
AUTHOR = WRITERS[4]  # wrote the negative comment
AUTHOR_NAME = "Bruno Quintal"
QUESTION = "technical-applied-on-the-job"
THIS_WEEK = date(2026, 12, 1)  # in Sat 28 Nov .. Fri 4 Dec, the digest asked for on Thu 3
COMMENTS: list[str | None] = [
    "The lathe course was excellent, thank you!", "It was fine.", "Fine.", "Okay.",
    "Nobody showed me the new CNC machine, it is awful.",
]  # fmt: skip
SENTIMENTS: list[float | None] = [0.8, 0.05, 0.0, 0.0, -0.8]


def service_url(teams: TeamsHarness) -> str:
    return teams.connector.url


def cards_in(teams: TeamsHarness, conversation: str) -> list[Card]:
    return [
        attachment["content"]
        for call in teams.connector.posted(conversation)
        for attachment in call.body.get("attachments") or []
    ]


def button(card: Card, title: str) -> Card:
    (found,) = nodes_where(
        card, lambda n: n.get("type") == "Action.Execute" and n.get("title") == title
    )
    return found


def form_cards(teams: TeamsHarness, aad: str) -> list[Card]:
    conversation = a.personal_conversation(aad)
    return [c for c in cards_in(teams, conversation) if nodes_where(c, _is_input)]


def _is_input(node: dict[str, Any]) -> bool:
    return str(node.get("type", "")).startswith("Input.")


async def digest_in_the_channel(teams: TeamsHarness, clock: ManualClock) -> Card:
    """The lead, the admin and the writers have the app; the writers commented this week; the
    lead posts the digest to the workstream's channel. The digest card as posted."""
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))  # Thursday 10:00 in New York
    for aad in (LEAD_AAD, a.ADMIN_AAD, *WRITERS):
        install = a.personal_install(service_url(teams), aad)
        if aad == AUTHOR:
            install["from"]["name"] = AUTHOR_NAME
        assert (await teams.post(install))[0] == 200
    hello = a.channel_message(service_url(teams), a.ADMIN_AAD, "hello")  # the team's channel
    await teams.post(hello)
    answers(teams.core, "technical", QUESTION, THIS_WEEK, ["yes"] * 5, scores=[1.0] * 5,
            comments=COMMENTS, sentiments=SENTIMENTS,
            people=[f"teams:{aad}" for aad in WRITERS])  # fmt: skip
    asked = a.personal_message(service_url(teams), LEAD_AAD, "learning-digest technical")
    assert (await teams.post(asked))[0] == 200
    (digest,) = cards_in(teams, a.CHANNEL_ID)
    return digest


async def plan_form(teams: TeamsHarness, clock: ManualClock) -> Card:
    """The lead presses Plan an action on the digest in the channel; the form in their chat."""
    digest = await digest_in_the_channel(teams, clock)
    plan = button(digest, "Plan an action")
    status, body = await teams.post(a.channel_card_action(service_url(teams), LEAD_AAD, "run",
                                                          plan["data"]))  # fmt: skip
    assert status == 200 and body["statusCode"] == 200
    (form,) = form_cards(teams, LEAD_AAD)
    assert cards_in(teams, a.CHANNEL_ID) == [digest]  # nothing more in the channel
    return form


def submission(form: Card, **values: str) -> dict[str, Any]:
    submit = button(form, "Record and announce")
    return {**submit["data"], **{input_id(name): value for name, value in values.items()}}


def recorded_actions(teams: TeamsHarness) -> list[Action]:
    with teams.core.session() as session:
        return list(session.exec(select(Action)).all())


def announcements_heard(teams: TeamsHarness) -> Counter[str]:
    """How many "You said, we did" cards each conversation received."""
    return Counter(
        call.conversation
        for call in teams.connector.posted()
        for attachment in call.body.get("attachments") or []
        if attachment["content"]["body"][0].get("text") == "You said, we did"
    )


async def test_a_lead_plans_an_action_from_the_digest_and_the_audience_hears_once(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    form = await plan_form(teams, clock)
    inputs = {n["id"]: n for n in nodes_where(form, _is_input)}
    assert inputs[input_id("what")]["type"] == "Input.Text"
    assert inputs[input_id("what")]["isMultiline"] and inputs[input_id("what")]["isRequired"]
    assert inputs[input_id("what")]["errorMessage"]
    assert inputs[input_id("question")]["style"] == "compact"
    assert inputs[input_id("due")]["type"] == "Input.Date"

    data = submission(form, what="Weekly CNC office hours, Thursdays 14:00",
                       question=QUESTION, due="2026-12-18")  # fmt: skip
    status, body = await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data))

    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    replaced = json.dumps(body["value"], ensure_ascii=False)
    assert "Recorded action #" in replaced and "Weekly CNC office hours" in replaced
    (action,) = recorded_actions(teams)
    assert (action.workstream_id, action.question_id, action.due_on, action.author_role) == (
        "technical",
        QUESTION,
        date(2026, 12, 18),
        "lead",
    )
    await run_due_work(teams.core)
    heard = announcements_heard(teams)
    assert len(heard) == len(PILOT) and set(heard.values()) == {1}
    for aad in WRITERS:  # those with the app, in the 1:1 chat they installed it in
        assert heard[a.personal_conversation(aad)] == 1
    clock.advance(timedelta(hours=1))
    await run_due_work(teams.core)
    assert announcements_heard(teams) == heard  # once, however often the work runs


async def test_the_announcement_is_a_card_to_read_with_nothing_to_answer(
    teams: TeamsHarness, clock: ManualClock, cards: CardChecker
) -> None:
    form = await plan_form(teams, clock)
    data = submission(form, what="Weekly CNC office hours")
    _, replaced = await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data))
    (announcement,) = [
        c for c in cards_in(teams, a.personal_conversation(a.EMPLOYEE_AAD))
        if c["body"][0].get("text") == "You said, we did"
    ]  # fmt: skip
    text = json.dumps(announcement, ensure_ascii=False)
    assert "What we are doing: Weekly CNC office hours" in text
    assert nodes_where(announcement, lambda n: str(n.get("type")).startswith("Action.")) == []
    assert "closed" not in text and "Snooze" not in text
    digest = cards_in(teams, a.CHANNEL_ID)[0]
    cards.assert_valid(digest, form, replaced["value"], announcement)


async def test_a_bad_submission_gets_a_clear_message_and_records_nothing(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    form = await plan_form(teams, clock)
    submit = button(form, "Record and announce")["data"]
    hostile: list[tuple[dict[str, Any], str]] = [
        (submission(form, what="  "), "Fill in “What we are doing” first."),
        (submission(form, what="Office hours", due="next week"), "YYYY-MM-DD"),
        (submission(form, what="Office hours", question="drop table"), "from its list"),
        ({**submit, input_id("what"): {"$gt": ""}}, "could not be read"),
        ({**submit, input_id("what"): "x" * 5000}, "under 1000 characters"),
        ({**submit, "fields": ["what"]}, "out of date"),
        ({**submit, "fields": {f"f{i}": {} for i in range(500)}}, "out of date"),
        ({**submit, "command": "rm -rf"}, "not something LearnPulse knows"),
        ({**submit, "command": ["learning-action"]}, "not something LearnPulse knows"),
        ({**submit, "text": {"workstream": 1}}, "out of date"),
    ]
    for data, expected in hostile:
        status, body = await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data))
        assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
        assert expected in body["value"], (data, body)
    assert recorded_actions(teams) == []
    assert announcements_heard(teams) == Counter()


async def test_an_employee_cannot_plan_an_action(teams: TeamsHarness, clock: ManualClock) -> None:
    form = await plan_form(teams, clock)
    digest = cards_in(teams, a.CHANNEL_ID)[0]
    employee = a.EMPLOYEE_AAD
    plan = button(digest, "Plan an action")
    status, _ = await teams.post(a.channel_card_action(service_url(teams), employee, "run",
                                                       plan["data"]))  # fmt: skip
    assert status == 200
    assert form_cards(teams, employee) == []
    assert "not allowed" in json.dumps(cards_in(teams, a.personal_conversation(employee)))
    forged = submission(form, what="Free pizza for everyone")  # the lead's form, sent by another
    status, body = await teams.post(a.card_action(service_url(teams), employee, "run", forged))
    assert status == 200 and "not allowed" in json.dumps(body["value"])
    assert recorded_actions(teams) == [] and announcements_heard(teams) == Counter()


def _traces_of_the_author(teams: TeamsHarness) -> list[str]:
    ref = f"teams:{AUTHOR}"
    return [
        AUTHOR, AUTHOR.replace("-", ""), AUTHOR[:8], ref, AUTHOR_NAME, "Bruno",
        teams.core.vault.respondent_key(ref), a.personal_conversation(AUTHOR),
    ]  # fmt: skip


async def test_a_reply_reaches_only_the_author_who_answers_back_anonymously(
    teams: TeamsHarness, clock: ManualClock, cards: CardChecker
) -> None:
    digest = await digest_in_the_channel(teams, clock)
    reply = button(digest, "Reply to the negative comment")
    before = {aad: len(cards_in(teams, a.personal_conversation(aad))) for aad in WRITERS}
    lead_saw: list[Any] = [digest]

    status, body = await teams.post(a.channel_card_action(service_url(teams), LEAD_AAD, "run",
                                                          reply["data"]))  # fmt: skip
    lead_saw.append(body)
    (form,) = form_cards(teams, LEAD_AAD)
    lead_saw.append(form)
    assert "Nobody showed me the new CNC machine" in json.dumps(form, ensure_ascii=False)
    words = "Thank you for telling us. Which machine was it?"
    data = {**button(form, "Send")["data"], input_id("text"): words}
    status, body = await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data))
    lead_saw.append(body)
    assert status == 200 and SENT in json.dumps(body["value"], ensure_ascii=False)

    for aad in WRITERS:
        received = cards_in(teams, a.personal_conversation(aad))[before[aad] :]
        assert (words in json.dumps(received, ensure_ascii=False)) == (aad == AUTHOR)
    carried = {c.conversation for c in teams.connector.posted() if words in json.dumps(c.body)}
    assert carried == {a.personal_conversation(AUTHOR)}  # nobody else, anywhere
    (to_author,) = cards_in(teams, a.personal_conversation(AUTHOR))[before[AUTHOR] :]
    answer_back = button(to_author, "Reply")
    status, body = await teams.post(a.card_action(service_url(teams), AUTHOR, "run",
                                                  answer_back["data"]))  # fmt: skip
    (author_form,) = form_cards(teams, AUTHOR)
    lead_cards_before = len(cards_in(teams, a.personal_conversation(LEAD_AAD)))
    answer = {**button(author_form, "Send")["data"], input_id("text"): "The new CNC in hall 2."}
    status, body = await teams.post(a.card_action(service_url(teams), AUTHOR, "run", answer))
    assert status == 200 and SENT in json.dumps(body["value"], ensure_ascii=False)

    (to_lead,) = cards_in(teams, a.personal_conversation(LEAD_AAD))[lead_cards_before:]
    lead_saw.append(to_lead)
    assert "The new CNC in hall 2." in json.dumps(to_lead, ensure_ascii=False)
    assert button(to_lead, "Reply")  # the conversation goes on
    seen = json.dumps(lead_saw, ensure_ascii=False)
    for trace in _traces_of_the_author(teams):
        assert trace not in seen
    with teams.core.session() as session:
        assert len(session.exec(select(ThreadMessage)).all()) == 2
    cards.assert_valid(digest, form, to_author, author_form, to_lead)
