"""A prompt's whole life in Teams: proactive delivery, Action.Execute, the stored answer, the
Action.Submit fallback, and the card closed when the window ends.

The behaviour tests never need node; each card they see is also put through Microsoft's parser
by ``test_every_card_of_the_flow_parses``, the only tests skipped when node is missing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.app import run_due_work
from bot.clock import ManualClock
from storage.tables import Answer, ConversationReference, Delivery, DeliveryStatus, PersonRecord
from tests.adapters.teams import activities as a
from tests.adapters.teams.cardcheck import CardChecker
from tests.adapters.teams.conftest import TeamsHarness
from tests.support import nodes_where

QUESTION = "technical-applied-on-the-job"
TEXT_QUESTION = "technical-skill-gap"
NOT_INSTALLED_AAD = "b17d4458-06a8-4e71-a326-1b16ea0260d3"  # in the technical pilot
Card = dict[str, Any]


def answer_buttons(card: Card) -> list[Card]:
    return nodes_where(card, lambda n: n.get("type") == "Action.Execute" and n["verb"] == "answer")


async def open_survey(teams: TeamsHarness, clock: ManualClock, question: str = QUESTION) -> Card:
    """The employee installs the app; an admin asks the question now; the employee's card."""
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))  # Thursday 10:00 in New York
    await teams.post(a.personal_install(teams.connector.url, a.EMPLOYEE_AAD))
    await teams.post(a.personal_install(teams.connector.url, a.ADMIN_AAD))
    command = f"learning-survey technical {question}"
    status, _ = await teams.post(a.personal_message(teams.connector.url, a.ADMIN_AAD, command))
    assert status == 200
    to_employee = [
        c
        for c in teams.connector.posted(a.personal_conversation(a.EMPLOYEE_AAD))
        if "Action.Execute" in str(c.body)
    ]
    assert len(to_employee) == 1
    card: Card = to_employee[0].body["attachments"][0]["content"]
    return card


def stored_answers(teams: TeamsHarness, question: str = QUESTION) -> list[Answer]:
    with teams.core.session() as session:
        return list(session.exec(select(Answer).where(Answer.question_id == question)).all())


@dataclass
class Executed:
    """A "Yes" with a comment sent by Action.Execute: the card it was pressed on, the button,
    the invoke's answer, and how many card updates the connector had seen before it."""

    card: Card
    button: Card
    status: int
    body: Any
    updates_before: int


async def answer_with_execute(teams: TeamsHarness, clock: ManualClock) -> Executed:
    card = await open_survey(teams, clock)
    yes = next(b for b in answer_buttons(card) if b["data"]["value"] == "yes")
    data = {**yes["data"], f"comment:{QUESTION}": "The new lathe course paid off."}
    invoke = a.card_action(teams.connector.url, a.EMPLOYEE_AAD, "answer", data)
    updates_before = len(teams.connector.updated())
    status, body = await teams.post(invoke)
    return Executed(card, yes, status, body, updates_before)


async def answer_with_submit(teams: TeamsHarness, clock: ManualClock) -> tuple[Card, Card]:
    """A "No" sent by the Action.Submit fallback; the card pressed and the card updated."""
    card = await open_survey(teams, clock)
    no = next(b for b in answer_buttons(card) if b["data"]["value"] == "no")
    message = a.submitted(teams.connector.url, a.EMPLOYEE_AAD, no["fallback"]["data"])
    status, _ = await teams.post(message)
    assert status == 200
    (update,) = teams.connector.updated()
    return card, update.body["attachments"][0]["content"]


async def close_the_window(teams: TeamsHarness, clock: ManualClock) -> tuple[int, Card]:
    """Nobody answers for two weeks; the delivery's id and the card it was closed with."""
    card = await open_survey(teams, clock)
    delivery_id: int = answer_buttons(card)[0]["data"]["delivery_id"]
    clock.advance(timedelta(days=14))
    await run_due_work(teams.core)
    closing = [
        u
        for u in teams.connector.updated()
        if u.conversation == a.personal_conversation(a.EMPLOYEE_AAD)
        and "no longer be answered" in str(u.body)
    ]
    assert len(closing) == 1
    return delivery_id, closing[0].body["attachments"][0]["content"]


async def ask_for_every_reply(teams: TeamsHarness, clock: ManualClock) -> list[Card]:
    """An admin's status, digest, data, pause and help commands; every card the bot sent."""
    await open_survey(teams, clock)
    await teams.post(a.channel_message(teams.connector.url, a.ADMIN_AAD, "hello"))  # installs
    for command in (
        "learning-status",
        "learning-status technical",
        "learning-digest technical",
        "learning-mydata",
        "learning-pause 3",
        "learning-help",
    ):
        message = a.personal_message(teams.connector.url, a.ADMIN_AAD, command)
        assert (await teams.post(message))[0] == 200
    return [
        attachment["content"]
        for call in teams.connector.posted() + teams.connector.updated()
        for attachment in call.body.get("attachments") or []
    ]


