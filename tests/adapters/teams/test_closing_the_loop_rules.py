"""The rules of closing the loop as Teams carries them: a form sent by the Action.Submit
fallback works like Action.Execute; an announcement is sent once even after the server is
started again; a person who turned replies off gets none and the lead cannot tell; in
anonymous mode a digest offers no Reply and says why."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import Engine

from bot.app import run_due_work
from bot.clock import ManualClock
from surveys.conversations import SENT
from surveys.digest_render import NO_REPLIES
from tests.adapters.teams import activities as a
from tests.adapters.teams.cardcheck import CardChecker
from tests.adapters.teams.conftest import TeamsHarness, serve_teams, teams_core
from tests.adapters.teams.test_closing_the_loop import (
    AUTHOR,
    LEAD_AAD,
    PILOT,
    announcements_heard,
    button,
    cards_in,
    digest_in_the_channel,
    form_cards,
    plan_form,
    recorded_actions,
    service_url,
    submission,
)
from tests.support import nodes_where


async def test_a_form_sent_by_the_submit_fallback_records_the_action(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    form = await plan_form(teams, clock)
    submit = button(form, "Record and announce")
    values = {k: v for k, v in submission(form, what="Office hours").items() if ":" in k}
    message = a.submitted(service_url(teams), LEAD_AAD, {**submit["fallback"]["data"], **values})
    assert (await teams.post(message))[0] == 200
    (action,) = recorded_actions(teams)
    assert action.text == "Office hours"
    assert "Recorded action #" in json.dumps(cards_in(teams, a.personal_conversation(LEAD_AAD)))


async def test_the_announcement_is_sent_once_across_a_restart(
    teams: TeamsHarness, clock: ManualClock, database_url: str, engine: Engine
) -> None:
    form = await plan_form(teams, clock)
    data = submission(form, what="Office hours")
    await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data))
    await run_due_work(teams.core)
    heard = announcements_heard(teams)
    assert len(heard) == len(PILOT) and set(heard.values()) == {1}
    again = teams_core(database_url, engine, clock, teams.connector.url, TEAMS_EMULATOR="1")
    async with serve_teams(again, teams.connector):
        clock.advance(timedelta(hours=2))
        await run_due_work(again)
    assert announcements_heard(teams) == heard


async def test_replies_off_is_honoured_and_the_lead_cannot_tell(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    digest = await digest_in_the_channel(teams, clock)
    off = a.personal_message(service_url(teams), AUTHOR, "learning-mydata replies off")
    assert (await teams.post(off))[0] == 200
    before = len(cards_in(teams, a.personal_conversation(AUTHOR)))
    reply = button(digest, "Reply to the negative comment")
    await teams.post(a.channel_card_action(service_url(teams), LEAD_AAD, "run", reply["data"]))
    (form,) = form_cards(teams, LEAD_AAD)
    data = {**button(form, "Send")["data"], "form:text": "What would help?"}
    status, body = await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data))
    assert status == 200 and SENT in json.dumps(body["value"], ensure_ascii=False)
    assert len(cards_in(teams, a.personal_conversation(AUTHOR))) == before
    sent = Counter(c.conversation for c in teams.connector.posted() if "What would help" in str(c))
    assert sent == Counter()


async def test_anonymous_mode_offers_no_reply_and_says_why(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    program = teams.core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    teams.core.program = program.model_copy(update={"anonymity": anonymity})
    digest = await digest_in_the_channel(teams, clock)
    titles = [n["title"] for n in nodes_where(digest, lambda n: n.get("type") == "Action.Execute")]
    assert titles == ["Plan an action"]
    assert NO_REPLIES in json.dumps(digest, ensure_ascii=False)


async def test_done_pressed_on_the_list_of_actions_is_announced_once(
    teams: TeamsHarness, clock: ManualClock, cards: CardChecker
) -> None:
    form = await plan_form(teams, clock)
    for what in ("Office hours", "A CNC walkthrough", "Shorter modules"):
        data = submission(form, what=what)
        assert (await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", data)))[
            0
        ] == 200
    listed = a.personal_message(service_url(teams), LEAD_AAD, "learning-action technical")
    assert (await teams.post(listed))[0] == 200
    listing = cards_in(teams, a.personal_conversation(LEAD_AAD))[-1]
    first = recorded_actions(teams)[0]
    done = button(listing, f"Done #{first.id}")
    status, _ = await teams.post(a.card_action(service_url(teams), LEAD_AAD, "run", done["data"]))
    assert status == 200
    assert [x.status for x in recorded_actions(teams) if x.id == first.id] == ["done"]
    await run_due_work(teams.core)
    finished = Counter(
        c.conversation
        for c in teams.connector.posted()
        if "Done: Office hours" in json.dumps(c.body, ensure_ascii=False)
    )
    assert len(finished) == len(PILOT) and set(finished.values()) == {1}
    cards.assert_valid(listing)