async def test_a_prompt_answered_with_action_execute_refreshes_the_card(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    executed = await answer_with_execute(teams, clock)

    assert executed.status == 200
    assert executed.body["statusCode"] == 200
    assert executed.body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Your answer: Yes (with your comment)" in str(executed.body["value"])
    (answer,) = stored_answers(teams)
    assert answer.value == "yes" and answer.comment is not None
    assert "lathe" not in answer.comment  # encrypted at rest
    assert len(teams.connector.updated()) == executed.updates_before  # the invoke response did it
    with teams.core.session() as session:
        delivery = session.get(Delivery, executed.button["data"]["delivery_id"])
        assert delivery is not None and delivery.status == DeliveryStatus.ANSWERED


async def test_the_submit_fallback_records_the_answer_and_updates_the_card(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    _, updated_card = await answer_with_submit(teams, clock)

    (answer,) = stored_answers(teams)
    assert answer.value == "no"
    assert "Your answer: No" in str(updated_card)


async def answer_by_typing(
    teams: TeamsHarness, clock: ManualClock, words: str
) -> tuple[Card, dict[str, Any], tuple[int, Any]]:
    """``words`` typed into the text question's card and sent: the card, the invoke activity
    (to send again) and the invoke's status and answer."""
    card = await open_survey(teams, clock, TEXT_QUESTION)
    (send,) = answer_buttons(card)
    typed = {**send["data"], f"answer:{TEXT_QUESTION}": words}
    invoke = a.card_action(teams.connector.url, a.EMPLOYEE_AAD, "answer", typed)
    return card, invoke, await teams.post(invoke)


async def test_a_typed_answer_is_shown_back_in_the_card_and_encrypted_at_rest(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    words = "Too many meetings on Tuesday"
    _, invoke, (status, body) = await answer_by_typing(teams, clock, words)

    assert status == 200 and body["statusCode"] == 200
    assert f"Your answer: {words}" in str(body["value"])  # the person sees their own words
    (stored,) = stored_answers(teams, TEXT_QUESTION)
    assert "meetings" not in stored.value
    assert teams.core.vault.decrypt(stored.value) == words
    assert (await teams.post(invoke))[0] == 200  # the same words twice: still one answer
    assert len(stored_answers(teams, TEXT_QUESTION)) == 1


async def test_the_card_is_closed_when_the_window_ends(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    delivery_id, closed_card = await close_the_window(teams, clock)
    assert answer_buttons(closed_card) == []
    late = a.card_action(
        teams.connector.url,
        a.EMPLOYEE_AAD,
        "answer",
        {"delivery_id": delivery_id, "question_id": QUESTION, "value": "yes"},
    )
    status, body = await teams.post(late)
    assert status == 200 and body["statusCode"] == 200
    assert stored_answers(teams) == []


async def test_a_person_without_the_app_is_recorded_as_not_installed(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    teams.connector.not_installed.add(NOT_INSTALLED_AAD)
    await open_survey(teams, clock)
    with teams.core.session() as session:
        person = session.exec(
            select(PersonRecord).where(
                PersonRecord.ref == "teams:b17d4458-06a8-4e71-a326-1b16ea0260d3"
            )
        ).one()
        delivery = session.exec(select(Delivery).where(Delivery.person_id == person.id)).one()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "app not installed for this person"


async def test_status_digest_and_data_replies_are_cards(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    produced = await ask_for_every_reply(teams, clock)
    digests = teams.connector.posted(a.CHANNEL_ID)
    assert len(digests) == 1
    assert len(produced) >= 15


async def _executed_cards(teams: TeamsHarness, clock: ManualClock) -> list[Card]:
    executed = await answer_with_execute(teams, clock)
    return [executed.card, executed.body["value"]]


async def _typed_cards(teams: TeamsHarness, clock: ManualClock) -> list[Card]:
    card, _, (_, body) = await answer_by_typing(teams, clock, "More practice on the new lathe")
    return [card, body["value"]]


async def _submitted_cards(teams: TeamsHarness, clock: ManualClock) -> list[Card]:
    return list(await answer_with_submit(teams, clock))


async def _closed_cards(teams: TeamsHarness, clock: ManualClock) -> list[Card]:
    return [(await close_the_window(teams, clock))[1]]


Flow = Callable[[TeamsHarness, ManualClock], Awaitable[list[Card]]]


@pytest.mark.parametrize(
    "flow",
    [_executed_cards, _typed_cards, _submitted_cards, _closed_cards, ask_for_every_reply],
    ids=["answered-by-execute", "typed", "answered-by-submit", "closed", "command-replies"],
)
async def test_every_card_of_the_flow_parses(
    teams: TeamsHarness, clock: ManualClock, cards: CardChecker, flow: Flow
) -> None:
    cards.assert_valid(*await flow(teams, clock))


async def test_an_answer_click_leaves_the_persons_conversation_reference_untouched(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    """Rewriting the reference (and its time) on every click would date the person's answer."""
    card = await open_survey(teams, clock)
    key = f"teams:{a.EMPLOYEE_AAD}"
    with teams.core.session() as session:
        before = session.get(ConversationReference, key)
        assert before is not None
        stored = (before.reference, before.updated_at)
    clock.advance(timedelta(hours=2))
    yes = next(b for b in answer_buttons(card) if b["data"]["value"] == "yes")
    status, _ = await teams.post(a.card_action(teams.connector.url, a.EMPLOYEE_AAD, "answer",
                                               yes["data"]))  # fmt: skip
    assert status == 200 and len(stored_answers(teams)) == 1
    with teams.core.session() as session:
        after = session.get(ConversationReference, key)
        assert after is not None and (after.reference, after.updated_at) == stored
